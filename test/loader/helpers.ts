// Shared by the resolver tests: building fixture trees from fixtures/resolve/*.c, asking the real
// loader what it loads (the oracle), and running a program in a minimal rootfs made of nothing
// but a closure's files (with the host's symlinks along their paths).
import {spawnSync, type SpawnSyncReturns} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {dirname, join, posix} from 'node:path'
import type {Context} from 'mocha'
import {readElfSync} from '../../src/elf/index.js'
import {parseLddOutput} from '../../src/ldd/parse.js'
import type {Closure} from '../../src/loader/types.js'
import {compile, haveCompiler} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'

export interface RunResult {
  status: number | null
  stdout: string
  stderr: string
}

export function run(command: string, args: string[] = [], env: Record<string, string | undefined> = {}): RunResult {
  const r: SpawnSyncReturns<string> = spawnSync(command, args, {encoding: 'utf8', timeout: 30_000, env: {...process.env, ...env}})
  return {status: r.status, stdout: r.stdout ?? '', stderr: r.stderr ?? ''}
}

// The dynamic ELF programs of dir inside root ("/": the host), by their path inside root.
export function dynamicPrograms(root: string, dir = '/usr/bin'): string[] {
  const programs: string[] = []
  for (const name of readdirSync(join(root, dir)).sort()) {
    const path = join(root, dir, name)
    try {
      if (!statSync(path).isFile() || (statSync(path).mode & 0o111) === 0) continue
      if (readElfSync(path).linkage === 'dynamic') programs.push(posix.join(dir, name))
    } catch {
      // not ELF, unreadable, a dangling link: not a dynamic program
    }
  }
  return programs
}

export function requireFixtureTools(ctx: Context): void {
  if (process.arch !== 'x64') skipBecause(ctx, 'the fixtures are checked against the x86-64 glibc loader')
  if (!haveCompiler()) skipBecause(ctx, 'no C compiler to build fixtures/resolve')
}

// libname: a library whose fixture_name() returns `name`; soname as given (none: no DT_SONAME).
// compiler: cc (glibc), or musl-gcc for musl's loader.
export function libname(output: string, options: {name?: string; soname?: string | null; flags?: string[]; compiler?: string} = {}): string {
  const soname = options.soname === undefined ? 'libname.so' : options.soname
  const flags = ['-shared', '-fPIC', `-DNAME="${options.name ?? 'base'}"`, ...(soname ? [`-Wl,-soname,${soname}`] : []), ...(options.flags ?? [])]
  mkdirSync(dirname(output), {recursive: true})
  return compile({sources: ['resolve/name.c'], flags, output, compiler: options.compiler})
}

// libchain: needs libname (linked against `needs`), adds `flags` (e.g. its own RUNPATH).
export function libchain(output: string, needs: string, flags: string[] = [], compiler?: string): string {
  mkdirSync(dirname(output), {recursive: true})
  return compile({sources: ['resolve/chain.c', needs], flags: ['-shared', '-fPIC', '-Wl,-soname,libchain.so', '-Wl,--no-as-needed', ...flags], output, compiler})
}

// The program: prints fixture_name() (or fixture_chain() with chain), linked against libs in order.
export function program(output: string, libs: string[], options: {chain?: boolean; flags?: string[]; compiler?: string} = {}): string {
  mkdirSync(dirname(output), {recursive: true})
  const flags = [...(options.chain ? ['-DUSE_CHAIN'] : []), '-Wl,--no-as-needed', ...(options.flags ?? [])]
  return compile({sources: ['resolve/main.c', ...libs], flags, output, compiler: options.compiler})
}

// ---- ELF byte patches (real files, real loader: the loader decides what they mean) ----------

interface DynamicEntry {
  offset: number
  tag: bigint
}

function dynamicEntries(bytes: Buffer): DynamicEntry[] {
  // 64-bit little-endian only (the fixtures are x86-64).
  const phoff = Number(bytes.readBigUInt64LE(0x20))
  const phentsize = bytes.readUInt16LE(0x36)
  const phnum = bytes.readUInt16LE(0x38)
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * phentsize
    if (bytes.readUInt32LE(at) !== 2) continue
    const offset = Number(bytes.readBigUInt64LE(at + 8))
    const size = Number(bytes.readBigUInt64LE(at + 32))
    const entries: DynamicEntry[] = []
    for (let o = offset; o + 16 <= offset + size; o += 16) entries.push({offset: o, tag: bytes.readBigInt64LE(o)})
    return entries
  }
  throw new Error('no PT_DYNAMIC')
}

// Rewrites the first dynamic entry with tag `from` to tag `to` (its string stays).
export function retagDynamic(file: string, from: number, to: number): void {
  const bytes = readFileSync(file)
  const entry = dynamicEntries(bytes).find((e) => e.tag === BigInt(from))
  if (!entry) throw new Error(`${file}: no dynamic tag ${from}`)
  bytes.writeBigInt64LE(BigInt(to), entry.offset)
  writeFileSync(file, bytes)
}

// ORs bits into DT_FLAGS_1 (this binutils ignores -z nodeflib, so DF_1_NODEFLIB is set by hand).
export function addFlags1(file: string, bits: number): void {
  const bytes = readFileSync(file)
  const entry = dynamicEntries(bytes).find((e) => e.tag === 0x6ffffffbn)
  if (!entry) throw new Error(`${file}: no DT_FLAGS_1`)
  bytes.writeBigUInt64LE(bytes.readBigUInt64LE(entry.offset + 8) | BigInt(bits), entry.offset + 8)
  writeFileSync(file, bytes)
}

