// export --format oci --layers N: up to N layers by owning package, ranked by the host's package
// graph (the packages every installed one needs first) and the rest last; the same digests on every
// export of the tree; two images from overlapping program sets share the layers of the packages they
// hold the same files of, with few layers too; the image unpacks to the tree.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, lstatSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {field, haveDpkg, manifestEntries} from '../support/dpkg.js'
import {isRoot, skipBecause, which} from '../support/skip.js'
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

// The packages that have a layer of their own, in the image's order.
function ownLayers(image: Image): string[] {
  return image.history.filter((h) => h !== 'ns-tool export: the rest').map((h) => h.split(' ')[2])
}

// Each package of a tree with the sorted list of its paths there.
function filesByPackage(rootfs: string): Map<string, string> {
  const files = new Map<string, string[]>()
  for (const entry of manifestEntries(rootfs)) if (entry.package) files.set(entry.package.name, [...(files.get(entry.package.name) ?? []), entry.path])
  return new Map([...files].map(([name, paths]) => [name, paths.sort().join('\n')]))
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
    for (const [out, programs] of [[small, ['bash', 'ls', 'ps']], [other, ['bash', 'cat']]] as const) {
      const r = cli(['build-rootfs', '-q', '-o', out, ...programs])
      expect(r.status, r.stderr).to.equal(0)
    }
  })

  it('splits by package, the ones every host package needs first, everything else in the last layer', function () {
    const image = exportOci(small, 4)
    expect(image.layers).to.have.length(4)
    // Every package needs the essential ones (Debian policy 3.8), directly: they come first.
    for (const pkg of ownLayers(image)) expect(field(pkg, 'Essential'), `${pkg}, in the first layers`).to.equal('yes')
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
    const all = exportOci(small, 100)
    expect(all.layers).to.have.length(packages + 1)
    // Then libc6, which nearly every package of the host names itself.
    const essential = ownLayers(all).filter((pkg) => field(pkg, 'Essential') === 'yes')
    expect(ownLayers(all).slice(0, essential.length + 1)).to.deep.equal([...essential, 'libc6'])
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

  it('shares the layers of common packages with few layers too: bash ls ps and bash curl, --layers 8', function () {
    if (!which('curl')) skipBecause(this, 'curl is not installed')
    const curl = join(work, 'curl')
    const r = cli(['build-rootfs', '-q', '-o', curl, 'bash', 'curl'])
    expect(r.status, r.stderr).to.equal(0)
    const a = exportOci(small, 8)
    const b = exportOci(curl, 8)
    const [filesA, filesB] = [filesByPackage(small), filesByPackage(curl)]
    // Both trees have more packages than layers: each keeps its first seven by one ranking.
    expect(filesA.size).to.be.greaterThan(7)
    expect(filesB.size).to.be.greaterThan(7)
    const [ownA, ownB] = [ownLayers(a), ownLayers(b)]
    const inBoth = ownA.filter((pkg) => ownB.includes(pkg))
    expect(ownB.filter((pkg) => ownA.includes(pkg)), 'the same order in both images').to.deep.equal(inBoth)
    // One ranking: a package of both trees that only one image gives a layer lost its place to
    // packages ranked before it, and those of them the first tree has got a layer there too.
    for (const [own, other, otherFiles, files] of [[ownA, ownB, filesB, filesA], [ownB, ownA, filesA, filesB]] as const) {
      for (const pkg of own.filter((p) => otherFiles.has(p) && !other.includes(p))) {
        expect(other.filter((p) => files.has(p) && !own.includes(p)), `ranked before ${pkg}, without a layer of its own beside it`).to.deep.equal([])
      }
    }
    // The same files of a package, the same layer.
    const shared = inBoth.filter((pkg) => filesA.get(pkg) === filesB.get(pkg))
    for (const pkg of shared) expect(a.layers[layerOf(a, pkg)].digest, pkg).to.equal(b.layers[layerOf(b, pkg)].digest)
    expect(shared).to.include.members(['base-files', 'bash', 'ncurses-base'])
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
