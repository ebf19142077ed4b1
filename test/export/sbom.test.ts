// export --sbom: the SBOMs `ns-tool sbom` writes (dated SOURCE_DATE_EPOCH), beside a tarball, in a
// bundle, and in an OCI layout as OCI 1.1 artifacts whose subject is the image, with an index of
// them under the referrers tag; nothing is left behind when the export fails.
import {expect} from 'chai'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {haveDpkg} from '../support/dpkg.js'
import {skipBecause} from '../support/skip.js'
import {makeSuiteTempDir, makeTempDir} from '../support/temp.js'

const env = {SOURCE_DATE_EPOCH: '1700000000'}

describe('export --sbom', function () {
  this.timeout(300_000)
  let rootfs: string
  let spdx: string
  let cdx: string

  before(function () {
    if (!haveDpkg || !existsSync('/var/lib/dpkg/status')) skipBecause(this, 'this host has no dpkg database (an SBOM names packages)')
    rootfs = join(makeSuiteTempDir(), 'rootfs')
    expect(cli(['build-rootfs', '-q', '-o', rootfs, 'ls']).status).to.equal(0)
    spdx = cli(['sbom', rootfs], {env}).stdout
    cdx = cli(['sbom', rootfs, '--format', 'cyclonedx-json'], {env}).stdout
  })

  it('tar: OUT.spdx.json and OUT.cdx.json beside the tarball', function () {
    const out = join(makeTempDir(), 'rootfs.tar')
    const r = cli(['export', rootfs, '--format', 'tar', '--sbom', '-o', out], {env})
    expect(r.status, r.stderr).to.equal(0)
    expect(readFileSync(`${out}.spdx.json`, 'utf8')).to.equal(spdx)
    expect(readFileSync(`${out}.cdx.json`, 'utf8')).to.equal(cdx)
  })

  it('bundle: sbom.spdx.json and sbom.cdx.json beside config.json', function () {
    const out = join(makeTempDir(), 'bundle')
    // The tree (ls alone) has no shell to be the bundle's default command.
    const r = cli(['export', rootfs, '--format', 'bundle', '--sbom', '--entrypoint', '/usr/bin/ls', '-o', out], {env})
    expect(r.status, r.stderr).to.equal(0)
    expect(readFileSync(join(out, 'sbom.spdx.json'), 'utf8')).to.equal(spdx)
    expect(readFileSync(join(out, 'sbom.cdx.json'), 'utf8')).to.equal(cdx)
    expect(existsSync(join(out, 'rootfs', 'sbom.spdx.json'))).to.equal(false)
  })

  it('oci: artifacts with the SBOM media types whose subject is the image, and their index under the referrers tag', function () {
    const out = join(makeTempDir(), 'image')
    const r = cli(['export', rootfs, '--format', 'oci', '--sbom', '-o', out, '--json'], {env})
    expect(r.status, r.stderr).to.equal(0)
    const result = JSON.parse(r.stdout)
    const blob = (digest: string) => readFileSync(join(out, 'blobs', 'sha256', digest.slice(7)))
    const index = JSON.parse(readFileSync(join(out, 'index.json'), 'utf8'))
    const image = index.manifests[0]
    expect(image.digest).to.equal(result.digest)
    for (const [type, text] of [['application/spdx+json', spdx], ['application/vnd.cyclonedx+json', cdx]]) {
      const listed = index.manifests.find((m: {artifactType?: string}) => m.artifactType === type)
      const artifact = JSON.parse(blob(listed.digest).toString())
      expect(artifact.artifactType).to.equal(type)
      expect(artifact.subject).to.deep.equal({mediaType: image.mediaType, digest: image.digest, size: image.size})
      expect(artifact.config.mediaType).to.equal('application/vnd.oci.empty.v1+json')
      expect(artifact.layers[0].mediaType).to.equal(type)
      expect(blob(artifact.layers[0].digest).toString()).to.equal(text)
    }
    const tagged = index.manifests.find((m: {annotations?: Record<string, string>}) => m.annotations?.['org.opencontainers.image.ref.name'] === result.referrersTag)
    expect(result.referrersTag).to.equal(image.digest.replace(':', '-'))
    expect(JSON.parse(blob(tagged.digest).toString()).manifests.map((m: {digest: string}) => m.digest)).to.deep.equal(result.referrers.map((m: {digest: string}) => m.digest))
  })

  it('of a tree ns-tool did not build: refused, nothing written', function () {
    const dir = makeTempDir()
    const out = join(dir, 'out.tar')
    const r = cli(['export', makeTempDir(), '--format', 'tar', '--sbom', '-o', out])
    expect(r.status).to.equal(1)
    expect(r.stderr).to.contain('not a rootfs ns-tool built')
    expect(readdirSync(dir)).to.deep.equal([])
  })
})
