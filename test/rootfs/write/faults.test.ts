// A build that cannot finish leaves the output as it was and says why in one line: interrupted
// (SIGINT, SIGTERM), killed (the next build takes over at once), a full disk, a parent it may not
// write; and it refuses -o / before taking any lock.
import {expect} from 'chai'
import {spawn, spawnSync} from 'node:child_process'
import {chownSync, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {NsToolError} from '../../../src/errors.js'
import {writeFailure} from '../../../src/rootfs/write/faults.js'
import {binRun, cli} from '../../support/cli.js'
import {isRoot, skipBecause} from '../../support/skip.js'
import {makeSharedTempDir, makeTempDir} from '../../support/temp.js'
import {asUser, requireRootless} from '../../support/run.js'

// Type, mode, size, mtime and link target of everything below dir.
function listing(dir: string): string[] {
  if (!existsSync(dir)) return ['<absent>']
  return readdirSync(dir, {recursive: true})
    .map(String)
    .sort()
    .map((path) => {
      const stat = lstatSync(join(dir, path))
      return `${path} ${stat.mode} ${stat.size} ${stat.mtimeMs} ${stat.isSymbolicLink() ? readlinkSync(join(dir, path)) : ''}`
    })
}

// What a build leaves beside its output: staging trees, lock files.
function besides(out: string): string[] {
  return readdirSync(dirname(out)).filter((name) => name.startsWith(`${out.split('/').pop()}.`))
}

// A build paused at `point` (the NS_TOOL_TEST_PAUSE hook), ready to be signalled.
async function pausedBuild(out: string, point: string, programs: string[]) {
  const child = spawn(process.execPath, [binRun, 'build-rootfs', '-o', out, ...programs], {env: {...process.env, NODE_EXTRA_CA_CERTS: '', NS_TOOL_TEST_PAUSE: point}, stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += chunk))
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  await new Promise<void>((resolve, reject) => {
    const timer = setInterval(() => stderr.includes(`paused at ${point}`) && (clearInterval(timer), resolve()), 20)
    child.once('exit', () => (clearInterval(timer), reject(new Error(`the build exited before ${point}: ${stderr}`))))
  })
  return {child, exit, stderr: () => stderr}
}

describe('rootfs/write: faults', function () {
  for (const [signal, status] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    for (const point of ['copy', 'staged']) {
      it(`${signal} while ${point === 'copy' ? 'copying' : 'staged'}: the staging tree goes, "interrupted; OUT is unchanged", exit ${status}`, async function () {
        const out = join(makeTempDir(), 'rootfs')
        expect(cli(['build-rootfs', '-q', '-o', out, 'true']).status).to.equal(0)
        const before = listing(out)
        const build = await pausedBuild(out, point, ['bash', 'ls'])
        expect(besides(out).some((name) => name.includes('staging')), 'a staging tree while it runs').to.equal(true)
        build.child.kill(signal)
        expect(await build.exit).to.equal(status)
        expect(build.stderr()).to.contain(`interrupted; ${out} is unchanged`)
        expect(build.stderr()).to.not.match(/\n\s+at /)
        expect(listing(out)).to.deep.equal(before)
        expect(besides(out), 'no staging tree, no lock').to.deep.equal([])
      })
    }
  }

  it('after a SIGKILL the next build takes over the lock at once, however fresh the lock looks', async function () {
    const out = join(makeTempDir(), 'rootfs')
    expect(cli(['build-rootfs', '-q', '-o', out, 'true']).status).to.equal(0)
    const build = await pausedBuild(out, 'staged', ['bash'])
    build.child.kill('SIGKILL')
    await build.exit
    const lock = `${out}.ns-tool.lock`
    expect(existsSync(lock), 'the dead build\'s lock').to.equal(true)
    // The lock keeps a fresh mtime, as a live holder's would under a staleness-by-age lock: only a
    // lock that knows its holder is dead lets the next build in.
    const toucher = spawn('sh', ['-c', 'while :; do touch -c "$1"; sleep 0.05; done', 'sh', lock], {stdio: 'ignore'})
    try {
      const next = await new Promise<{status: number | null; stderr: string}>((resolve) => {
        const child = spawn(process.execPath, [binRun, 'build-rootfs', '-o', out, 'ls'], {env: {...process.env, NODE_EXTRA_CA_CERTS: ''}, stdio: ['ignore', 'ignore', 'pipe']})
        let stderr = ''
        child.stderr!.on('data', (chunk) => (stderr += chunk))
        child.once('exit', (status) => resolve({status, stderr}))
      })
      expect(next.status, next.stderr).to.equal(0)
      expect(next.stderr).to.not.contain('waiting for')
    } finally {
      toucher.kill('SIGKILL')
    }
    expect(besides(out)).to.deep.equal([])
    expect(existsSync(join(out, 'usr/bin/ls'))).to.equal(true)
  })

  it('four concurrent builds of one output all succeed, one after another, and the tree verifies', async function () {
    const out = join(makeTempDir(), 'rootfs')
    const sets = [['bash'], ['ls', 'cat'], ['ps'], ['true', 'env']]
    const runs = sets.map(
      (programs) =>
        new Promise<{status: number | null; stderr: string}>((resolve) => {
          const child = spawn(process.execPath, [binRun, 'build-rootfs', '-o', out, ...programs], {env: {...process.env, NODE_EXTRA_CA_CERTS: ''}, stdio: ['ignore', 'ignore', 'pipe']})
          let stderr = ''
          child.stderr!.on('data', (chunk) => (stderr += chunk))
          child.once('exit', (status) => resolve({status, stderr}))
        }),
    )
    for (const r of await Promise.all(runs)) expect(r.status, r.stderr).to.equal(0)
    // Without --clean each build kept the others' programs: the last tree has them all.
    for (const program of sets.flat()) expect(existsSync(join(out, 'usr/bin', program)), program).to.equal(true)
    const verified = cli(['verify', out])
    expect(verified.status, verified.stdout + verified.stderr).to.equal(0)
    expect(besides(out)).to.deep.equal([])
  })

  it('-o / is refused before any lock is taken, whoever asks', function () {
    // Root first: where uid 65534 cannot run the checkout, the test skips after root's half.
    for (const rootless of [false, true]) {
      if (rootless) requireRootless(this)
      const full = asUser([process.execPath, binRun, 'build-rootfs', '-o', '/', 'true'], rootless)
      const r = spawnSync(full[0], full.slice(1), {encoding: 'utf8', env: {...process.env, NODE_EXTRA_CA_CERTS: ''}, cwd: '/'})
      expect(r.status, r.stderr).to.equal(2)
      expect(r.stderr).to.contain('host\'s root').and.not.contain('lock')
      expect(existsSync('/.ns-tool.lock')).to.equal(false)
    }
  })

  it('a system error without the name of its call (a stream\'s) is still one line naming the path and errno', () => {
    // What a write stream rejects with when the disk fills: a code and a path, no syscall.
    const error = Object.assign(new Error('ENOSPC: no space left on device, write'), {code: 'ENOSPC', path: '/out.ns-tool-staging-1/usr/lib/x.so'})
    const failure = writeFailure(error, '/out.ns-tool-staging-1', '/out')
    expect(failure).to.be.instanceOf(NsToolError)
    expect(failure.message).to.equal('/out/usr/lib/x.so: write failed (ENOSPC: no space left on device); /out is unchanged')
  })

  it('a full filesystem: one line naming the path and ENOSPC, the previous tree intact', function () {
    if (!isRoot) skipBecause(this, 'mounting a small tmpfs needs root')
    const mnt = makeTempDir()
    const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', mnt], {encoding: 'utf8'})
    if (mounted.status !== 0) skipBecause(this, `cannot mount a tmpfs here: ${mounted.stderr.trim()}`)
    try {
      const out = join(mnt, 'rootfs')
      const first = cli(['build-rootfs', '-q', '-o', out, 'true'])
      expect(first.status, first.stderr).to.equal(0)
      const before = listing(out)
      const r = cli(['build-rootfs', '-o', out, 'bash', 'ls', 'ps'])
      expect(r.status).to.equal(1)
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1)
      expect(r.stderr).to.match(new RegExp(`${out}/\\S+: \\w+ failed \\(ENOSPC: no space left on device\\); ${out} is unchanged`))
      expect(listing(out)).to.deep.equal(before)
      expect(besides(out)).to.deep.equal([])
    } finally {
      spawnSync('umount', [mnt])
    }
  })

  it('as uid 65534, a parent it may not write: one line naming it and EACCES, the tree intact', function () {
    requireRootless(this)
    const shared = makeSharedTempDir()
    const parent = join(shared, 'root-owned')
    mkdirSync(parent, {mode: 0o755})
    const out = join(parent, 'rootfs')
    expect(cli(['build-rootfs', '-q', '-o', out, 'true']).status).to.equal(0)
    spawnSync('chown', ['-R', '65534:65534', out])
    chownSync(parent, 0, 0)
    const before = listing(out)
    const env = {...process.env, NODE_EXTRA_CA_CERTS: '', HOME: shared}
    const asNobody = (args: string[]) => {
      const full = asUser([process.execPath, binRun, 'build-rootfs', ...args], true)
      return spawnSync(full[0], full.slice(1), {encoding: 'utf8', env, cwd: '/'})
    }
    for (const target of [out, join(parent, 'new', 'rootfs')]) {
      const r = asNobody(['-o', target, 'true', 'ls'])
      expect(r.status, r.stderr).to.equal(1)
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1)
      expect(r.stderr).to.contain('EACCES: permission denied').and.to.contain(parent).and.not.contain('another')
    }
    expect(listing(out)).to.deep.equal(before)
    expect(readdirSync(parent)).to.deep.equal(['rootfs'])
  })
})
