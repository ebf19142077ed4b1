// ns-tool itself on Debian 13: inside a trixie chroot, with trixie's nodejs, npm and gcc, a fresh
// clone of this repository sets itself up and runs the seed demo (`npm start`), and `npm test`
// passes a release-independent part of the suite (named below, to keep the time bounded), with
// the sysroot as the root of a mount namespace of its own.
import {expect} from 'chai'
import {spawnSync, type SpawnSyncReturns} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import type {Context} from 'mocha'
import {repoRoot} from './support/cli.js'
import {inChrootOk, releaseSysroot, releaseWorkDir} from './support/releases.js'
import {skipBecause} from './support/skip.js'

// Files whose tests hold on any glibc release; usr-bin compares the elf resolver with trixie's
// own ldd over trixie's /usr/bin, the loader tests read trixie's ld.so --help.
const SUITE_PART = [
  'test/elf/reader.test.ts',
  'test/elf/sections.test.ts',
  'test/loader/loader.test.ts',
  'test/loader/ld-cache.test.ts',
  'test/loader/rules.test.ts',
  'test/loader/usr-bin.test.ts',
  'test/helper/helper.test.ts',
  'test/verify/verify.test.ts',
]

// Runs argv with root as the root of a mount namespace of its own (pivot_root, as a container
// runtime does; not chroot, which the kernel does not let create user namespaces, so rootless
// runs could not be tested), with the kernel's trees mounted there. Every mount lives in that
// namespace and goes with it: nothing stays mounted on the host.
const AS_ROOT_OF_NAMESPACE = `set -e
root=$1 old=$2; shift 2
mount --bind "$root" "$root"
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --rbind /dev "$root/dev"
cd "$root"
pivot_root . ".$old"
umount -l "$old"
exec "$@"`

function onTrixie(root: string, old: string, argv: string[], env: Record<string, string>): SpawnSyncReturns<string> {
  const environment = Object.entries({PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', LANG: 'C.UTF-8', ...env}).map(([k, v]) => `${k}=${v}`)
  return spawnSync('unshare', ['--mount', '--propagation', 'private', '--fork', '--', 'sh', '-c', AS_ROOT_OF_NAMESPACE, 'sh', root, old, '/usr/bin/env', '-i', ...environment, ...argv], {encoding: 'utf8', maxBuffer: 64 << 20})
}

describe('ns-tool on Debian 13 (trixie): a fresh clone with the release\'s node, npm and gcc', function () {
  this.timeout(900_000)

  it('sets itself up, runs `npm start`, and passes a release-independent part of `npm test`', function () {
    const root = releaseSysroot(this as Context, 'trixie')
    const head = spawnSync('git', ['-C', repoRoot, 'rev-parse', 'HEAD'], {encoding: 'utf8'})
    if (head.status !== 0) skipBecause(this, `${repoRoot} is not a git checkout to clone`)
    const work = releaseWorkDir(root)
    // uid 65534 reads the checkout in the rootless tests.
    chmodSync(work.host, 0o755)
    const old = `${work.inside}/old-root`
    mkdirSync(join(root, old))
    const clone = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, join(work.host, 'ns-tool')], {encoding: 'utf8'})
    expect(clone.status, clone.stderr).to.equal(0)
    const checkout = `${work.inside}/ns-tool`
    const versions = `node ${inChrootOk(root, ['node', '--version']).trim()}, npm ${inChrootOk(root, ['npm', '--version']).trim()}, gcc ${inChrootOk(root, ['gcc', '-dumpversion']).trim()}`
    console.log(`      trixie: ${versions}, clone of ${head.stdout.trim().slice(0, 12)}`)
    // The npm registry for the dependencies; the chroot's own npm cache keeps them between runs.
    // The caller's extra CA certificates go along (a proxy that signs with its own CA).
    const env: Record<string, string> = {HOME: '/root', CI: 'true', NS_TOOL_TEST_INSTALL: 'no'}
    const extraCa = process.env.NODE_EXTRA_CA_CERTS
    if (extraCa && existsSync(extraCa)) {
      copyFileSync(extraCa, join(work.host, 'extra-ca.pem'))
      env.NODE_EXTRA_CA_CERTS = `${work.inside}/extra-ca.pem`
    }
    {
      const start = onTrixie(root, old, ['sh', '-c', `cd '${checkout}' && npm start`], env)
      if (start.status !== 0 && /E(AI_AGAIN|NOTFOUND|CONNREFUSED|CONNRESET|TIMEDOUT)|network/i.test(start.stderr)) {
        skipBecause(this, `the npm registry cannot be reached from the trixie chroot: ${start.stderr.trim().split('\n').at(-1)}`)
      }
      expect(start.status, start.stdout + start.stderr).to.equal(0)
      // The demo's last step lists the tree's / from inside it.
      expect(start.stdout).to.match(/\bbin\b[\s\S]*\bproc\b[\s\S]*\busr\b/)
      const test = onTrixie(root, old, ['sh', '-c', `cd '${checkout}' && npm test -- ${SUITE_PART.join(',')}`], env)
      const summary = /tests: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(test.stdout)
      expect(summary, test.stdout + test.stderr).to.not.equal(null)
      console.log(`      trixie: npm test -- ${SUITE_PART.join(',')}: ${summary![0]}`)
      const skips = [...new Set(test.stdout.split('\n').filter((line) => line.includes('skipped: ')).map((line) => line.trim()))]
      if (skips.length > 0) console.log(`      trixie: ${skips.join('; ')}`)
      expect({status: test.status, failed: summary![2]}, test.stdout.slice(-20_000)).to.deep.equal({status: 0, failed: '0'})
      expect(Number(summary![1])).to.be.greaterThan(40)
    }
  })
})
