// A real scanner (trivy, offline) sees in a tree, its tarball and its OCI image exactly the
// packages whose files are in it, with the host's versions, and the host's distribution; and it
// reads the same packages back from ns-tool's SPDX and CycloneDX SBOMs.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {expectedPackages, field, haveDpkg} from '../support/dpkg.js'
import {scan, trivy} from '../support/scanner.js'
import {skipBecause} from '../support/skip.js'
import {makeSuiteTempDir, makeTempDir} from '../support/temp.js'

describe('a scanner reads what ns-tool made', function () {
  this.timeout(600_000)
  let work: string
  let rootfs: string
  let expected: string[]
  let os: string

  before(function () {
    if (!haveDpkg || !existsSync('/etc/debian_version')) skipBecause(this, 'this host is not a Debian with dpkg')
    if (!trivy()) skipBecause(this, 'the scanner is not installed (test/support/bootstrap.js installs it from the npm registry; see its message)')
    work = makeSuiteTempDir()
    rootfs = join(work, 'rootfs')
    const r = cli(['build-rootfs', '-q', '-o', rootfs, 'bash', 'ls', 'sort', 'sed'])
    expect(r.status, r.stderr).to.equal(0)
    expected = [...expectedPackages(rootfs)].map(([key, version]) => `${key.split(':')[0]} ${version} ${key.split(':')[1]}`).sort()
    os = `debian ${readFileSync('/etc/debian_version', 'utf8').trim()}`
    expect(expected.length).to.be.greaterThan(6)
  })

  it('on the rootfs', function () {
    const found = scan('rootfs', rootfs)
    expect(found.os).to.equal(os)
    expect(found.packages).to.deep.equal(expected)
  })

  it('on the tar export, unpacked', function () {
    const tar = join(makeTempDir(), 'rootfs.tar')
    expect(cli(['export', rootfs, '--format', 'tar', '-o', tar]).status).to.equal(0)
    const unpacked = join(makeTempDir(), 'unpacked')
    mkdirSync(unpacked)
    expect(spawnSync('tar', ['-xf', tar, '-C', unpacked]).status).to.equal(0)
    const found = scan('rootfs', unpacked)
    expect(found.os).to.equal(os)
    expect(found.packages).to.deep.equal(expected)
  })

  it('on the OCI image, layered by package, with its SBOMs attached', function () {
    const image = join(makeTempDir(), 'image')
    const r = cli(['export', rootfs, '--format', 'oci', '--layers', '5', '--sbom', '-o', image])
    expect(r.status, r.stderr).to.equal(0)
    const found = scan('image', image)
    expect(found.os).to.equal(os)
    expect(found.packages).to.deep.equal(expected)
  })

  for (const format of ['spdx-json', 'cyclonedx-json']) {
    it(`reads the packages back from the ${format} SBOM`, function () {
      // A directory with the distribution's identity and the SBOM, but no package database: what
      // the scanner reports comes from the SBOM.
      const dir = makeTempDir()
      mkdirSync(join(dir, 'etc'))
      copyFileSync('/etc/debian_version', join(dir, 'etc', 'debian_version'))
      const r = cli(['sbom', rootfs, '--format', format, '-o', join(dir, format === 'spdx-json' ? 'rootfs.spdx.json' : 'rootfs.cdx.json')])
      expect(r.status, r.stderr).to.equal(0)
      const found = scan('rootfs', dir)
      expect(found.packages).to.deep.equal(expected)
      expect(found.packages.find((p) => p.startsWith('bash '))).to.equal(`bash ${field('bash', 'Version')} amd64`)
    })
  }
})
