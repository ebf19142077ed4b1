// export --format oci --layers N: up to N layers by owning package, the most depended-on first and
// the rest last; the same digests on every export of the tree; two images from overlapping program
// sets share the layers of the packages they hold the same files of; the image unpacks to the tree.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, lstatSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {haveDpkg, manifestEntries} from '../support/dpkg.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeSuiteTempDir, makeTempDir} from '../support/temp.js'
import {treeListing} from '../support/tree.js'

interface Image {
  digest: string
  layers: Array<{digest: string}>
  history: string[]
  // The paths each layer's tar holds.
  contents: string[][]
}

function readImage(dir: string): Image {
  const blob = (digest: string) => join(dir, 'blobs', 'sha256', digest.slice(7))
  const index = JSON.parse(readFileSync(join(dir, 'index.json'), 'utf8'))
  const digest = index.manifests[0].digest
  const manifest = JSON.parse(readFileSync(blob(digest), 'utf8'))
  const config = JSON.parse(readFileSync(blob(manifest.config.digest), 'utf8'))
  const contents = manifest.layers.map((layer: {digest: string}) => spawnSync('tar', ['-tzf', blob(layer.digest)], {encoding: 'utf8'}).stdout.split('\n').filter(Boolean))
  return {digest, layers: manifest.layers, history: config.history.map((h: {created_by: string}) => h.created_by), contents}
}

function exportOci(rootfs: string, layers: number): Image {
  const out = join(makeTempDir(), 'image')
  const r = cli(['export', rootfs, '--format', 'oci', '--layers', String(layers), '-o', out])
  expect(r.status, r.stderr).to.equal(0)
  return readImage(out)
}

// The layer of a package, by the history entry that names it.
function layerOf(image: Image, pkg: string): number {
  return image.history.findIndex((h) => h.startsWith(`ns-tool export: ${pkg} `))
}

describe('export --layers', function () {
  this.timeout(300_000)
  let work: string
  let small: string
  let other: string

  before(function () {
    if (!haveDpkg || !existsSync('/var/lib/dpkg/status')) skipBecause(this, 'this host has no dpkg database to tell each file\'s package')
    work = makeSuiteTempDir()
    small = join(work, 'small')
    other = join(work, 'other')
    for (const [out, programs] of [[small, ['bash', 'ls']], [other, ['bash', 'cat']]] as const) {
      const r = cli(['build-rootfs', '-q', '-o', out, ...programs])
      expect(r.status, r.stderr).to.equal(0)
    }
  })

  it('splits by package, most depended-on first, everything else in the last layer', function () {
    const image = exportOci(small, 4)
    expect(image.layers).to.have.length(4)
    expect(image.history[0]).to.match(/^ns-tool export: libc6 /)
    expect(image.history[3]).to.equal('ns-tool export: the rest')
    const owner = new Map(manifestEntries(small).filter((e) => e.package).map((e) => [e.path.slice(1), `${e.package!.name} ${e.package!.version}`]))
    for (let i = 0; i < 3; i++) {
      const pkg = image.history[i].replace(/^ns-tool export: (\S+ \S+).*$/, '$1')
      const files = image.contents[i].filter((path) => !lstatSync(join(small, path)).isDirectory())
      expect(files.length, pkg).to.be.greaterThan(0)
      for (const path of files) expect(owner.get(path), `${path} in ${pkg}'s layer`).to.equal(pkg)
    }
    expect(image.contents[3]).to.include.members(['etc/passwd', 'usr/bin'])
    // More layers asked than packages: one per package, and the rest.
    const packages = new Set(owner.values()).size
    expect(exportOci(small, 100).layers).to.have.length(packages + 1)
  })

  it('gives the same digests on every export of the same tree', function () {
    const a = exportOci(small, 5)
    const b = exportOci(small, 5)
    expect(b.digest).to.equal(a.digest)
    expect(b.layers).to.deep.equal(a.layers)
  })

  it('shares the layers of common packages between images of overlapping program sets', function () {
    const a = exportOci(small, 100)
    const b = exportOci(other, 100)
    for (const pkg of ['libc6', 'bash', 'libtinfo6', 'base-files']) {
      const [i, j] = [layerOf(a, pkg), layerOf(b, pkg)]
      expect(i, pkg).to.be.at.least(0)
      expect(a.layers[i].digest, pkg).to.equal(b.layers[j].digest)
    }
    // coreutils brings ls to one and cat to the other: its layers differ.
    expect(a.layers[layerOf(a, 'coreutils')].digest).to.not.equal(b.layers[layerOf(b, 'coreutils')].digest)
  })

  it('unpacks (umoci) to the very tree', function () {
    if (!existsSync('/usr/bin/umoci')) skipBecause(this, 'umoci is not installed (the test bootstrap installs it as root)')
    const out = join(makeTempDir(), 'image')
    expect(cli(['export', small, '--format', 'oci', '--layers', '6', '-o', out]).status).to.equal(0)
    const unpacked = join(makeTempDir(), 'unpacked')
    const r = spawnSync('umoci', ['unpack', ...(isRoot ? [] : ['--rootless']), '--image', `${out}:latest`, unpacked], {encoding: 'utf8'})
    expect(r.status, r.stderr).to.equal(0)
    expect(treeListing(join(unpacked, 'rootfs'))).to.deep.equal(treeListing(small))
  })

  it('--layers 0, or --layers with another format, is refused', function () {
    const zero = cli(['export', small, '--format', 'oci', '--layers', '0', '-o', join(makeTempDir(), 'x')])
    expect(zero.status).to.equal(2)
    const tar = cli(['export', small, '--format', 'tar', '--layers', '3', '-o', join(makeTempDir(), 'x.tar')])
    expect(tar.status).to.equal(2)
    expect(tar.stderr).to.contain('--layers applies to --format oci only')
  })
})
