// ns-tool itself on Debian 13: inside a trixie chroot, with trixie's nodejs, npm and gcc, a fresh
// clone of this repository sets itself up and runs the seed demo (`npm start`), and `npm test`
// passes a release-independent part of the suite (named below, to keep the time bounded). The
// chroot gets /proc, /dev and /sys for the run; they are unmounted whatever happens.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import type {Context} from 'mocha'
import {repoRoot} from './support/cli.js'
import {inChroot, inChrootOk, releaseSysroot, releaseWorkDir} from './support/releases.js'
import {skipBecause} from './support/skip.js'

// Files whose tests hold on any glibc release; usr-bin compares the elf resolver with trixie's
// own ldd over trixie's /usr/bin, the loader tests read trixie's ld.so --help.
const SUITE_PART = [
  'test/elf',
  'test/loader/loader.test.ts',
  'test/loader/ld-cache.test.ts',
  'test/loader/rules.test.ts',
  'test/loader/usr-bin.test.ts',
  'test/helper/helper.test.ts',
  'test/verify/verify.test.ts',
]

// Mounts the kernel's trees into root for body, and takes them away after it, in reverse order.
function withKernelTrees<T>(root: string, body: () => T): T {
  const mounted: string[] = []
  try {
    for (const [source, target, args] of [
      ['proc', 'proc', ['-t', 'proc']],
      ['sysfs', 'sys', ['-t', 'sysfs']],
      ['/dev', 'dev', ['--bind']],
    ] as const) {
      const r = spawnSync('mount', [...args, source, join(root, target)], {encoding: 'utf8'})
      if (r.status !== 0) throw new Error(`mount ${source} on ${join(root, target)}: ${r.stderr}`)
      mounted.push(join(root, target))
    }
    return body()
  } finally {
    for (const target of mounted.reverse()) {
      if (spawnSync('umount', [target]).status !== 0) spawnSync('umount', ['-l', target])
    }
  }
}

describe('ns-tool on Debian 13 (trixie): a fresh clone with the release\'s node, npm and gcc', function () {
  this.timeout(900_000)

  it('sets itself up, runs `npm start`, and passes a release-independent part of `npm test`', function () {
    const root = releaseSysroot(this as Context, 'trixie')
    const head = spawnSync('git', ['-C', repoRoot, 'rev-parse', 'HEAD'], {encoding: 'utf8'})
    if (head.status !== 0) skipBecause(this, `${repoRoot} is not a git checkout to clone`)
    const work = releaseWorkDir(root)
    const clone = spawnSync('git', ['clone', '--quiet', '--no-hardlinks', repoRoot, join(work.host, 'ns-tool')], {encoding: 'utf8'})
    expect(clone.status, clone.stderr).to.equal(0)
    const checkout = `${work.inside}/ns-tool`
    const versions = `node ${inChrootOk(root, ['node', '--version']).trim()}, npm ${inChrootOk(root, ['npm', '--version']).trim()}, gcc ${inChrootOk(root, ['gcc', '-dumpversion']).trim()}`
    console.log(`      trixie: ${versions}, clone of ${head.stdout.trim().slice(0, 12)}`)
    // The npm registry for the dependencies; the chroot's own npm cache keeps them between runs.
    const env = {HOME: '/root', CI: 'true', NS_TOOL_TEST_INSTALL: 'no'}
    withKernelTrees(root, () => {
      const start = inChroot(root, ['sh', '-c', `cd '${checkout}' && npm start`], env)
      if (start.status !== 0 && /E(AI_AGAIN|NOTFOUND|CONNREFUSED|CONNRESET|TIMEDOUT)|network/i.test(start.stderr)) {
        skipBecause(this, `the npm registry cannot be reached from the trixie chroot: ${start.stderr.trim().split('\n').at(-1)}`)
      }
      expect(start.status, start.stdout + start.stderr).to.equal(0)
      // The demo's last step lists the tree's / from inside it.
      expect(start.stdout).to.match(/\bbin\b[\s\S]*\bproc\b[\s\S]*\busr\b/)
      const test = inChroot(root, ['sh', '-c', `cd '${checkout}' && npm test -- ${SUITE_PART.join(',')}`], env)
      const summary = /tests: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(test.stdout)
      expect(summary, test.stdout + test.stderr).to.not.equal(null)
      console.log(`      trixie: npm test -- ${SUITE_PART.join(',')}: ${summary![0]}`)
      const skips = [...new Set(test.stdout.split('\n').filter((line) => line.includes('skipped: ')).map((line) => line.trim()))]
      if (skips.length > 0) console.log(`      trixie: ${skips.join('; ')}`)
      expect({status: test.status, failed: summary![2]}, test.stdout.slice(-20_000)).to.deep.equal({status: 0, failed: '0'})
      expect(Number(summary![1])).to.be.greaterThan(40)
    })
  })
})
