// One fixture per rule of design §3. Each asserts the closure, then asks the real loader: the
import {spawnSync} from 'node:child_process'
// objects it loads (LD_TRACE_LOADED_OBJECTS) are exactly the closure's, the paths it tries for a
// missing library are exactly `searched`, and the program runs in a rootfs made of the closure
// alone exactly when it runs on the host, printing the same thing.
import {expect} from 'chai'
import {copyFileSync, mkdirSync, realpathSync, rmSync, symlinkSync, writeFileSync, chmodSync} from 'node:fs'
import {dirname, join} from 'node:path'
import type {Context} from 'mocha'
import {resolve} from '../../src/loader/index.js'
import {loaderProfile} from '../../src/loader/loader.js'
import {Sysroot} from '../../src/loader/sysroot.js'
import type {Closure, ResolveOptions} from '../../src/loader/types.js'
import {compile} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'
import {addFlags1, closureLoads, copyClosure, libchain, libname, loaderLoads, loaderSearch, program, requireFixtureTools, retagDynamic, run, runInRoot, setClass, setMachine, type RunResult} from './helpers.js'

const X86_64 = {machine: 62, elfClass: 64, endian: 'little'} as const
const DT_SONAME = 14
const DT_RUNPATH = 29

function file(closure: Closure, path: string) {
  return closure.files.find((f) => f.path === path)
}

// The program runs in a rootfs holding only the closure exactly when it runs on the host.
function expectSameRun(ctx: Context, closure: Closure, argv: string[], env: Record<string, string | undefined> = {}): RunResult {
  const host = run(argv[0], argv.slice(1), env)
  const root = makeTempDir('ns-tool-rootfs-')
  copyClosure(root, closure)
  const inside = runInRoot(ctx, root, argv, env)
  expect({status: inside.status, stdout: inside.stdout}, `host stderr: ${host.stderr}\nrootfs stderr: ${inside.stderr}`).to.deep.equal({status: host.status, stdout: host.stdout})
  return host
}

// The closure for this program's process is what the loader loads, no more, no less.
function expectLoaderAgrees(closure: Closure, programPath: string, env: Record<string, string | undefined> = {}): void {
  const loader = loaderLoads(programPath, env)
  const ours = closureLoads(closure, programPath)
  expect([...ours.loaded].sort(), loader.output).to.deep.equal([...loader.loaded].sort())
  expect(ours.notFound.sort(), loader.output).to.deep.equal(loader.notFound.sort())
}

async function closureOf(programs: string[], options: ResolveOptions = {}): Promise<Closure> {
  return resolve(programs, options)
}

