// Trees built with --sysroot from Debian 11 and Debian 13: they run a shell job and a python3 job
// under `ns-tool run` with the release's own programs, verify, and carry the release's provenance
// (os-release, and status.d entries with the versions of the sysroot's own dpkg database).
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {Context} from 'mocha'
import {cli} from '../support/cli.js'
import {inChrootOk, releaseSysroot, type Release} from '../support/releases.js'
import {scan, trivy} from '../support/scanner.js'
import {skipBecause} from '../support/skip.js'
import {makeSuiteTempDir} from '../support/temp.js'

const RELEASES: Array<{release: Release; versionId: string}> = [
  {release: 'bullseye', versionId: '11'},
  {release: 'trixie', versionId: '13'},
]
const PYTHON_JOB = [
  'import json, sqlite3, sys, tempfile',
  'db = sqlite3.connect(":memory:")',
  'db.execute("create table t (k text, v text)")',
  'db.executemany("insert into t values (?, ?)", [("a", "1"), ("b", "2")])',
  'with tempfile.TemporaryFile("w+") as f:',
  '    json.dump(dict(db.execute("select k, v from t")), f)',
  '    f.seek(0)',
  '    print(sys.version.split()[0], json.load(f))',
].join('\n')

for (const {release, versionId} of RELEASES) {
  describe(`build-rootfs --sysroot ${release}`, function () {
    this.timeout(300_000)
    let root = ''
    let tree = ''

    // One tree per release, built once for the tests below.
    before(function () {
      root = releaseSysroot(this as unknown as Context, release)
      tree = join(makeSuiteTempDir(), 'rootfs')
      const built = cli(['build-rootfs', '-q', '--sysroot', root, '-o', tree, 'bash', 'python3'])
      expect(built.status, built.stderr).to.equal(0)
    })

    it("runs a shell job and a python3 job with the release's own programs", function () {
      const bash = cli(['run', tree, '/bin/bash', '-c', 'echo "$BASH_VERSION"; while read -r line; do case $line in VERSION_ID=*) echo "$line";; esac; done < /etc/os-release'])
      const ownBash = inChrootOk(root, ['bash', '-c', 'echo "$BASH_VERSION"'])
      expect({status: bash.status, stdout: bash.stdout, stderr: bash.stderr}).to.deep.equal({status: 0, stdout: `${ownBash}VERSION_ID="${versionId}"\n`, stderr: ''})
      const python = cli(['run', tree, '--', '/usr/bin/python3', '-c', PYTHON_JOB])
      const ownPython = inChrootOk(root, ['python3', '-c', 'import sys; print(sys.version.split()[0])']).trim()
      expect({status: python.status, stdout: python.stdout, stderr: python.stderr}).to.deep.equal({status: 0, stdout: `${ownPython} {'a': '1', 'b': '2'}\n`, stderr: ''})
      console.log(`      ${release}: bash ${ownBash.trim()}, python ${ownPython} ran in the tree`)
    })

    it('builds the flat layout too, through the sysroot\'s absolute links (bullseye: /lib64/ld-linux-x86-64.so.2 -> /lib/...)', function () {
      const flat = join(makeSuiteTempDir(), 'flat')
      const built = cli(['build-rootfs', '-q', '--no-data', '--sysroot', root, '--layout', 'flat', '-o', flat, 'bash'])
      expect({status: built.status, stderr: built.stderr}).to.deep.equal({status: 0, stderr: ''})
      const ownBash = inChrootOk(root, ['bash', '-c', 'echo "$BASH_VERSION"'])
      const bash = cli(['run', flat, '/bin/bash', '-c', 'echo "$BASH_VERSION"'])
      expect({status: bash.status, stdout: bash.stdout, stderr: bash.stderr}).to.deep.equal({status: 0, stdout: ownBash, stderr: ''})
    })

    it('verifies as built: build and verify agree on what the tree needs', function () {
      const r = cli(['verify', '--json', tree])
      const result = JSON.parse(r.stdout) as {ok: boolean; checked: number; problems: unknown[]}
      console.log(`      ${release}: verify checked ${result.checked} files, ${result.problems.length} problems`)
      expect({status: r.status, problems: result.problems}, r.stderr).to.deep.equal({status: 0, problems: []})
      expect(result.checked).to.be.greaterThan(50)
    })

    it("records the release's packages and versions from the sysroot's dpkg database", function () {
      const own = new Map(inChrootOk(root, ['dpkg-query', '-W', '-f', '${Package}:${Architecture} ${Version}\\n']).trim().split('\n').map((line) => line.split(' ') as [string, string]))
      const statusDir = join(tree, 'var/lib/dpkg/status.d')
      const entries = readdirSync(statusDir).filter((name) => !name.endsWith('.md5sums'))
      expect(entries).to.include.members(['bash', 'libc6:amd64'])
      for (const entry of entries) {
        const text = readFileSync(join(statusDir, entry), 'utf8')
        const name = /^Package: (\S+)$/m.exec(text)![1]
        const arch = /^Architecture: (\S+)$/m.exec(text)![1]
        const version = /^Version: (\S+)$/m.exec(text)![1]
        expect(version, `${entry} in ${release}`).to.equal(own.get(`${name}:${arch}`))
      }
      expect(readFileSync(join(tree, 'etc/os-release'), 'utf8')).to.equal(readFileSync(join(root, 'etc/os-release'), 'utf8'))
    })

    it('is reported by a scanner as that release, with its package versions', function () {
      if (!trivy()) skipBecause(this, 'trivy is not installed (the bootstrap installs it into the cache)')
      const scanned = scan('rootfs', tree)
      expect(scanned.os).to.match(new RegExp(`^debian ${versionId}(\\.|$)`))
      // The scanner's version leaves the epoch (1:) to a qualifier of its package URL.
      const own = inChrootOk(root, ['dpkg-query', '-W', '-f', '${Package}:${Architecture} ${Version}\\n']).replace(/ \d+:/g, ' ')
      for (const line of scanned.packages) {
        const [name, version, arch] = line.split(' ')
        expect(own, line).to.include(`${name}:${arch} ${version}\n`)
      }
      expect(scanned.packages.length).to.be.greaterThan(5)
    })
  })
}
