// The helper built with other releases' compilers and headers: Debian 11's gcc 10 and glibc 2.31
// (before glibc's mount API wrappers, openat2 and close_range numbers) and Debian 13's gcc 14 and
// glibc 2.41, each through chroot into its sysroot; the helper's tests then run with that binary.
// And on a kernel without a call it needs, or in a chroot (whose / is no mount point), the helper
// says so in one line (125).
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, mkdirSync, readdirSync, rmdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {compileHelper} from '../../scripts/helper-build.js'
import {repoRoot} from '../support/cli.js'
import {compile, haveCompiler} from '../support/fixtures.js'
import {helper, makeRootfs, requireHelperTestable} from '../support/helper.js'
import {inChrootOk, releaseSysroot, type Release} from '../support/releases.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

const RELEASES: Release[] = ['bullseye', 'trixie']
// The helper's own tests that run the binary test/support/helper.ts names.
const HELPER_TESTS = ['test/helper/helper.test.ts', 'test/helper/mounts.test.ts', 'test/helper/beneath.test.ts']

// Compiles src/helper with the sysroot's gcc: the work directory is bind-mounted at its own path
// inside the sysroot, so that the compiler sees the paths set-up's step gives it.
async function compileIn(root: string): Promise<{binary: string; failure?: {message: string; output?: string}}> {
  const work = makeTempDir()
  const sourceDir = join(work, 'src')
  mkdirSync(sourceDir)
  for (const name of readdirSync(join(repoRoot, 'src/helper'))) {
    if (name.endsWith('.c') || name.endsWith('.h')) copyFileSync(join(repoRoot, 'src/helper', name), join(sourceDir, name))
  }
  const cc = join(work, 'cc')
  writeFileSync(cc, `#!/bin/sh\nexec chroot '${root}' gcc "$@"\n`, {mode: 0o755})
  const inside = join(root, work)
  mkdirSync(inside)
  try {
    const mounted = spawnSync('mount', ['--bind', work, inside], {encoding: 'utf8'})
    if (mounted.status !== 0) throw new Error(`mount --bind ${work} ${inside}: ${mounted.stderr}`)
    try {
      const failure = await compileHelper({sourceDir, outputDir: join(work, 'out'), cc})
      return {binary: join(work, 'out', 'ns-tool-helper'), failure}
    } finally {
      spawnSync('umount', [inside])
    }
  } finally {
    rmdirSync(inside)
  }
}

for (const release of RELEASES) {
  describe(`ns-tool-helper built with ${release}'s compiler and headers`, function () {
    this.timeout(300_000)

    it('compiles, runs a sandbox job, and passes the helper tests', async function () {
      requireHelperTestable(this)
      const root = releaseSysroot(this, release)
      const {binary, failure} = await compileIn(root)
      expect(failure, `${release}: ${failure?.message}\n${failure?.output}`).to.equal(undefined)
      const versions = `gcc ${inChrootOk(root, ['gcc', '-dumpversion']).trim()}, ${inChrootOk(root, ['ldd', '--version']).split('\n')[0]}`
      console.log(`      ${release}: compiled with ${versions}`)
      const tree = makeRootfs()
      const job = spawnSync(binary, ['--no-pty', '--hostname', release, tree, '/bin/sh', '-c', 'hostname; echo $$'], {encoding: 'utf8', timeout: 20_000})
      expect({status: job.status, stdout: job.stdout, stderr: job.stderr}).to.deep.equal({status: 0, stdout: `${release}\n1\n`, stderr: ''})
      // The helper's own tests, with this binary in place of the one set-up built.
      const mocha = join(repoRoot, 'node_modules/mocha/bin/mocha.js')
      const env = {...process.env, NS_TOOL_TEST_HELPER: binary, NS_TOOL_SPEC: HELPER_TESTS.join(',')}
      const suite = spawnSync(process.execPath, [mocha], {cwd: repoRoot, encoding: 'utf8', env, timeout: 240_000})
      const summary = /tests: (\d+) passed, (\d+) failed, (\d+) skipped/.exec(suite.stdout)
      expect(summary, suite.stdout + suite.stderr).to.not.equal(null)
      console.log(`      ${release}: ${HELPER_TESTS.join(' ')} with this helper: ${summary![0]}`)
      expect({status: suite.status, failed: summary![2], skipped: summary![3]}, suite.stdout).to.deep.equal({status: 0, failed: '0', skipped: '0'})
    })
  })
}

describe('ns-tool-helper on a kernel without a call it needs', function () {
  this.timeout(60_000)

  it('names the Linux it needs in one line and exits 125', function () {
    requireHelperTestable(this)
    if (process.arch !== 'x64') skipBecause(this, 'the filter that stands for an older kernel knows the x86-64 numbers only')
    if (!haveCompiler()) skipBecause(this, 'no C compiler to build fixtures/run/without-syscall.c')
    const without = compile({sources: ['run/without-syscall.c']})
    const tree = makeRootfs()
    // The x86-64 numbers: open_tree 428, openat2 437, mount_setattr 442.
    const calls = [
      {nr: 428, line: 'ns-tool-helper: needs Linux >= 5.2 (open_tree)\n'},
      {nr: 437, line: 'ns-tool-helper: needs Linux >= 5.6 (openat2)\n'},
      {nr: 442, line: 'ns-tool-helper: needs Linux >= 5.12 (mount_setattr)\n'},
    ]
    for (const {nr, line} of calls) {
      const r = spawnSync(without, [String(nr), helper, '--no-pty', tree, '/bin/sh', '-c', 'echo ran'], {encoding: 'utf8', timeout: 20_000})
      expect({status: r.status, stdout: r.stdout, stderr: r.stderr}).to.deep.equal({status: 125, stdout: '', stderr: line})
    }
  })
})

describe('ns-tool-helper in a chroot', function () {
  it('says that / is no mount point and how to make it one, in one line (125)', function () {
    requireHelperTestable(this)
    const tree = makeRootfs()
    copyFileSync(helper, join(tree, 'ns-tool-helper'))
    chmodSync(join(tree, 'ns-tool-helper'), 0o755)
    const r = spawnSync('chroot', [tree, '/ns-tool-helper', '--no-pty', '/', '/bin/sh', '-c', 'echo ran'], {encoding: 'utf8', timeout: 20_000})
    const line = 'ns-tool-helper: / is not a mount point (a chroot?): run ns-tool where / is a mount (a container, or `mount --bind DIR DIR` before the chroot)\n'
    expect({status: r.status, stdout: r.stdout, stderr: r.stderr}).to.deep.equal({status: 125, stdout: '', stderr: line})
  })
})
