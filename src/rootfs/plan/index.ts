// From programs to a plan: resolve the closure, then place every file (layout host or flat), every
// symlink on the way, the skeleton, --file additions and busybox applets. Reads the host (lstat,
// readlink, a few header bytes) but writes nothing.
import type {Stats} from 'node:fs'
import {lstatSync, openSync, readdirSync, readlinkSync, readSync, closeSync, statSync} from 'node:fs'
import {basename, posix, resolve as resolvePath} from 'node:path'
import {NsToolError, UsageError} from '../../errors.js'
import type {LdCacheRecord} from '../../loader/ld-cache.js'
import {cacheFlagsFor, hostMachine, hwcapsBase} from '../../loader/loader.js'
import {findProgramIn} from '../../loader/program.js'
import {Sysroot} from '../../loader/sysroot.js'
import type {Closure, FoundVia, ResolvedFile} from '../../loader/types.js'
import {skeletonEntries} from './skeleton.js'
import type {BuildOptions, Layout, Plan, PlanEntry} from '../types.js'

const MAX_LINK_DEPTH = 40
const MERGED_USR_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']

// A --file argument: SRC[:DEST]. DEST must stay inside the rootfs.
export interface FileRequest {
  source: string
  dest: string
}

export function parseFileFlag(value: string): FileRequest {
  const colon = value.indexOf(':')
  const source = colon < 0 ? value : value.slice(0, colon)
  const rawDest = colon < 0 ? resolvePath(source) : value.slice(colon + 1)
  if (source === '') throw new UsageError(`--file ${value}: SRC is empty (expected SRC[:DEST])`)
  if (rawDest === '') throw new UsageError(`--file ${value}: DEST is empty (expected SRC[:DEST])`)
  if (rawDest.split('/').includes('..')) throw new UsageError(`--file ${value}: DEST may not contain ".." (it must stay inside the rootfs)`)
  return {source: resolvePath(source), dest: posix.normalize(posix.join('/', rawDest))}
}

// Entries keyed by path; the first reason to add a path wins, directories merge.
class EntryMap {
  readonly entries = new Map<string, PlanEntry>()
  // Symlinks already placed: in-rootfs path -> target, for making later paths canonical.
  private readonly links = new Map<string, string>()

  // The path with every symlink component already in the plan resolved (inside the rootfs), so
  // the writer never has to follow a link.
  canonical(path: string, depth = 0): string {
    if (depth > MAX_LINK_DEPTH) throw new NsToolError(`${path}: too many levels of symbolic links in the rootfs`)
    const parts = posix.normalize(path).split('/').filter(Boolean)
    let current = '/'
    for (let i = 0; i < parts.length; i++) {
      const next = posix.join(current, parts[i])
      const target = this.links.get(next)
      if (target !== undefined && i < parts.length - 1) {
        const resolved = target.startsWith('/') ? target : posix.join(current, target)
        return this.canonical(posix.join(resolved, ...parts.slice(i + 1)), depth + 1)
      }
      current = next
    }
    return current
  }

  has(path: string): boolean {
    return this.entries.has(path)
  }

  add(entry: PlanEntry): PlanEntry {
    const existing = this.entries.get(entry.path)
    if (existing) {
      if (entry.neededBy) existing.neededBy = [...new Set([...(existing.neededBy ?? []), ...entry.neededBy])]
      return existing
    }
    this.ensureParents(entry.path)
    this.entries.set(entry.path, entry)
    if (entry.type === 'symlink') this.links.set(entry.path, entry.target!)
    return entry
  }

  private ensureParents(path: string): void {
    const parent = posix.dirname(path)
    if (parent === '/' || this.entries.has(parent)) return
    this.ensureParents(parent)
    this.entries.set(parent, {path: parent, type: 'dir', mode: 0o755, reason: 'parent'})
  }
}

