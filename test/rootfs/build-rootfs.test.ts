// build-rootfs end to end: real programs, real fixtures, the real loader (through chroot) as oracle.
import {expect} from 'chai'
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {requireStaticBusybox} from '../support/busybox.js'
import {binRun, cli} from '../support/cli.js'
import {compile, glibcRoot, privateCopySysroot} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeSharedTempDir, makeTempDir} from '../support/temp.js'
import {asUser, requireRootless} from '../support/run.js'

// A recursive listing with what matters for "unchanged": type, mode, size, mtime, link target.
function listing(dir: string): string[] {
  if (!existsSync(dir)) return ['<absent>']
  const out: string[] = []
  const walk = (rel: string) => {
    for (const name of readdirSync(join(dir, rel)).sort()) {
      const path = join(dir, rel, name)
      const stat = lstatSync(path)
      out.push(`${join(rel, name)} ${stat.mode} ${stat.size} ${stat.mtimeMs} ${stat.isSymbolicLink() ? readlinkSync(path) : ''}`)
      if (stat.isDirectory()) walk(join(rel, name))
    }
  }
  walk('.')
  return out
}

// Runs a command chrooted into the tree, with its own /proc (ps needs one).
function inRootfs(rootfs: string, command: string): ReturnType<typeof spawnSync> {
  return spawnSync('unshare', ['--mount', '--pid', '--fork', `--mount-proc=${join(rootfs, 'proc')}`, 'chroot', rootfs, '/bin/bash', '-c', command], {encoding: 'utf8'})
}

function build(args: string[], env: Record<string, string> = {}) {
  return cli(['build-rootfs', ...args], {env})
}

