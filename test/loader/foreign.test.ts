// Trees for other architectures, from Debian's own arm64 and armhf packages unpacked into a
// sysroot: the loader's directories, search order and cache flags, checked against that
// architecture's own loader run under qemu (`qemu-ARCH-static -L SYSROOT`); files of another machine
// passed over and named; build-rootfs's word on a program this host cannot execute.
import {expect} from 'chai'
import {copyFileSync, readFileSync, realpathSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import type {Context} from 'mocha'
import {parseLddOutput} from '../../src/ldd/parse.js'
import {resolve} from '../../src/loader/index.js'
import {parseLdCache} from '../../src/loader/ld-cache.js'
import {loaderProfile} from '../../src/loader/loader.js'
import {Sysroot} from '../../src/loader/sysroot.js'
import {cli} from '../support/cli.js'
import {compile} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'
import {FOREIGN, foreignSysroot, qemuPath, type ForeignArch} from './foreign-helpers.js'
import {run} from './helpers.js'

// The architecture's loader under qemu with the sysroot as its root (-L).
function foreignLoader(ctx: Context, arch: ForeignArch, root: string, args: string[], env: Record<string, string> = {}) {
  const qemu = qemuPath(ctx, arch)
  const setEnv = Object.entries(env).map(([k, v]) => `${k}=${v}`)
  return run(qemu, ['-L', root, ...(setEnv.length ? ['-E', setEnv.join(',')] : []), join(root, arch.loader), ...args], arch.qemuEnv)
}

describe('resolve: foreign-architecture sysroots from Debian packages', function () {
  for (const arch of FOREIGN) {
    describe(arch.deb, function () {
      it('reads the default directories from the loader, and searches them in its order (legacy subdirectories too)', async function () {
        const root = foreignSysroot(this, arch)
        const help = foreignLoader(this, arch, root, ['--help']).stdout
        const profile = loaderProfile(new Sysroot(root), arch.id, arch.loader)
        expect(profile.source).to.equal('loader')
        expect(profile.systemDirs).to.deep.equal([...help.matchAll(/^ {2}(\/\S*) \(system search path\)$/gm)].map((m) => m[1]))
        expect(profile.systemDirs.slice(0, 2)).to.deep.equal([`/lib/${arch.triplet}`, `/usr/lib/${arch.triplet}`])

        rmSync(join(root, 'lib', arch.triplet, 'libtinfo.so.6'))
        // Without a cache the loader reads no ld.so.conf (the resolver would search its directories
        // as ldconfig would cache them; arm64's libc-bin brings one).
        rmSync(join(root, 'etc/ld.so.conf'), {force: true})
        rmSync(join(root, 'etc/ld.so.conf.d'), {recursive: true, force: true})
        const closure = await resolve(['/bin/bash'], {sysroot: root})
        expect(closure.missing.map((m) => m.soname)).to.deep.equal(['libtinfo.so.6'])
        const traced = foreignLoader(this, arch, root, ['/bin/bash', '-c', 'true'], {LD_DEBUG: 'libs'}).stderr
        const tried = [...traced.matchAll(/trying file=(\S+)/g)].map((m) => m[1])
        expect(closure.missing[0].searched).to.deep.equal([...new Set(tried)])
      })

      it('finds what the loader loads for bash, and build-rootfs says this host cannot run it', async function () {
        const root = foreignSysroot(this, arch)
        const closure = await resolve(['/bin/bash'], {sysroot: root})
        expect(closure.missing).to.deep.equal([])
        expect(closure.programs[0]).to.deep.include({type: 'dynamic', interpreter: arch.loader})
        const sysroot = new Sysroot(root)
        const listed = parseLddOutput(foreignLoader(this, arch, root, ['--list', '/bin/bash']).stdout, ['/bin/bash'])[0].lines
        const loaded = listed.flatMap((l) => (l.type === 'library' ? [l.name.startsWith('/') ? l.name : l.path] : []))
        const ours = closure.files.filter((f) => f.kind !== 'program').map((f) => sysroot.realpath(f.path))
        expect(ours.sort()).to.deep.equal(loaded.map((p) => sysroot.realpath(p)).sort())

        const out = join(makeTempDir(), 'rootfs')
        const built = cli(['build-rootfs', '--sysroot', root, '-o', out, '/bin/bash'], {env: {PATH: '/nonexistent'}})
        expect(built.status, built.stderr).to.equal(0)
        expect(built.stderr).to.include(`warning: /bin/bash is ELF ${arch.id.elfClass}-bit ${arch.name}: this x86_64 kernel does not execute ${arch.name} programs (install qemu-user-static for ns-tool run to emulate them)`)
        expect(realpathSync(join(out, arch.loader)).startsWith(realpathSync(out))).to.equal(true)
      })
    })
  }

  it('an ld.so.cache made by the architecture\'s own ldconfig is used; one of another machine\'s flags is not', async function () {
    const [arm64] = FOREIGN
    if (!isRoot) skipBecause(this, 'ldconfig -r chroots: it needs root')
    const root = foreignSysroot(this, arm64)
    copyFileSync('/etc/ld.so.cache', join(root, 'etc/ld.so.cache'))
    const withHostCache = await resolve(['/bin/bash'], {sysroot: root})
    expect(withHostCache.files.find((f) => f.soname === 'libc.so.6')).to.deep.include({foundVia: 'default-dirs'})
    const made = run(qemuPath(this, arm64), [join(root, 'sbin/ldconfig'), '-r', root])
    expect(made.status, made.stderr).to.equal(0)
    const cache = parseLdCache(readFileSync(join(root, 'etc/ld.so.cache')))
    expect([...new Set(cache.entries.map((e) => e.flags))]).to.deep.equal([0x0a03])
    const closure = await resolve(['/bin/bash'], {sysroot: root})
    expect(closure.files.find((f) => f.soname === 'libc.so.6')).to.deep.include({foundVia: 'ld.so.cache', path: `/lib/${arm64.triplet}/libc.so.6`})
  })

  it('a library of another machine is passed over and named, as the loader passes it over', async function () {
    const [arm64] = FOREIGN
    const root = foreignSysroot(this, arm64)
    const hostTinfo = (await resolve(['/bin/bash'])).files.find((f) => f.soname === 'libtinfo.so.6')!.path
    copyFileSync(hostTinfo, join(root, 'lib', arm64.triplet, 'libtinfo.so.6'))
    const closure = await resolve(['/bin/bash'], {sysroot: root})
    expect(closure.missing).to.have.length(1)
    expect(closure.missing[0].skipped).to.deep.equal([`/lib/${arm64.triplet}/libtinfo.so.6: ELF 64-bit x86_64`])
    const built = cli(['build-rootfs', '--sysroot', root, '-o', join(makeTempDir(), 'rootfs'), '/bin/bash'])
    expect(built.status).to.equal(1)
    expect(built.stderr).to.include(`libtinfo.so.6 needed by /bin/bash: not found, only files of another class or machine (/lib/${arm64.triplet}/libtinfo.so.6: ELF 64-bit x86_64)`)
    const real = foreignLoader(this, arm64, root, ['/bin/bash', '-c', 'true'])
    expect(real.status).to.equal(127)
    expect(real.stderr).to.include('libtinfo.so.6: cannot open shared object file')
  })

  it('an i386 program: build-rootfs warns exactly when this kernel cannot execute it', function () {
    const dir = makeTempDir()
    let prog: string
    try {
      prog = compile({sources: ['resolve/plain.c'], flags: ['-m32', '-static'], output: join(dir, 'plain32')})
    } catch {
      skipBecause(this, 'no i386 C library to link -m32 -static (gcc-multilib)')
    }
    const runsHere = run(prog).status === 0
    const built = cli(['build-rootfs', '-o', join(dir, 'rootfs'), prog])
    expect(built.status, built.stderr).to.equal(0)
    if (runsHere) expect(built.stderr).to.not.include('warning:')
    else expect(built.stderr).to.include(`warning: ${prog} is ELF 32-bit i386: this kernel has no IA32 emulation`)
  })
})
