// Compiles fixture C sources from fixtures/ at test time, with the system C compiler, into a
// per-process build dir (removed at exit). The same (sources, flags) pair is compiled once.
import {spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, realpathSync, rmSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type {Context} from 'mocha'
import {repoRoot} from './cli.js'
import {skipBecause} from './skip.js'

export const fixturesDir = join(repoRoot, 'fixtures')
let buildDir: string | undefined

function ensureBuildDir(): string {
  if (!buildDir) {
    buildDir = mkdtempSync(join(tmpdir(), 'ns-tool-fixtures-'))
    const dir = buildDir
    process.on('exit', () => rmSync(dir, {recursive: true, force: true}))
  }
  return buildDir
}

export function haveCompiler(): boolean {
  const r = spawnSync('cc', ['--version'], {stdio: 'ignore'})
  return r.status === 0
}

export interface CompileOptions {
  // Paths relative to fixtures/, or absolute.
  sources: string[]
  // Output path; default: a cached file in the build dir.
  output?: string
  // Extra compiler/linker flags, e.g. ['-shared', '-fPIC', '-Wl,-soname,liba.so.1'].
  flags?: string[]
  // Default cc; musl-gcc for musl programs.
  compiler?: string
}

export function compile(options: CompileOptions): string {
  const sources = options.sources.map((s) => (s.startsWith('/') ? s : join(fixturesDir, s)))
  const flags = options.flags ?? []
  const compiler = options.compiler ?? 'cc'
  const key = createHash('sha256').update(JSON.stringify([compiler, sources, flags])).digest('hex').slice(0, 16)
  const output = options.output ?? join(ensureBuildDir(), key)
  if (!options.output && existsSync(output)) return output
  mkdirSync(join(output, '..'), {recursive: true})
  const r = spawnSync(compiler, ['-o', output, ...sources, ...flags], {encoding: 'utf8'})
  if (r.status !== 0) throw new Error(`${compiler} ${sources.join(' ')} ${flags.join(' ')} failed:\n${r.stderr}`)
  return output
}

// The helper's C sources for a driver that links them with a main() of its own (test/helper):
// every file but main.c, whose die() and usage_error() come through fixtures/helper/die.c.
export function helperSources(): string[] {
  const dir = join(repoRoot, 'src/helper')
  return ['helper/die.c', ...readdirSync(dir).filter((name) => name.endsWith('.c') && name !== 'main.c').map((name) => join(dir, name))]
}

// The flags the helper is compiled with by scripts/setup.js that a driver needs (its generated
// header is in dist/helper).
export function helperFlags(): string[] {
  return ['-D_GNU_SOURCE', '-I', join(repoRoot, 'src/helper'), '-I', join(repoRoot, 'dist/helper')]
}

// A static 32-bit (i386) program at output, or the test skipped when there is no 32-bit toolchain.
export function compile32(ctx: Context, source: string, output: string): string {
  try {
    return compile({sources: [source], flags: ['-m32', '-static', '-O2'], output})
  } catch (error) {
    skipBecause(ctx, `no 32-bit toolchain (gcc-multilib): ${(error as Error).message.split('\n')[0]}`)
  }
}

// A root with the host's x86-64 glibc loader and libc in /usr/lib/x86_64-linux-gnu (and the
// /lib64 link to the loader), an empty /etc and /usr/bin: enough for a fixture program to run in
// it under chroot, and for a sysroot of the real loader's layout.
export function glibcRoot(root: string): void {
  const libdir = join(root, 'usr/lib/x86_64-linux-gnu')
  mkdirSync(libdir, {recursive: true})
  mkdirSync(join(root, 'lib64'), {recursive: true})
  mkdirSync(join(root, 'etc'), {recursive: true})
  mkdirSync(join(root, 'usr/bin'), {recursive: true})
  for (const name of ['ld-linux-x86-64.so.2', 'libc.so.6']) copyFileSync(realpathSync(join('/lib/x86_64-linux-gnu', name)), join(libdir, name))
  symlinkSync('../usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', join(root, 'lib64/ld-linux-x86-64.so.2'))
}

// A glibcRoot sysroot where /opt/b/bin/b finds its own libdup.so.1 (prints "private") through its
// RUNPATH /opt/b/lib, and /usr/bin/a the system's (prints "system") in the multiarch directory.
export function privateCopySysroot(sysroot: string): void {
  glibcRoot(sysroot)
  mkdirSync(join(sysroot, 'opt/b/lib'), {recursive: true})
  mkdirSync(join(sysroot, 'opt/b/bin'), {recursive: true})
  const system = compile({sources: ['resolve/name.c'], flags: ['-shared', '-fPIC', '-DNAME="system"', '-Wl,-soname,libdup.so.1'], output: join(sysroot, 'usr/lib/x86_64-linux-gnu/libdup.so.1')})
  const own = compile({sources: ['resolve/name.c'], flags: ['-shared', '-fPIC', '-DNAME="private"', '-Wl,-soname,libdup.so.1'], output: join(sysroot, 'opt/b/lib/libdup.so.1')})
  compile({sources: ['resolve/main.c', own], flags: ['-Wl,--enable-new-dtags', '-Wl,-rpath,/opt/b/lib'], output: join(sysroot, 'opt/b/bin/b')})
  compile({sources: ['resolve/main.c', system], output: join(sysroot, 'usr/bin/a')})
}