// The host as the host layout reads it: each path lstat-ed and each link read once per plan, and
// each directory placed once (the libraries of a thousand programs share a handful of them).
class HostTree {
  private readonly stats = new Map<string, Stats | undefined>()
  private readonly links = new Map<string, string>()
  // In-rootfs directory as written -> its real path, every link on the way already placed.
  readonly dirs = new Map<string, string>([['/', '/']])

  constructor(readonly sysroot: string) {}

  lstat(path: string): Stats | undefined {
    if (!this.stats.has(path)) this.stats.set(path, lstatSync(path, {throwIfNoEntry: false}))
    return this.stats.get(path)
  }

  readlink(path: string): string {
    let target = this.links.get(path)
    if (target === undefined) this.links.set(path, (target = readlinkSync(path)))
    return target
  }
}

// A clean absolute path's parent placed (its real directory in the rootfs), the path under that
// directory, and what the host has there.
function placeParent(map: EntryMap, tree: HostTree, path: string, depth: number): {parent: string; placed: string; host: string; stat: Stats} {
  const slash = path.lastIndexOf('/')
  const parent = placeDir(map, tree, slash === 0 ? '/' : path.slice(0, slash), depth)
  const placed = parent === '/' ? path.slice(slash) : parent + path.slice(slash)
  const host = posix.join(tree.sysroot, placed)
  const stat = tree.lstat(host)
  if (!stat) throw new NsToolError(`${host}: no such file`)
  return {parent, placed, host, stat}
}

// The real path of directory `dir` in the rootfs, having placed every symlink met on the way
// (the link and what it points to), so /bin/bash works whether /bin is a directory or a link to
// usr/bin. Paths are clean and absolute; `..` in a link target is taken lexically from the real
// directory the link sits in, as the kernel does.
function placeDir(map: EntryMap, tree: HostTree, dir: string, depth: number): string {
  const known = tree.dirs.get(dir)
  if (known !== undefined) return known
  if (depth > MAX_LINK_DEPTH) throw new NsToolError(`${dir}: too many levels of symbolic links`)
  const {parent, placed: path, host, stat} = placeParent(map, tree, dir, depth)
  let real: string
  if (stat.isSymbolicLink()) {
    const target = tree.readlink(host)
    map.add({path, type: 'symlink', target, reason: 'link on the way'})
    real = placeDir(map, tree, posix.normalize(target.startsWith('/') ? target : posix.join(parent, target)), depth + 1)
  } else if (stat.isDirectory()) {
    real = path
  } else {
    throw new NsToolError(`${host}: not a directory`)
  }
  tree.dirs.set(dir, real)
  return real
}

// Host layout: the file at its host path, with every symlink on the way recreated.
function placeHostPath(map: EntryMap, tree: HostTree, path: string, entry: Omit<PlanEntry, 'path' | 'type' | 'source'>, depth = 0): void {
  if (depth > MAX_LINK_DEPTH) throw new NsToolError(`${path}: too many levels of symbolic links`)
  const {parent, placed, host, stat} = placeParent(map, tree, posix.normalize(path), depth)
  if (stat.isSymbolicLink()) {
    const target = tree.readlink(host)
    map.add({path: placed, type: 'symlink', target, reason: entry.reason})
    placeHostPath(map, tree, target.startsWith('/') ? target : posix.join(parent, target), entry, depth + 1)
  } else if (stat.isDirectory()) {
    map.add({path: placed, type: 'dir', mode: stat.mode & 0o7777, reason: entry.reason})
  } else {
    map.add({...entry, path: placed, type: 'file', source: host, mode: stat.mode & 0o7777})
  }
}

function libraryReason(file: ResolvedFile): Omit<PlanEntry, 'path' | 'type' | 'source'> {
  const reason = file.kind === 'library' ? `library${file.foundVia ? ` (${file.foundVia})` : ''}` : file.kind
  return file.neededBy ? {reason, neededBy: file.neededBy} : {reason}
}