describe('resolve: the rules of design §3 against the real loader', function () {
  beforeEach(function () {
    requireFixtureTools(this)
  })

  it('rule 1: PT_INTERP is needed exactly as written, and a DT_NEEDED with "/" is a path', async function () {
    const dir = makeTempDir()
    // Linked by path to a library without DT_SONAME: DT_NEEDED is that path.
    const lib = libname(join(dir, 'abs/libname.so'), {name: 'by-path', soname: null})
    const prog = program(join(dir, 'prog'), [lib])
    const closure = await closureOf([prog])
    const interpreter = run('readelf', ['-l', prog]).stdout.match(/interpreter: (\S+)\]/)?.[1]
    expect(closure.programs[0]).to.deep.include({path: prog, type: 'dynamic', interpreter})
    expect(file(closure, interpreter!)).to.deep.include({kind: 'interpreter', foundVia: 'path'})
    expect(file(closure, lib)).to.deep.include({kind: 'library', foundVia: 'path'})
    expectLoaderAgrees(closure, prog)
    expect(expectSameRun(this, closure, [prog]).stdout).to.equal('by-path\n')
  })

  it('rule 2: DT_RPATH applies through the chain of loaders', async function () {
    const dir = makeTempDir()
    const name = libname(join(dir, 'b/libname.so'), {name: 'rpath-b'})
    const chain = libchain(join(dir, 'a/libchain.so'), name)
    const prog = program(join(dir, 'prog'), [chain], {chain: true, flags: ['-Wl,--disable-new-dtags', `-Wl,-rpath,${dir}/a:${dir}/b`]})
    const closure = await closureOf([prog])
    expect(file(closure, chain)).to.deep.include({foundVia: 'rpath', neededBy: [prog]})
    // libchain has no RPATH of its own: the executable's, inherited, finds libname for it.
    expect(file(closure, name)).to.deep.include({foundVia: 'rpath', neededBy: [chain]})
    expect(closure.missing).to.deep.equal([])
    expectLoaderAgrees(closure, prog)
    expect(expectSameRun(this, closure, [prog]).stdout).to.equal('rpath-b\n')
  })

  it('rule 2: DT_RUNPATH is never inherited (and a missing library lists every path the loader tried)', async function () {
    const dir = makeTempDir()
    const name = libname(join(dir, 'b/libname.so'), {name: 'runpath-b'})
    const chain = libchain(join(dir, 'a/libchain.so'), name)
    const prog = program(join(dir, 'prog'), [chain], {chain: true, flags: ['-Wl,--enable-new-dtags', `-Wl,-rpath,${dir}/a:${dir}/b`]})
    const closure = await closureOf([prog])
    expect(file(closure, chain)).to.deep.include({foundVia: 'runpath'})
    expect(closure.missing).to.have.length(1)
    const [missing] = closure.missing
    expect(missing).to.deep.include({soname: 'libname.so', neededBy: chain})
    expect(missing.searched).to.deep.equal(loaderSearch(prog, 'libname.so'))
    expect(missing.searched.some((p) => p.startsWith(`${dir}/b/`))).to.equal(false)
    expectLoaderAgrees(closure, prog)
    expect(expectSameRun(this, closure, [prog]).status).to.equal(127)
  })

  it('rule 2: DT_RPATH is ignored when the object has DT_RUNPATH', async function () {
    const dir = makeTempDir()
    const inRpath = libname(join(dir, 'r/libname.so'), {name: 'from-rpath'})
    libname(join(dir, 'u/libname.so'), {name: 'from-runpath'})
    // RPATH r via the linker; RUNPATH u by turning the program's DT_SONAME (string "u") into
    // DT_RUNPATH: both tags in one file, as old linkers wrote them.
    const prog = program(join(dir, 'prog'), [inRpath], {flags: ['-Wl,--disable-new-dtags', `-Wl,-rpath,${dir}/r`, `-Wl,-soname,${dir}/u`]})
    retagDynamic(prog, DT_SONAME, DT_RUNPATH)
    const closure = await closureOf([prog])
    expect(file(closure, join(dir, 'u/libname.so'))).to.deep.include({foundVia: 'runpath'})
    expect(file(closure, inRpath)).to.equal(undefined)
    expectLoaderAgrees(closure, prog)
    expect(expectSameRun(this, closure, [prog]).stdout).to.equal('from-runpath\n')
  })

  it('rule 2: LD_LIBRARY_PATH counts only when asked for', async function () {
    const dir = makeTempDir()
    const lib = libname(join(dir, 'llp/libname.so'), {name: 'from-llp'})
    const prog = program(join(dir, 'prog'), [lib])
    const without = await closureOf([prog])
    expect(without.missing.map((m) => m.soname)).to.deep.equal(['libname.so'])
    expectLoaderAgrees(without, prog)
    const env = {LD_LIBRARY_PATH: `${dir}/nothing-here:${dir}/llp`}
    const withPath = await closureOf([prog], {ldLibraryPath: env.LD_LIBRARY_PATH})
    expect(file(withPath, lib)).to.deep.include({foundVia: 'ld-library-path'})
    expect(withPath.missing).to.deep.equal([])
    expectLoaderAgrees(withPath, prog, env)
    expect(expectSameRun(this, withPath, [prog], env).stdout).to.equal('from-llp\n')
    expect(run(prog).status).to.equal(127)
  })

  it('rule 3: glibc-hwcaps subdirectories come first, and every variant is listed', async function () {
    const dir = makeTempDir()
    const base = libname(join(dir, 'h/libname.so'), {name: 'base'})
    libname(join(dir, 'h/glibc-hwcaps/x86-64-v2/libname.so'), {name: 'x86-64-v2'})
    libname(join(dir, 'h/glibc-hwcaps/x86-64-v4/libname.so'), {name: 'x86-64-v4'})
    const prog = program(join(dir, 'prog'), [base], {flags: ['-Wl,--enable-new-dtags', `-Wl,-rpath,${dir}/h`]})
    const closure = await closureOf([prog])
    const entry = closure.files.find((f) => f.soname === 'libname.so')!
    expect(entry.variants).to.deep.equal([join(dir, 'h/glibc-hwcaps/x86-64-v4/libname.so'), join(dir, 'h/glibc-hwcaps/x86-64-v2/libname.so'), base])
    expect(entry.foundVia).to.equal('runpath')
    // The loader on this CPU says which one it prefers; the closure's path is that one.
    const printed = run(prog).stdout.trim()
    expect(entry.path).to.equal(printed === 'base' ? base : join(dir, `h/glibc-hwcaps/${printed}/libname.so`))
    expectLoaderAgrees(closure, prog)
    expect(expectSameRun(this, closure, [prog]).stdout).to.equal(`${printed}\n`)
  })

  it('rule 4: $LIB and $PLATFORM expand as the loader expands them', async function () {
    const dir = makeTempDir()
    const profile = loaderProfile(new Sysroot('/'), X86_64, '/lib64/ld-linux-x86-64.so.2')
    const lib = libname(join(dir, profile.lib, profile.platform!, 'libname.so'), {name: 'tokens'})
    const prog = program(join(dir, 'prog'), [lib], {flags: ['-Wl,--enable-new-dtags', `-Wl,-rpath,${dir}/$LIB/$PLATFORM`]})
    const closure = await closureOf([prog])
    expect(file(closure, lib)).to.deep.include({foundVia: 'runpath'})
    expectLoaderAgrees(closure, prog)
    expect(expectSameRun(this, closure, [prog]).stdout).to.equal('tokens\n')
  })

  it('static and static-pie programs need nothing else', async function () {
    const dir = makeTempDir()
    for (const linkage of ['static', 'static-pie'] as const) {
      let prog: string
      try {
        prog = compile({sources: ['resolve/plain.c'], flags: [`-${linkage}`], output: join(dir, linkage)})
      } catch {
        skipBecause(this, `the C library cannot link -${linkage} here`)
      }
      const closure = await closureOf([prog])
      expect(closure.programs).to.deep.equal([{name: prog, path: prog, type: linkage}])
      expect(closure.files).to.deep.equal([{path: prog, kind: 'program'}])
      expect(expectSameRun(this, closure, [prog]).stdout).to.equal('plain\n')
    }
  })

  it('no ld.so.cache in a sysroot: the ld.so.conf directories (with includes), as ldconfig would cache them', async function () {
    if (!isRoot) skipBecause(this, 'ldconfig -r and chroot need root')
    const root = makeTempDir('ns-tool-sysroot-')
    const lib = join(root, 'opt/conf/libname.so')
    libname(lib, {name: 'from-conf'})
    libname(join(root, 'opt/conf/glibc-hwcaps/x86-64-v2/libname.so'), {name: 'x86-64-v2'})
    const prog = program(join(root, 'usr/bin/prog'), [lib])
    // The loader and libc in the sysroot: the host's, copied with their links.
    copyClosure(root, await closureOf(['/bin/sh']))
    rmSync(join(root, 'etc/ld.so.cache'))
    mkdirSync(join(root, 'etc/ld.so.conf.d'), {recursive: true})
    writeFileSync(join(root, 'etc/ld.so.conf'), 'include /etc/ld.so.conf.d/*.conf\n')
    writeFileSync(join(root, 'etc/ld.so.conf.d/opt.conf'), '/opt/conf\n')
    const v2 = loaderProfile(new Sysroot('/'), X86_64, '/lib64/ld-linux-x86-64.so.2').activeHwcaps.includes('x86-64-v2')
    const expected = v2 ? '/opt/conf/glibc-hwcaps/x86-64-v2/libname.so' : '/opt/conf/libname.so'

    const fromConf = await closureOf(['/usr/bin/prog'], {sysroot: root})
    expect(fromConf.files.find((f) => f.soname === 'libname.so')).to.deep.include({path: expected, foundVia: 'ld.so.conf'})
    expect(fromConf.files.find((f) => f.soname === 'libc.so.6')).to.deep.include({foundVia: 'default-dirs'})
    // Without a cache the loader itself does not read ld.so.conf; ldconfig -r makes the cache.
    expect(runInRoot(this, root, ['/usr/bin/prog']).status).to.equal(127)
    expect(run('ldconfig', ['-r', root]).status).to.equal(0)
    const fromCache = await closureOf(['/usr/bin/prog'], {sysroot: root})
    expect(fromCache.files.find((f) => f.soname === 'libname.so')).to.deep.include({path: expected, foundVia: 'ld.so.cache'})
    expect(runInRoot(this, root, ['/usr/bin/prog']).stdout).to.equal(v2 ? 'x86-64-v2\n' : 'from-conf\n')
    expect(realpathSync(prog)).to.equal(prog)
  })
  it('rule 2: DF_1_NODEFLIB skips the default directories and cache entries inside them', async function () {
    const dir = makeTempDir()
    const lib = libname(join(dir, 'lib/libname.so'), {name: 'nodeflib'})
    const refused = program(join(dir, 'refused'), [lib], {flags: ['-Wl,--enable-new-dtags', `-Wl,-rpath,${dir}/lib`]})
    addFlags1(refused, 0x800)
    const closure = await closureOf([refused])
    // libc is in the cache, but in a default directory: refused.
    expect(closure.missing.map((m) => [m.soname, m.neededBy])).to.deep.equal([['libc.so.6', refused]])
    const profile = loaderProfile(new Sysroot('/'), X86_64, closure.programs[0].interpreter)
    for (const searched of closure.missing[0].searched) expect(profile.systemDirs.some((d) => searched.startsWith(`${d}/`))).to.equal(false, searched)
    // (The loader's trace stops at the error, before it lists itself: compare the libraries only.)
    expect(loaderLoads(refused).notFound).to.deep.equal(['libc.so.6'])
    expect(expectSameRun(this, closure, [refused]).status).to.equal(127)

    // Naming libc's directory in the RUNPATH brings it back.
    const libcDir = dirname((await closureOf(['/bin/sh'])).files.find((f) => f.soname === 'libc.so.6')!.path)
    const allowed = program(join(dir, 'allowed'), [lib], {flags: ['-Wl,--enable-new-dtags', `-Wl,-rpath,${dir}/lib:${libcDir}`]})
    addFlags1(allowed, 0x800)
    const fixed = await closureOf([allowed])
    expect(fixed.missing).to.deep.equal([])
    expect(file(fixed, join(libcDir, 'libc.so.6'))).to.deep.include({foundVia: 'runpath'})
    expectLoaderAgrees(fixed, allowed)
    expect(expectSameRun(this, fixed, [allowed]).stdout).to.equal('nodeflib\n')
  })

  it('rule 5: a candidate of another ELF class or machine is skipped; a non-ELF one stops the loader', async function () {
    const dir = makeTempDir()
    const good = libname(join(dir, 'ok/libname.so'), {name: 'right-machine'})
    for (const [sub, patch] of [
      ['machine', (f: string) => setMachine(f, 183)],
      ['class', (f: string) => setClass(f, 1)],
    ] as const) {
      mkdirSync(join(dir, sub))
      copyFileSync(good, join(dir, sub, 'libname.so'))
      patch(join(dir, sub, 'libname.so'))
    }
    const prog = program(join(dir, 'prog'), [good], {flags: ['-Wl,--enable-new-dtags', `-Wl,-rpath,${dir}/machine:${dir}/class:${dir}/ok`]})
    const closure = await closureOf([prog])
    expect(file(closure, good)).to.deep.include({foundVia: 'runpath'})
    expectLoaderAgrees(closure, prog)
    expect(expectSameRun(this, closure, [prog]).stdout).to.equal('right-machine\n')

    mkdirSync(join(dir, 'text'))
    // Longer than an ELF header, so the loader reads it and says why it refuses it.
    writeFileSync(join(dir, 'text/libname.so'), 'INPUT(-lname)\n'.padEnd(256, '#'))
    const stopped = program(join(dir, 'stopped'), [good], {flags: ['-Wl,--enable-new-dtags', `-Wl,-rpath,${dir}/text:${dir}/ok`]})
    const refused = await closureOf([stopped])
    expect(refused.missing).to.have.length(1)
    expect(refused.missing[0]).to.deep.include({soname: 'libname.so', error: `${dir}/text/libname.so: invalid ELF header`})
    const host = run(stopped)
    expect(host.stderr).to.include('invalid ELF header')
    expect(expectSameRun(this, refused, [stopped]).status).to.equal(127)
  })

  it('rule 6: a name already loaded (by SONAME) is not searched again', async function () {
    const dir = makeTempDir()
    // The program needs libname by path; libchain needs it by SONAME, which no search would find.
    const byPath = join(dir, 'p/libname.so')
    libname(byPath, {soname: null})
    const sonamed = libname(join(dir, 'build/libname.so.1'), {name: 'loaded-by-path', soname: 'libname.so.1'})
    const chain = libchain(join(dir, 'c/libchain.so'), sonamed)
    // The libraries go after --no-as-needed (the compiler's default --as-needed would drop byPath).
    const prog = program(join(dir, 'prog'), [], {chain: true, flags: [byPath, chain, '-Wl,--enable-new-dtags', `-Wl,-rpath,${dir}/c`, `-Wl,-rpath-link,${dir}/build`]})
    copyFileSync(sonamed, byPath)
    rmSync(join(dir, 'build'), {recursive: true})
    const closure = await closureOf([prog])
    expect(closure.missing).to.deep.equal([])
    expect(closure.edges).to.deep.include({program: prog, from: chain, name: 'libname.so.1', kind: 'library', path: byPath, foundVia: 'already-loaded'})
    expect(file(closure, byPath)?.neededBy).to.deep.equal([prog, chain])
    expect(run(prog, [], {LD_DEBUG: 'libs'}).stderr).to.not.include('find library=libname.so.1')
    expectLoaderAgrees(closure, prog)
    expect(expectSameRun(this, closure, [prog]).stdout).to.equal('loaded-by-path\n')
  })
})