export function setMachine(file: string, machine: number): void {
  const bytes = readFileSync(file)
  bytes.writeUInt16LE(machine, 18)
  writeFileSync(file, bytes)
}

export function setClass(file: string, elfClass: 1 | 2): void {
  const bytes = readFileSync(file)
  bytes[4] = elfClass
  writeFileSync(file, bytes)
}

// ---- the real loader as the oracle ----------------------------------------------------------

// What the loader loads for `program` when the kernel starts it (not through ld.so PROGRAM, so
// $ORIGIN is the real one): LD_TRACE_LOADED_OBJECTS lists the objects and stops before main.
export function loaderLoads(programPath: string, env: Record<string, string | undefined> = {}): {loaded: Set<string>; notFound: string[]; output: string} {
  const r = run(programPath, [], {...env, LD_TRACE_LOADED_OBJECTS: '1'})
  const [section] = parseLddOutput(r.stdout + r.stderr, [programPath])
  const loaded = new Set<string>()
  const notFound: string[] = []
  for (const line of section.lines) {
    if (line.type === 'library') loaded.add(realpathSync(line.path))
    if (line.type === 'path') loaded.add(realpathSync(line.path))
    if (line.type === 'not-found') notFound.push(line.name)
  }
  return {loaded, notFound, output: r.stdout + r.stderr}
}

// The closure's answer for one program's process, in the same terms.
export function closureLoads(closure: Closure, programPath: string): {loaded: Set<string>; notFound: string[]} {
  const loaded = new Set<string>()
  const notFound: string[] = []
  for (const edge of closure.edges ?? []) {
    if (edge.program !== programPath) continue
    if (edge.path !== undefined) loaded.add(realpathSync(edge.path))
    else notFound.push(edge.name)
  }
  return {loaded, notFound}
}

// The paths the loader tried for one soname, in order (LD_DEBUG=libs), the cache lookup shown as
// the cache file's path, duplicates removed: the terms of MissingLibrary.searched.
export function loaderSearch(programPath: string, soname: string, env: Record<string, string | undefined> = {}): string[] {
  const r = run(programPath, [], {...env, LD_DEBUG: 'libs'})
  const lines = r.stderr.split('\n')
  const start = lines.findIndex((l) => l.includes(`find library=${soname} [0]; searching`))
  if (start === -1) throw new Error(`the loader did not search for ${soname}:\n${r.stderr}`)
  const tried: string[] = []
  for (const line of lines.slice(start + 1)) {
    if (/find library=|calling init|initialize program|cannot open shared object|error while loading/.test(line)) break
    const trying = line.match(/trying file=(.+)$/)
    if (trying) tried.push(trying[1])
    const cache = line.match(/search cache=(.+)$/)
    if (cache) tried.push(cache[1])
  }
  return [...new Set(tried)]
}

// ---- a rootfs made of the closure alone -----------------------------------------------------

// Copies `path` into root at the same path, recreating every symlink met on the way (the host
// layout), then the file it leads to.
export function copyWithLinks(root: string, path: string): void {
  let pending = path.split('/').filter(Boolean)
  let current = '/'
  for (let hops = 0; pending.length > 0; ) {
    const part = pending.shift()!
    if (part === '.') continue
    if (part === '..') {
      current = posix.dirname(current)
      continue
    }
    const hostPath = posix.join(current, part)
    const target = join(root, hostPath)
    const stats = lstatSync(hostPath)
    if (stats.isSymbolicLink()) {
      if (++hops > 40) throw new Error(`${path}: symlink loop`)
      const link = readlinkSync(hostPath)
      if (!existsSync(target) && !isLink(target)) {
        mkdirSync(dirname(target), {recursive: true})
        symlinkSync(link, target)
      }
      pending = [...link.split('/').filter(Boolean), ...pending]
      if (link.startsWith('/')) current = '/'
      continue
    }
    if (stats.isDirectory()) {
      mkdirSync(target, {recursive: true})
      current = hostPath
      continue
    }
    mkdirSync(dirname(target), {recursive: true})
    if (!existsSync(target)) {
      copyFileSync(hostPath, target)
      chmodSync(target, stats.mode & 0o7777)
    }
    current = hostPath
  }
}

function isLink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink()
  } catch {
    return false
  }
}

// Every file of the closure (hwcaps variants included) and the host's ld.so.cache, so that the
// loader inside makes the same lookups as outside.
export function copyClosure(root: string, closure: Closure): void {
  for (const file of closure.files) {
    copyWithLinks(root, file.path)
    for (const variant of file.variants ?? []) copyWithLinks(root, variant)
  }
  if (existsSync('/etc/ld.so.cache')) copyWithLinks(root, '/etc/ld.so.cache')
}

// Runs argv with root as "/" (chroot as root; in a user namespace otherwise).
export function runInRoot(ctx: Context, root: string, argv: string[], env: Record<string, string | undefined> = {}): RunResult {
  const prefix = isRoot ? ['chroot', root] : ['unshare', '--user', '--map-root-user', 'chroot', root]
  const r = run(prefix[0], [...prefix.slice(1), ...argv], env)
  if (/^(chroot|unshare): /m.test(r.stderr) && /Operation not permitted|cannot/.test(r.stderr)) skipBecause(ctx, `cannot chroot here: ${r.stderr.trim()}`)
  return r
}