// Flat layout: programs in /bin, libraries in /lib64 under the name the loader asks for, the
// interpreter at its PT_INTERP path; /etc/ld.so.cache makes the loader look in /lib64.
function placeFlat(map: EntryMap, sysroot: string, closure: Closure): void {
  for (const file of closure.files) {
    const host = posix.join(sysroot, file.path)
    const stat = statSync(host)
    const mode = stat.mode & 0o7777
    if (file.kind === 'program') {
      map.add({path: posix.join('/bin', basename(file.path)), type: 'file', source: host, mode, reason: 'program'})
    } else if (file.kind === 'interpreter') {
      map.add({path: file.path, type: 'file', source: host, mode, ...libraryReason(file)})
    } else {
      const name = file.soname ?? basename(file.path)
      map.add({path: flatLibraryPath(name), type: 'file', source: host, mode, ...libraryReason(file)})
      for (const variant of file.variants ?? []) {
        const level = HWCAPS_DIR.exec(variant)?.[1]
        if (level === undefined) continue
        const variantHost = posix.join(sysroot, variant)
        map.add({path: flatLibraryPath(name, level), type: 'file', source: variantHost, mode: statSync(variantHost).mode & 0o7777, reason: 'library (hwcaps variant)'})
      }
    }
  }
}

// Where the flat layout puts a library: /lib64/NAME, a glibc-hwcaps variant under
// /lib64/glibc-hwcaps/LEVEL/.
function flatLibraryPath(name: string, level?: string): string {
  return level === undefined ? posix.join('/lib64', name) : posix.join('/lib64/glibc-hwcaps', level, name)
}

const HWCAPS_DIR = /\/glibc-hwcaps\/([^/]+)\/[^/]+$/

// What the rootfs's /etc/ld.so.cache lists: each library under the name the loader asks for, at
// the path it lands on (its host path, or /lib64 in the flat layout), its glibc-hwcaps variants
// as extension entries. Legacy hwcap subdirectories (tls, x86_64) are left to the directory search.
function ldCacheRecords(closure: Closure, layout: Layout): LdCacheRecord[] {
  const records: Array<LdCacheRecord & {private: boolean}> = []
  const fallback = cacheFlagsFor(hostMachine() ?? 0, process.arch.includes('64') ? 64 : 32) ?? 0x0303
  for (const file of closure.files) {
    // The loader is listed too (ldconfig lists it): a library checked on its own asks for it.
    const key = file.kind === 'library' ? file.soname : file.kind === 'interpreter' ? closure.loaderSonames?.get(file.path) : undefined
    if (key === undefined) continue
    const flags = closure.cacheFlags?.get(file.path) ?? fallback
    const found = {private: file.foundVia === undefined || PRIVATE_WAYS.has(file.foundVia)}
    const place = (path: string, level?: string) => (layout === 'flat' && file.kind === 'library' ? flatLibraryPath(key, level) : path)
    const plainDir = hwcapsBase(posix.dirname(file.path))
    for (const path of new Set([file.path, ...(file.variants ?? [])])) {
      const level = HWCAPS_DIR.exec(path)?.[1]
      if (level !== undefined) records.push({key, value: place(path, level), flags, hwcaps: level, ...found})
      else if (posix.dirname(path) === plainDir) records.push({key, value: place(path), flags, ...found})
    }
  }
  // A soname found in several places (one program's own copy through its RUNPATH, the system's
  // through the cache): the cache lists only what the loader's own search found, so that the
  // programs without that RUNPATH keep getting the system's copy.
  const searched = new Set(records.filter((r) => !r.private).map((r) => r.key))
  const seen = new Set<string>()
  return records.flatMap(({private: own, ...record}) => {
    const id = `${record.key}\0${record.value}\0${record.hwcaps ?? ''}`
    if ((own && searched.has(record.key)) || seen.has(id)) return []
    seen.add(id)
    return [record]
  })
}