describe('build-rootfs', function () {
  let work: string
  beforeEach(() => {
    work = makeTempDir()
  })

  for (const layout of ['host', 'flat']) {
    it(`builds bash ls ps in the ${layout} layout: they run in the tree and ls shows root as owner`, function () {
      if (!isRoot) skipBecause(this, 'chroot needs root')
      const out = join(work, 'rootfs')
      const r = build(['--layout', layout, '-o', out, 'bash', 'ls', 'ps'])
      expect(r.status, r.stderr).to.equal(0)
      const run = inRootfs(out, 'ls -l /bin/ls; ps --version')
      expect(run.status, String(run.stderr)).to.equal(0)
      expect(String(run.stdout)).to.match(/root root .* \/bin\/ls/)
      expect(String(run.stdout)).to.match(/procps-ng/)
      expect(lstatSync(join(out, 'tmp')).mode & 0o7777).to.equal(0o1777)
      expect(verify(out).status).to.equal(0)
      // Debian's loader finds these libraries in its default directories; only flat's /lib64
      // needs a cache.
      expect(existsSync(join(out, 'etc/ld.so.cache')), 'ld.so.cache').to.equal(layout === 'flat')
    })
  }

  it('lists in the ld.so.cache only the system\'s copy of a soname that one program also has privately', function () {
    if (!isRoot) skipBecause(this, 'chroot needs root')
    // /opt/b/bin/b finds its own libdup.so.1 through RUNPATH; /usr/bin/a finds the system's. b is
    // resolved first, so its copy would come first in the cache if it were listed.
    const sysroot = join(work, 'sysroot')
    privateCopySysroot(sysroot)
    const out = join(work, 'rootfs')
    const r = build(['--sysroot', sysroot, '-o', out, '/opt/b/bin/b', '/usr/bin/a'])
    expect(r.status, r.stderr).to.equal(0)
    expect(existsSync(join(out, 'etc/ld.so.cache')), 'a library outside the default directories').to.equal(true)
    expect(spawnSync('chroot', [out, '/usr/bin/a'], {encoding: 'utf8'}).stdout).to.equal('system\n')
    expect(spawnSync('chroot', [out, '/opt/b/bin/b'], {encoding: 'utf8'}).stdout).to.equal('private\n')
  })

  it('as uid 65534: the flat layout gets its cache, a PATH directory it may not enter is no obstacle, the rebuild copies nothing', function () {
    requireRootless(this)
    const shared = makeSharedTempDir()
    const closed = join(shared, 'closed')
    mkdirSync(closed, {mode: 0o700})
    const env = {...process.env, NODE_EXTRA_CA_CERTS: '', HOME: shared, PATH: `${closed}:${process.env.PATH}`}
    const asNobody = (args: string[]) => {
      const full = asUser([process.execPath, binRun, 'build-rootfs', ...args], true)
      return spawnSync(full[0], full.slice(1), {encoding: 'utf8', env, cwd: '/'})
    }
    const out = join(shared, 'rootfs')
    const first = asNobody(['--json', '--layout', 'flat', '-o', out, 'bash', 'ls'])
    expect(first.status, first.stderr).to.equal(0)
    expect(existsSync(join(out, 'etc/ld.so.cache'))).to.equal(true)
    const again = asNobody(['--json', '--layout', 'flat', '-o', out, 'bash', 'ls'])
    expect(again.status, again.stderr).to.equal(0)
    expect(JSON.parse(again.stdout).stats.copied).to.equal(0)
    const run = spawnSync('chroot', [out, '/bin/bash', '-c', 'ls /lib64 >/dev/null && echo ran'], {encoding: 'utf8'})
    expect(run.stdout, run.stderr).to.equal('ran\n')
  })

  it('makes an /etc/ld.so.cache when a library lies where only ld.so.conf leads, and the program runs', function () {
    if (!isRoot) skipBecause(this, 'chroot needs root')
    // A sysroot with the host's loader and libc, and a library in /opt/fix/lib that its
    // /etc/ld.so.conf lists (no cache there: the resolver reads the configuration).
    const sysroot = join(work, 'sysroot')
    glibcRoot(sysroot)
    mkdirSync(join(sysroot, 'opt/fix/lib'), {recursive: true})
    writeFileSync(join(sysroot, 'etc/ld.so.conf'), '/opt/fix/lib\n')
    const lib = compile({sources: ['elf/lib.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libconffix.so.1'], output: join(sysroot, 'opt/fix/lib/libconffix.so.1')})
    compile({sources: ['elf/main.c', lib], output: join(sysroot, 'usr/bin/prog')})
    const out = join(work, 'rootfs')
    const r = build(['--sysroot', sysroot, '-o', out, '/usr/bin/prog'])
    expect(r.status, r.stderr).to.equal(0)
    expect(existsSync(join(out, 'etc/ld.so.cache'))).to.equal(true)
    const run = spawnSync('chroot', [out, '/usr/bin/prog'], {encoding: 'utf8'})
    expect(run.status, run.stderr).to.equal(0)
    // Without the cache the loader would not look in /opt/fix/lib.
    rmSync(join(out, 'etc/ld.so.cache'))
    expect(spawnSync('chroot', [out, '/usr/bin/prog'], {encoding: 'utf8'}).stderr).to.contain('libconffix.so.1')
  })

  it('recreates the host\'s links on the way (merged /usr, the interpreter link)', function () {
    const out = join(work, 'rootfs')
    expect(build(['-o', out, 'bash']).status).to.equal(0)
    for (const top of ['/bin', '/lib', '/lib64']) {
      const host = lstatSync(top)
      if (host.isSymbolicLink()) expect(readlinkSync(join(out, top))).to.equal(readlinkSync(top))
    }
    expect(existsSync(join(out, '/lib64/ld-linux-x86-64.so.2'))).to.equal(true)
    expect(lstatSync(join(out, '/usr/bin/bash')).isFile()).to.equal(true)
  })

  it('--dry-run --json prints the whole plan into a pipe, however large', function () {
    const tree = join(work, 'many')
    mkdirSync(tree)
    for (let i = 0; i < 2000; i++) writeFileSync(join(tree, `file-${i}`), '')
    const r = build(['--dry-run', '--json', '-o', join(work, 'out'), '--file', `${tree}:/data`, 'true'])
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stdout.length).to.be.greaterThan(65536)
    const plan = JSON.parse(r.stdout) as {entries: Array<{path: string}>}
    expect(plan.entries.filter((e) => e.path.startsWith('/data/'))).to.have.length(2000)
  })

  it('--resolver ldd and --resolver elf give the same plan for bash ls ps', function () {
    const elf = build(['--dry-run', '--json', '-o', join(work, 'a'), 'bash', 'ls', 'ps'])
    const ldd = build(['--dry-run', '--json', '--resolver', 'ldd', '-o', join(work, 'a'), 'bash', 'ls', 'ps'])
    expect(elf.status, elf.stderr).to.equal(0)
    expect(ldd.status, ldd.stderr).to.equal(0)
    const paths = (text: string) => (JSON.parse(text).entries as Array<{path: string; type: string}>).map((e) => `${e.type} ${e.path}`).sort()
    expect(paths(ldd.stdout)).to.deep.equal(paths(elf.stdout))
    expect(existsSync(join(work, 'a')), '--dry-run wrote nothing').to.equal(false)
  })

  it('runs fixtures in their rootfs: RPATH chain, $ORIGIN through a symlink, static, static-pie, #!/usr/bin/env', function () {
    if (!isRoot) skipBecause(this, 'chroot needs root')
    const app = join(work, 'opt', 'app')
    mkdirSync(join(app, 'lib'), {recursive: true})
    mkdirSync(join(app, 'bin'), {recursive: true})
    const lib = compile({sources: ['elf/lib.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libelffix.so.1'], output: join(app, 'lib', 'libelffix.so.1')})
    const prog = compile({sources: ['elf/main.c', lib], flags: ['-Wl,--disable-new-dtags', '-Wl,-rpath,$ORIGIN/../lib'], output: join(app, 'bin', 'prog')})
    symlinkSync(prog, join(work, 'prog-link'))
    const statik = compile({sources: ['resolve/plain.c'], flags: ['-static'], output: join(work, 'static')})
    const pie = compile({sources: ['resolve/plain.c'], flags: ['-static-pie'], output: join(work, 'static-pie')})
    const script = join(work, 'hello.sh')
    writeFileSync(script, '#!/usr/bin/env bash\necho "hello from $BASH_VERSION"\n')
    chmodSync(script, 0o755)
    // On the host first: each runs.
    for (const p of [join(work, 'prog-link'), statik, pie, script]) expect(spawnSync(p).status, p).to.equal(0)
    // ldd is wrong here: it runs `ld.so prog-link`, so $ORIGIN is the link's directory.
    expect(spawnSync('ldd', [join(work, 'prog-link')], {encoding: 'utf8'}).stdout).to.match(/libelffix\.so\.1 => not found/)
    const out = join(work, 'rootfs')
    const r = build(['-o', out, join(work, 'prog-link'), statik, pie, script])
    expect(r.status, r.stderr).to.equal(0)
    for (const p of [prog, statik, pie, script]) {
      const run = spawnSync('chroot', [out, p], {encoding: 'utf8'})
      expect(run.status, `${p}: ${run.stderr}`).to.equal(0)
    }
  })

  it('fails naming the missing soname and who needs it, unless --allow-missing', function () {
    const dir = join(work, 'm')
    mkdirSync(dir)
    const lib = compile({sources: ['elf/lib.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libgone.so.1'], output: join(dir, 'libgone.so.1')})
    const prog = compile({sources: ['elf/main.c', lib], output: join(dir, 'needs-gone')})
    rmSync(lib)
    expect(spawnSync(prog).status, 'the host loader refuses it too').to.not.equal(0)
    const out = join(work, 'rootfs')
    const r = build(['-o', out, prog])
    expect(r.status).to.equal(1)
    expect(r.stderr).to.contain('libgone.so.1').and.to.contain(prog)
    expect(r.stderr).to.not.match(/\n\s+at /)
    expect(existsSync(out)).to.equal(false)
    const allowed = build(['-o', out, '--allow-missing', prog])
    expect(allowed.status, allowed.stderr).to.equal(0)
    expect(allowed.stderr).to.contain('libgone.so.1')
  })

  it('rejects bad input with one clear line and leaves the output exactly as it was', function () {
    const out = join(work, 'rootfs')
    expect(build(['-o', out, 'true']).status).to.equal(0)
    const before = listing(out)
    const garbage = join(work, 'garbage')
    writeFileSync(garbage, Buffer.concat([Buffer.from('\x7fELF\x02\x01\x01'), Buffer.alloc(20, 0xff)]))
    chmodSync(garbage, 0o755)
    const loop = join(work, 'loop')
    symlinkSync(loop, loop)
    const script = join(work, 'orphan.sh')
    writeFileSync(script, '#!/nonexistent/interp\n')
    chmodSync(script, 0o755)
    // An aarch64 program (e_machine and PT_INTERP patched) whose interpreter this host lacks.
    const foreign = join(work, 'foreign')
    const elf = readFileSync('/usr/bin/true')
    elf.writeUInt16LE(183, 18)
    const interp = elf.indexOf('/lib64/ld-linux-x86-64.so.2\0')
    Buffer.from('/lib/ld-linux-aarch64.so.1\0\0').copy(elf, interp)
    writeFileSync(foreign, elf)
    chmodSync(foreign, 0o755)
    const cases: Array<[string[], string]> = [
      [[foreign], '/lib/ld-linux-aarch64.so.1'],
      [['no-such-program-xyz'], 'no-such-program-xyz'],
      [[work], work],
      [[garbage], garbage],
      [[loop], loop],
      [[script], '/nonexistent/interp'],
      [['--file', join(work, 'absent-file'), 'true'], 'absent-file'],
      [['--file', '/etc/hostname:../../escape', 'true'], '..'],
    ]
    for (const [args, named] of cases) {
      const r = build(['-o', out, ...args])
      expect([1, 2], `${args.join(' ')}: ${r.stderr}`).to.include(r.status)
      expect(r.stderr, args.join(' ')).to.contain(named)
      expect(r.stderr.trim().split('\n').length, r.stderr).to.be.lessThan(4)
      expect(r.stderr).to.not.match(/\n\s+at /)
      expect(listing(out), args.join(' ')).to.deep.equal(before)
    }
    const file = join(work, 'a-file')
    writeFileSync(file, 'x')
    expect(build(['-o', file, 'true']).status).to.equal(2)
    expect(build(['-o', '/', 'true']).status).to.equal(2)
  })

  it('never writes through a symlink in the output that points outside', function () {
    const out = join(work, 'rootfs')
    expect(build(['-o', out, 'true']).status).to.equal(0)
    const outside = join(work, 'outside')
    mkdirSync(outside)
    // A hostile link where the build will want a directory of its own.
    rmSync(join(out, 'etc'), {recursive: true})
    symlinkSync(outside, join(out, 'etc'))
    const r = build(['-o', out, 'true'])
    expect(readdirSync(outside)).to.deep.equal([])
    // The rebuild's own /etc wins over the planted link (as over any entry at a planned path).
    expect(r.status, r.stderr).to.equal(0)
    expect(lstatSync(join(out, 'etc')).isDirectory()).to.equal(true)
  })

  it('a rebuild of an unchanged tree copies nothing; --clean removes what is no longer planned', function () {
    const out = join(work, 'rootfs')
    const first = build(['--json', '-o', out, 'bash', 'ls'])
    expect(first.status, first.stderr).to.equal(0)
    expect(JSON.parse(first.stdout).stats.copied).to.be.greaterThan(3)
    const again = build(['--json', '-o', out, 'bash', 'ls'])
    const stats = JSON.parse(again.stdout).stats
    expect(stats.copied).to.equal(0)
    expect(stats.reused).to.equal(JSON.parse(first.stdout).stats.copied)
    // Another request with the same plan (PATH is part of it): the tree stays, and the manifest
    // records the new request so that the next rebuild can reuse its plan.
    const path = `/nonexistent:${process.env.PATH}`
    const other = build(['--json', '-o', out, 'bash', 'ls'], {PATH: path})
    expect(JSON.parse(other.stdout).stats.copied).to.equal(0)
    const manifest = JSON.parse(readFileSync(join(out, 'var/lib/ns-tool/manifest.json'), 'utf8'))
    expect(JSON.parse(manifest.cache.request).path).to.equal(path)
    // A file deleted from the tree (its directory's mtime changes) is put back, and only it.
    rmSync(join(out, 'usr/bin/ls'))
    const repaired = build(['--json', '-o', out, 'bash', 'ls'])
    expect(JSON.parse(repaired.stdout).stats.copied, repaired.stderr).to.equal(1)
    expect(lstatSync(join(out, 'usr/bin/ls')).isFile()).to.equal(true)
    writeFileSync(join(out, 'root', 'note'), 'mine')
    expect(build(['-o', out, 'bash']).status).to.equal(0)
    expect(existsSync(join(out, 'root', 'note')), 'kept without --clean').to.equal(true)
    expect(existsSync(join(out, 'usr/bin/ls'))).to.equal(true)
    expect(build(['--clean', '-o', out, 'bash']).status).to.equal(0)
    expect(existsSync(join(out, 'root', 'note'))).to.equal(false)
    expect(existsSync(join(out, 'usr/bin/ls'))).to.equal(false)
  })

  it('a rebuild notices a changed source and a new program on PATH (the reused plan is checked, not trusted)', function () {
    const dir = join(work, 'bin')
    mkdirSync(dir)
    const tool = join(dir, 'tool')
    compile({sources: ['resolve/plain.c'], output: tool})
    const env = {PATH: `${dir}:${process.env.PATH}`}
    const out = join(work, 'rootfs')
    expect(build(['-o', out, 'tool'], env).status).to.equal(0)
    expect(JSON.parse(build(['--json', '-o', out, 'tool'], env).stdout).stats.copied).to.equal(0)
    // A new build of the program (new inode, size or mtime) is copied again.
    rmSync(tool)
    compile({sources: ['resolve/plain.c'], flags: ['-O2', '-DUNUSED=1'], output: tool})
    expect(JSON.parse(build(['--json', '-o', out, 'tool'], env).stdout).stats.copied).to.equal(1)
    // A program of the same name earlier on PATH wins, as the shell would pick it.
    const early = join(work, 'early')
    mkdirSync(early)
    compile({sources: ['resolve/plain.c'], output: join(early, 'tool')})
    const again = JSON.parse(build(['--json', '-o', out, 'tool'], {PATH: `${early}:${env.PATH}`}).stdout)
    expect(again.programs[0].path).to.equal(join(early, 'tool'))
  })

  it('a second build of the same output waits for the first; once the first is killed, it takes over the stale lock', async function () {
    this.timeout(60_000)
    const out = join(work, 'rootfs')
    expect(build(['-o', out, 'true']).status).to.equal(0)
    const before = listing(out)
    const env = {...process.env, NODE_EXTRA_CA_CERTS: ''}
    const first = spawn(process.execPath, [binRun, 'build-rootfs', '-o', out, 'bash'], {env: {...env, NS_TOOL_TEST_PAUSE: 'staged'}, stdio: ['ignore', 'ignore', 'pipe']})
    const firstExit = new Promise((resolve) => first.once('exit', resolve))
    await new Promise<void>((resolve, reject) => {
      let seen = ''
      first.stderr!.on('data', (chunk) => {
        seen += chunk
        if (seen.includes('paused at staged')) resolve()
      })
      first.once('exit', () => reject(new Error(`the first build exited before pausing: ${seen}`)))
    })
    const second = spawn(process.execPath, [binRun, 'build-rootfs', '-o', out, 'ls'], {env, stdio: ['ignore', 'ignore', 'pipe']})
    let secondDone = false
    let secondErr = ''
    second.stderr!.on('data', (chunk) => (secondErr += chunk))
    const secondExit = new Promise<number | null>((resolve) => second.once('exit', (code) => ((secondDone = true), resolve(code))))
    try {
      // A plain build of ls takes a fraction of a second; while the first holds the lock the
      // second must not finish, and the tree must stay as it was.
      await new Promise((resolve) => setTimeout(resolve, 1500))
      expect(secondDone, 'the second build waited').to.equal(false)
      expect(listing(out)).to.deep.equal(before)
    } finally {
      first.kill('SIGKILL')
      await firstExit
    }
    expect(await secondExit, secondErr).to.equal(0)
    expect(existsSync(join(out, 'usr/bin/ls'))).to.equal(true)
    expect(existsSync(join(out, 'usr/bin/bash')), 'nothing of the killed build').to.equal(false)
    expect(verify(out).status).to.equal(0)
    expect(readdirSync(work).filter((n) => n.includes('.ns-tool-staging'))).to.deep.equal([])
  })

  it('a build killed with SIGKILL at several points leaves the previous tree intact', async function () {
    const out = join(work, 'rootfs')
    expect(build(['-o', out, 'true']).status).to.equal(0)
    for (const point of ['staged', 'switch']) {
      const before = listing(out)
      const child = spawn(process.execPath, [binRun, 'build-rootfs', '-o', out, 'bash'], {env: {...process.env, NODE_EXTRA_CA_CERTS: '', NS_TOOL_TEST_PAUSE: point}, stdio: ['ignore', 'ignore', 'pipe']})
      await new Promise<void>((resolve, reject) => {
        let seen = ''
        child.stderr!.on('data', (chunk) => {
          seen += chunk
          if (seen.includes(`paused at ${point}`)) resolve()
        })
        child.on('exit', () => reject(new Error(`build exited before ${point}: ${seen}`)))
      })
      child.kill('SIGKILL')
      await new Promise((resolve) => child.once('exit', resolve))
      // Right after the kill, before any other build: before the switch the previous tree is in
      // place, unchanged; after the (atomic) exchange, the new tree is, complete.
      if (point === 'staged') expect(listing(out), `after a kill at ${point}`).to.deep.equal(before)
      else {
        expect(existsSync(join(out, 'usr/bin/bash')), 'the new tree').to.equal(true)
        expect(verify(out).status, 'the new tree is complete').to.equal(0)
      }
      // The tree now in place is reused as is: nothing to copy again.
      const next = build(['-o', out, point === 'staged' ? 'true' : 'bash', '--json'])
      expect(next.status, next.stderr).to.equal(0)
      expect(JSON.parse(next.stdout).stats.copied, `after a kill at ${point}`).to.equal(0)
      expect(readdirSync(work).filter((n) => n.includes('.ns-tool-'))).to.deep.equal([])
    }
  })

  it('--busybox adds busybox and its applet links; --file adds directories and the dependencies of ELF files in them', function () {
    requireStaticBusybox(this)
    const extra = join(work, 'extra')
    mkdirSync(join(extra, 'bin'), {recursive: true})
    writeFileSync(join(extra, 'README'), 'hi')
    spawnSync('cp', ['/usr/bin/ls', join(extra, 'bin', 'my-ls')])
    const out = join(work, 'rootfs')
    const r = build(['-o', out, '--busybox', '--file', `${extra}:/opt/extra`])
    expect(r.status, r.stderr).to.equal(0)
    expect(statSync(join(out, 'bin/busybox')).isFile()).to.equal(true)
    expect(readlinkSync(join(out, 'bin/sh'))).to.match(/busybox$/)
    expect(existsSync(join(out, 'opt/extra/README'))).to.equal(true)
    expect(existsSync(join(out, 'lib/x86_64-linux-gnu/libselinux.so.1')), 'my-ls brought its libraries').to.equal(true)
    if (isRoot) expect(spawnSync('chroot', [out, '/opt/extra/bin/my-ls', '/']).status).to.equal(0)
  })
})

function verify(rootfs: string) {
  return cli(['verify', rootfs])
}
