// musl's loader (design §3 rule 9), against the real one: its ldd mode (`ld-musl-x86_64.so.1
// --list`) says what it loads, strace says which paths it tries, and a program built with musl-gcc
// must run in the tree build-rootfs makes of it (under `ns-tool run`), printing what it prints here.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import type {Context} from 'mocha'
import {parseLddOutput} from '../../src/ldd/parse.js'
import {resolve} from '../../src/loader/index.js'
import type {Closure} from '../../src/loader/types.js'
import {verify} from '../../src/verify/index.js'
import {cli} from '../support/cli.js'
import {compile} from '../support/fixtures.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'
import {closureLoads, copyWithLinks, libchain, libname, program, run, runInRoot} from './helpers.js'

const LOADER = '/lib/ld-musl-x86_64.so.1'
const MUSL = 'musl-gcc'

function requireMusl(ctx: Context): void {
  if (process.arch !== 'x64') skipBecause(ctx, 'the musl fixtures are checked against the x86-64 musl loader')
  if (!existsSync(LOADER) || spawnSync(MUSL, ['--version'], {stdio: 'ignore'}).status !== 0) skipBecause(ctx, `musl and musl-tools are not installed (no ${LOADER} or musl-gcc)`)
}

// What musl's loader loads for `prog` (ldd mode), by real path, and the names it could not load.
function muslLoads(prog: string, env: Record<string, string | undefined> = {}): {loaded: Set<string>; notFound: string[]; output: string} {
  const r = run(LOADER, ['--list', prog], env)
  const [section] = parseLddOutput(r.stdout + r.stderr, [prog])
  const loaded = new Set<string>()
  const notFound: string[] = []
  for (const line of section.lines) {
    if (line.type === 'library' || line.type === 'path') loaded.add(realpathSync(line.path))
    if (line.type === 'not-found') notFound.push(line.name)
  }
  return {loaded, notFound, output: r.stdout + r.stderr}
}

function expectMuslAgrees(closure: Closure, prog: string, env: Record<string, string | undefined> = {}): void {
  const loader = muslLoads(prog, env)
  const ours = closureLoads(closure, prog)
  expect([...ours.loaded].sort(), loader.output).to.deep.equal([...loader.loaded].sort())
  expect(ours.notFound.sort(), loader.output).to.deep.equal(loader.notFound.sort())
}

// A sysroot with musl's loader as Debian lays it out (/lib/ld-musl-x86_64.so.1 -> libc.so).
function muslSysroot(): string {
  const root = makeTempDir('ns-tool-musl-sysroot-')
  copyWithLinks(root, LOADER)
  return root
}