// Ways of finding a file that belong to the object that asked, not to the loader's own search.
const PRIVATE_WAYS = new Set<FoundVia>(['rpath', 'runpath', 'path'])

function isElfFile(path: string): boolean {
  let fd: number | undefined
  try {
    fd = openSync(path, 'r')
    const head = Buffer.alloc(4)
    return readSync(fd, head, 0, 4, 0) === 4 && head.toString('latin1') === '\x7fELF'
  } catch {
    return false
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

// --file: a file, a symlink (kept as a link) or a directory (recursively), at DEST. Returns the
// ELF files among them (host paths) so that their dependencies are resolved too.
function placeFileRequest(map: EntryMap, request: FileRequest): string[] {
  const stat = lstatSync(request.source, {throwIfNoEntry: false})
  if (!stat) throw new NsToolError(`--file ${request.source}: no such file or directory`)
  const elfFiles: string[] = []
  const visit = (source: string, dest: string, stat: Stats) => {
    const path = map.canonical(dest)
    if (stat.isSymbolicLink()) {
      map.add({path, type: 'symlink', target: readlinkSync(source), reason: 'file'})
    } else if (stat.isDirectory()) {
      map.add({path, type: 'dir', mode: stat.mode & 0o7777, reason: 'file'})
      for (const name of readdirSync(source).sort()) {
        const child = posix.join(source, name)
        const childStat = lstatSync(child, {throwIfNoEntry: false})
        if (childStat) visit(child, posix.join(dest, name), childStat)
      }
    } else if (stat.isFile()) {
      map.add({path, type: 'file', source, mode: stat.mode & 0o7777, reason: 'file'})
      if (isElfFile(source)) elfFiles.push(source)
    }
    // Sockets, fifos and devices are not copied: a rootfs gets its own /dev at run time.
  }
  visit(request.source, request.dest, stat)
  return elfFiles
}

// A static busybox: the given path, else the one on PATH when it is static.
export function findBusybox(choice: true | string): string {
  let path = typeof choice === 'string' ? resolvePath(choice) : undefined
  if (!path) {
    // The resolver's execvp lookup: a directory this user may not enter is passed over.
    try {
      path = findProgramIn(new Sysroot('/'), 'busybox')
    } catch (error) {
      throw new NsToolError(`${(error as Error).message}; install a static one (Debian/Ubuntu: apt-get install busybox-static) or give --busybox PATH`)
    }
  }
  const found = regularFile(path)
  if (found !== true) throw new NsToolError(`--busybox ${path}: ${found}`)
  return path
}

// true for a regular file, else why not.
function regularFile(path: string): true | string {
  try {
    return statSync(path).isFile() ? true : 'not a regular file'
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EACCES' ? 'permission denied' : 'no such file'
  }
}

async function busyboxApplets(busybox: string): Promise<string[]> {
  const {spawnSync} = await import('node:child_process')
  const listed = spawnSync(busybox, ['--list-full'], {encoding: 'utf8'})
  if (listed.status !== 0) throw new NsToolError(`${busybox} --list-full failed: ${(listed.stderr || listed.error?.message || '').trim()}`)
  return listed.stdout.split('\n').filter(Boolean).map((line) => posix.join('/', line))
}

// Where the libraries live in the rootfs, for /etc/ld.so.conf.
function libraryDirs(entries: Iterable<PlanEntry>): string[] {
  const dirs = new Set<string>()
  for (const entry of entries) {
    if (entry.type === 'file' && /^library/.test(entry.reason) && !entry.path.includes('/glibc-hwcaps/')) dirs.add(posix.dirname(entry.path))
  }
  return [...dirs].sort()
}

export async function plan(programs: string[], options: BuildOptions = {}): Promise<Plan> {
  const layout: Layout = options.layout ?? 'host'
  const sysroot = options.sysroot ? resolvePath(options.sysroot) : '/'
  const output = resolvePath(options.output ?? 'rootfs')
  const requests = (options.files ?? []).map(parseFileFlag)
  for (const request of requests) {
    if (!lstatSync(request.source, {throwIfNoEntry: false})) throw new NsToolError(`--file ${request.source}: no such file or directory`)
  }
  const map = new EntryMap()

  // --file entries first would let them shadow programs; place them after, but learn their ELF
  // files now so the resolver includes their dependencies.
  const extraHost: string[] = []
  const fileMap = new EntryMap()
  for (const request of requests) extraHost.push(...placeFileRequest(fileMap, request))
  const extraFiles = extraHost.map((host) => (sysroot === '/' ? host : host.startsWith(sysroot + '/') ? host.slice(sysroot.length) : host))

  let closure: Closure = {programs: [], files: [], missing: []}
  if (programs.length > 0 || extraFiles.length > 0) {
    const {resolve} = await import('../../loader/index.js')
    closure = await resolve(programs, {sysroot, resolver: options.sysroot ? 'elf' : options.resolver, extraFiles})
  }
  if (closure.missing.length > 0 && !options.allowMissing) {
    const {missingLine} = await import('../../loader/missing.js')
    throw new NsToolError(closure.missing.map(missingLine).join('\n') + '\n(add the library with --file, or pass --allow-missing)')
  }
  for (const missing of closure.missing) {
    const {missingLine} = await import('../../loader/missing.js')
    options.warn?.(`warning: ${missingLine(missing)}`)
  }

  if (layout === 'host') {
    // Merged /usr: the host's top-level links (/bin -> usr/bin ...) come too, so /bin/bash works
    // for a program found at /usr/bin/bash, as on the host.
    const tree = new HostTree(sysroot)
    for (const top of MERGED_USR_LINKS) {
      const host = posix.join(sysroot, top)
      if (tree.lstat(host)?.isSymbolicLink()) map.add({path: top, type: 'symlink', target: tree.readlink(host), reason: 'merged /usr link'})
    }
    for (const file of closure.files) {
      placeHostPath(map, tree, file.path, libraryReason(file))
      for (const variant of file.variants ?? []) if (variant !== file.path) placeHostPath(map, tree, variant, {reason: 'library (hwcaps variant)'})
    }
  } else {
    placeFlat(map, sysroot, closure)
  }
  for (const request of requests) placeFileRequest(map, request)

  if (options.busybox) {
    const busybox = findBusybox(options.busybox)
    const home = map.canonical('/bin/busybox')
    map.add({path: home, type: 'file', source: busybox, mode: statSync(busybox).mode & 0o7777, reason: 'busybox'})
    for (const applet of await busyboxApplets(busybox)) {
      const path = map.canonical(applet)
      if (map.has(path) || path === home) continue
      map.add({path, type: 'symlink', target: posix.relative(posix.dirname(path), home), reason: 'busybox applet'})
    }
  }

  const dirs = libraryDirs(map.entries.values())
  if (options.skeleton !== false) {
    for (const entry of skeletonEntries(dirs)) {
      const path = map.canonical(entry.path)
      if (!map.has(path)) map.add({...entry, path})
    }
  }
  // A flat tree cannot run without the cache that points the loader at /lib64.
  if (layout === 'flat' && !map.has('/etc/ld.so.conf') && dirs.length > 0) {
    map.add({path: '/etc/ld.so.conf', type: 'file', content: dirs.map((d) => `${d}\n`).join(''), mode: 0o644, reason: 'ld.so.cache'})
  }
  const entries = [...map.entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  const needsLdCache = dirs.length > 0 && (layout === 'flat' || closure.needsLdCache !== false)
  const ldCache = needsLdCache ? ldCacheRecords(closure, layout) : undefined
  return {output, layout, programs: closure.programs, entries, missing: closure.missing, libraryDirs: dirs, ...(ldCache && {ldCache})}
}
