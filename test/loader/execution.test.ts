// What `run` does with a command this host cannot execute as it is: a tree of another architecture
// runs under qemu registered in the sandbox's own binfmt_misc (as root and as uid 65534), and the
// same job gives what it gives on the host; the host's binfmt_misc is left as it was; without qemu,
// or for a file the kernel refuses, one line and exit 126.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {chmodSync, mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {binRun, cli} from '../support/cli.js'
import {compile} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeSuiteTempDir} from '../support/temp.js'
import {asUser, requireRootless, runEnv} from '../support/run.js'
import {FOREIGN, foreignSysroot, qemuPath} from './foreign-helpers.js'

// `ns-tool run`, as root or through setpriv as uid 65534.
function run(args: string[], options: {rootless?: boolean; path?: string} = {}) {
  const argv = [process.execPath, binRun, 'run', ...args]
  const full = asUser(argv, options.rootless ?? false)
  const r = spawnSync(full[0], full.slice(1), {encoding: 'utf8', timeout: 120_000, cwd: '/', env: {...runEnv, ...(options.path && {PATH: options.path})}})
  return {status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '')}
}

// The host's own binfmt_misc, as far as it can be seen: its entries and its status.
function hostBinfmt(): string {
  const dir = '/proc/sys/fs/binfmt_misc'
  try {
    return readdirSync(dir).sort().join(' ')
  } catch (error) {
    return (error as NodeJS.ErrnoException).code ?? 'unreadable'
  }
}

// The job: bash arithmetic and strings, coreutils (or busybox) sort, tr and sha256sum.
const JOB = 'printf "%s\\n" pear apple fig | sort | tr a-z A-Z; echo $((6 * 7)) ${#BASH_VERSION}; printf abc | SHA256'

describe('run: commands this host cannot execute as they are', function () {
  before(function () {
    if (!isRoot) skipBecause(this, 'these tests build their trees as root and switch to uid 65534 with setpriv')
  })

  for (const arch of FOREIGN) {
    it(`a ${arch.deb} tree runs through qemu registered for the sandbox alone, as root and rootless`, function () {
      qemuPath(this, arch)
      const sysroot = foreignSysroot(this, arch)
      const out = join(makeSuiteTempDir(), 'rootfs')
      // arm64: coreutils' own programs; armhf: busybox's applets.
      const coreutils = arch.deb === 'arm64'
      const programs = coreutils ? ['/bin/bash', '/usr/bin/sort', '/usr/bin/tr', '/usr/bin/sha256sum', '/bin/uname'] : ['/bin/bash', '/bin/busybox']
      const built = cli(['build-rootfs', '--sysroot', sysroot, '-o', out, ...programs])
      expect(built.status, built.stderr).to.equal(0)
      const tool = (name: string) => (coreutils ? name : `busybox ${name}`)
      const job = `${JOB.replace('SHA256', tool('sha256sum')).replace(/\btr\b/, tool('tr')).replace(/\bsort\b/, tool('sort'))}; ${tool('uname')} -m`
      const host = spawnSync('/bin/bash', ['-c', JOB.replace('SHA256', 'sha256sum')], {encoding: 'utf8'})
      const before = hostBinfmt()
      // Root first: where uid 65534 cannot run the checkout, the test skips after root's half.
      for (const rootless of [false, true]) {
        if (rootless) requireRootless(this)
        const inside = run([out, '/bin/bash', '-c', job], {rootless})
        expect(inside.status, inside.stderr).to.equal(0)
        // uname -m says what the emulated CPU is: the tree's own architecture.
        expect(inside.stdout, inside.stderr).to.equal(`${host.stdout}${arch.name === 'arm' ? 'armv7l' : arch.name}\n`)
      }
      expect(hostBinfmt()).to.equal(before)
      // Outside the sandbox, the host still has no word for these programs.
      const outside = spawnSync('/bin/sh', ['-c', 'exec "$0" -c true', join(sysroot, 'bin/bash')], {encoding: 'utf8'})
      expect({status: outside.status, refused: /exec format error/i.test(outside.stderr)}).to.deep.equal({status: 126, refused: true})
    })
  }

  it('without qemu-user-static: exit 126 and one line naming the architecture and what to install', function () {
    const [arm64] = FOREIGN
    const sysroot = foreignSysroot(this, arm64)
    const out = join(makeSuiteTempDir(), 'rootfs')
    expect(cli(['build-rootfs', '--sysroot', sysroot, '-o', out, '/bin/bash']).status).to.equal(0)
    const refused = run([out, '/bin/bash', '-c', 'true'], {path: '/nonexistent'})
    expect({status: refused.status, stderr: refused.stderr}).to.deep.equal({
      status: 126,
      stderr: 'ns-tool run: exec format error: /bin/bash is ELF 64-bit aarch64; this x86_64 kernel does not execute aarch64 programs (install qemu-user-static to run it under emulation)\n',
    })
    const never = run(['--userns', 'never', out, '/bin/bash', '-c', 'true'])
    expect(never.status).to.equal(125)
    expect(never.stderr).to.include('drop --userns never')
  })

  it('an i386 program runs when the kernel has IA32 emulation, else exit 126 saying it has none', function () {
    const out = makeSuiteTempDir()
    let prog: string
    try {
      prog = compile({sources: ['resolve/plain.c'], flags: ['-m32', '-static'], output: join(out, 'plain32')})
    } catch {
      skipBecause(this, 'no i386 C library to link -m32 -static (gcc-multilib)')
    }
    chmodSync(out, 0o755)
    const here = spawnSync(prog, [], {encoding: 'utf8'})
    const inside = run([out, '/plain32'], {path: '/nonexistent'})
    if (here.status === 0) expect({status: inside.status, stdout: inside.stdout}).to.deep.equal({status: 0, stdout: 'plain\n'})
    else expect({status: inside.status, stderr: inside.stderr}).to.deep.equal({status: 126, stderr: 'ns-tool run: exec format error: /plain32 is ELF 32-bit i386; this kernel has no IA32 emulation (install qemu-user-static to run it under emulation)\n'})
  })

  it('a file the kernel refuses, or whose interpreter is missing, is exit 126 with the reason, not 127', function () {
    const out = makeSuiteTempDir()
    mkdirSync(join(out, 'bin'))
    writeFileSync(join(out, 'bin/garbage'), Buffer.alloc(300, 0x5a), {mode: 0o755})
    const plain = compile({sources: ['resolve/plain.c'], output: join(out, 'bin/plain')})
    const garbage = run([out, '/bin/garbage'])
    expect({status: garbage.status, stderr: garbage.stderr}).to.deep.equal({status: 126, stderr: 'ns-tool-helper: exec format error: /bin/garbage is neither an ELF program nor a #! script\n'})
    const interpreter = spawnSync('readelf', ['-l', plain], {encoding: 'utf8'}).stdout.match(/interpreter: (\S+)\]/)![1]
    const missing = run([out, 'plain'], {path: '/bin'})
    expect({status: missing.status, stderr: missing.stderr}).to.deep.equal({status: 126, stderr: `ns-tool-helper: /bin/plain: its interpreter ${interpreter} is not in the rootfs\n`})
    writeFileSync(join(out, 'bin/script'), '#!/bin/nowhere\n', {mode: 0o755})
    expect(run([out, '/bin/script']).stderr).to.equal('ns-tool-helper: /bin/script: its interpreter /bin/nowhere is not in the rootfs\n')
    expect(run([out, '/bin/nothing']).status).to.equal(127)
  })
})