describe('resolve: musl programs against musl\'s loader', function () {
  beforeEach(function () {
    requireMusl(this)
  })

  it('build-rootfs of a musl-gcc program gives a tree it runs in, with the loader laid out as on the host', function () {
    const dir = makeTempDir()
    const hello = compile({sources: ['resolve/plain.c'], compiler: MUSL, output: join(dir, 'hello')})
    const out = join(dir, 'rootfs')
    const built = cli(['build-rootfs', '-o', out, hello])
    expect(built.status, built.stderr).to.equal(0)
    // PT_INTERP is a link to musl's libc.so: the link and its target, as on the host.
    expect(readlinkSync(join(out, LOADER))).to.equal(readlinkSync(LOADER))
    expect(statSync(join(out, dirname(LOADER), readlinkSync(LOADER))).isFile()).to.equal(true)
    const ran = cli(['run', out, hello])
    expect({status: ran.status, stdout: ran.stdout}, ran.stderr).to.deep.equal({status: 0, stdout: 'plain\n'})
  })

  it('the names musl\'s loader is itself need no file; any other name is searched (libcrypt too)', async function () {
    const dir = makeTempDir()
    // Stub libraries give the program DT_NEEDED entries for musl's own names (besides libc.so,
    // which musl-gcc gives it), then go away.
    const stubs = ['libpthread.so.0', 'libm.so.6', 'libdl.so.2', 'librt.so.1', 'libutil.so.1', 'libxnet.so', 'libc.musl-x86_64.so.1'].map((soname) =>
      libname(join(dir, 'stubs', soname), {soname, compiler: MUSL}),
    )
    const prog = program(join(dir, 'prog'), stubs, {compiler: MUSL})
    rmSync(join(dir, 'stubs'), {recursive: true})
    const closure = await resolve([prog])
    expect(closure.missing).to.deep.equal([])
    for (const edge of (closure.edges ?? []).filter((e) => e.kind === 'library')) expect(edge).to.deep.include({path: LOADER, foundVia: 'already-loaded'})
    expectMuslAgrees(closure, prog)
    // libcrypt is not among them in musl's ldso/dynlink.c: the loader searches for it.
    const crypt = program(join(dir, 'crypt'), [libname(join(dir, 'stubs/libcrypt.so.1'), {soname: 'libcrypt.so.1', compiler: MUSL})], {compiler: MUSL})
    rmSync(join(dir, 'stubs'), {recursive: true})
    const missing = await resolve([crypt])
    expect(missing.missing.map((m) => m.soname)).to.deep.equal(['libcrypt.so.1'])
    expectMuslAgrees(missing, crypt)
  })

  it('RUNPATH with $ORIGIN is inherited through the chain, unlike glibc\'s, and follows the real path', async function () {
    const dir = makeTempDir()
    const name = libname(join(dir, 'b/libname.so'), {name: 'musl-runpath-b', compiler: MUSL})
    const chain = libchain(join(dir, 'a/libchain.so'), name, [], MUSL)
    const prog = program(join(dir, 'bin/prog'), [chain], {chain: true, compiler: MUSL, flags: ['-Wl,--enable-new-dtags', '-Wl,-rpath,$ORIGIN/../a:$ORIGIN/../b']})
    // Started through a link elsewhere: $ORIGIN is still the real directory (/proc/self/exe).
    mkdirSync(join(dir, 'elsewhere'))
    symlinkSync(prog, join(dir, 'elsewhere/prog'))
    const closure = await resolve([join(dir, 'elsewhere/prog')])
    expect(closure.missing).to.deep.equal([])
    expect(closure.files.find((f) => f.path === name)).to.deep.include({foundVia: 'runpath', neededBy: [chain]})
    expectMuslAgrees(await resolve([prog]), prog)
    expect(run(join(dir, 'elsewhere/prog')).stdout).to.equal('musl-runpath-b\n')
    const out = join(dir, 'rootfs')
    expect(cli(['build-rootfs', '-o', out, join(dir, 'elsewhere/prog')]).status).to.equal(0)
    expect(cli(['run', out, join(dir, 'elsewhere/prog')]).stdout).to.equal('musl-runpath-b\n')
  })

  it('LD_LIBRARY_PATH, when asked for, comes before RPATH; a SONAME alone does not make a library loaded', async function () {
    const dir = makeTempDir()
    const inRpath = libname(join(dir, 'r/libname.so'), {name: 'from-rpath', compiler: MUSL})
    libname(join(dir, 'llp/libname.so'), {name: 'from-llp', compiler: MUSL})
    const prog = program(join(dir, 'prog'), [inRpath], {compiler: MUSL, flags: ['-Wl,--disable-new-dtags', `-Wl,-rpath,${dir}/r`]})
    const env = {LD_LIBRARY_PATH: `${dir}/nothing:${dir}/llp`}
    const withPath = await resolve([prog], {ldLibraryPath: env.LD_LIBRARY_PATH})
    expect(withPath.files.find((f) => f.soname === 'libname.so')).to.deep.include({path: join(dir, 'llp/libname.so'), foundVia: 'ld-library-path'})
    expectMuslAgrees(withPath, prog, env)
    expect(run(prog, [], env).stdout).to.equal('from-llp\n')
    const without = await resolve([prog])
    expect(without.files.find((f) => f.soname === 'libname.so')).to.deep.include({path: inRpath, foundVia: 'rpath'})
    expectMuslAgrees(without, prog)

    // The program loads libname.so.1 by path; libchain asks for it by name: musl matches names
    // against the file names its searches found, never SONAMEs, so it searches and fails (glibc
    // would take the loaded one by its SONAME).
    const byPath = libname(join(dir, 'p/libname.so.1'), {soname: null, compiler: MUSL})
    const sonamed = libname(join(dir, 'build/libname.so.1'), {name: 'by-path', soname: 'libname.so.1', compiler: MUSL})
    const chain = libchain(join(dir, 'c/libchain.so'), sonamed, [], MUSL)
    const both = program(join(dir, 'both'), [], {chain: true, compiler: MUSL, flags: [byPath, chain, '-Wl,--enable-new-dtags', `-Wl,-rpath,${dir}/c`, `-Wl,-rpath-link,${dir}/build`]})
    copyFileSync(sonamed, byPath)
    rmSync(join(dir, 'build'), {recursive: true})
    const closure = await resolve([both])
    expect(closure.missing.map((m) => [m.soname, m.neededBy])).to.deep.equal([['libname.so.1', chain]])
    expectMuslAgrees(closure, both)
  })

  it('the path file of a sysroot, its directories tried in order, as strace sees the real loader try them', async function () {
    const root = muslSysroot()
    const lib = libname(join(root, 'opt/musl/libname.so'), {name: 'from-path-file', compiler: MUSL})
    program(join(root, 'usr/bin/prog'), [lib], {compiler: MUSL})
    mkdirSync(join(root, 'etc'), {recursive: true})
    writeFileSync(join(root, 'etc/ld-musl-x86_64.path'), '/nowhere\n/opt/musl:/usr/lib\n')
    const closure = await resolve(['/usr/bin/prog'], {sysroot: root})
    expect(closure.files.find((f) => f.soname === 'libname.so')).to.deep.include({path: '/opt/musl/libname.so', foundVia: 'ld-musl-path'})
    expect(closure.muslPathFiles).to.deep.equal(['/etc/ld-musl-x86_64.path'])
    expect(runInRoot(this, root, ['/usr/bin/prog']).stdout).to.equal('from-path-file\n')

    // Without the file, musl's defaults; what it tried is what `searched` says.
    rmSync(join(root, 'etc/ld-musl-x86_64.path'))
    const missing = await resolve(['/usr/bin/prog'], {sysroot: root})
    expect(missing.missing).to.have.length(1)
    expect(missing.missing[0].searched).to.deep.equal(['/lib/libname.so', '/usr/local/lib/libname.so', '/usr/lib/libname.so'])
    expect(triedByLoader(this, root, '/usr/bin/prog', 'libname.so')).to.deep.equal(missing.missing[0].searched)
  })

  it('build-rootfs --sysroot brings the path file; --layout flat writes one for /lib64; verify checks musl trees', async function () {
    const root = muslSysroot()
    const lib = libname(join(root, 'opt/musl/libname.so'), {name: 'musl-tree', compiler: MUSL})
    program(join(root, 'usr/bin/prog'), [lib], {compiler: MUSL})
    mkdirSync(join(root, 'etc'))
    writeFileSync(join(root, 'etc/ld-musl-x86_64.path'), '/opt/musl\n')
    for (const layout of ['host', 'flat']) {
      const out = join(makeTempDir(), 'rootfs')
      const built = cli(['build-rootfs', '--sysroot', root, '--layout', layout, '-o', out, '/usr/bin/prog'])
      expect(built.status, built.stderr).to.equal(0)
      const pathFile = readFileSync(join(out, 'etc/ld-musl-x86_64.path'), 'utf8')
      expect(pathFile).to.equal(layout === 'host' ? '/opt/musl\n' : '/lib64\n')
      const command = layout === 'host' ? '/usr/bin/prog' : '/bin/prog'
      expect(cli(['run', out, command]).stdout, layout).to.equal('musl-tree\n')
      const checked = await verify(out)
      expect(checked.problems, layout).to.deep.equal([])
      rmSync(join(out, layout === 'host' ? 'opt/musl/libname.so' : 'lib64/libname.so'))
      const broken = await verify(out)
      expect(broken.problems.map((p) => [p.path, p.name]), layout).to.deep.equal([[command, 'libname.so']])
      expect(broken.problems[0].searched, layout).to.deep.equal([layout === 'host' ? '/opt/musl/libname.so' : '/lib64/libname.so'])
    }
  })

  it('deps --resolver ldd asks musl\'s own loader, and agrees with the elf resolver', function () {
    const dir = makeTempDir()
    const lib = libname(join(dir, 'lib/libname.so'), {name: 'ldd', compiler: MUSL})
    const prog = program(join(dir, 'prog'), [lib], {compiler: MUSL, flags: ['-Wl,--enable-new-dtags', `-Wl,-rpath,${dir}/lib`]})
    const files = (resolver: string) => {
      const r = cli(['deps', '--json', '--resolver', resolver, prog])
      expect(r.status, r.stderr).to.equal(0)
      return (JSON.parse(r.stdout).files as Array<{path: string}>).map((f) => realpathSync(f.path)).sort()
    }
    expect(files('ldd')).to.deep.equal(files('elf'))
    expect(files('ldd')).to.include(realpathSync(LOADER))
  })
})

// The paths musl's loader tried for `name` (open/openat calls) running argv in root under strace.
function triedByLoader(ctx: Context, root: string, argv0: string, name: string): string[] {
  if (spawnSync('strace', ['-V'], {stdio: 'ignore'}).status !== 0) skipBecause(ctx, 'strace is not installed')
  const log = join(makeTempDir(), 'trace')
  const r = runInRoot(ctx, root, [argv0])
  expect(r.status).to.not.equal(0)
  const traced = spawnSync('strace', ['-f', '-e', 'trace=open,openat', '-o', log, ...(process.getuid?.() === 0 ? ['chroot', root] : ['unshare', '--user', '--map-root-user', 'chroot', root]), argv0], {encoding: 'utf8'})
  expect(traced.status).to.not.equal(0)
  const opened = [...readFileSync(log, 'utf8').matchAll(/open(?:at)?\((?:AT_FDCWD, )?"([^"]+)"/g)].map((m) => m[1])
  return opened.filter((path) => path.endsWith(`/${name}`))
}
