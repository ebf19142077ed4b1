// The dependency closure by emulating glibc's loader (elf/dl-load.c _dl_map_object and
// elf/dl-deps.c): each program is its own process, whose objects are loaded breadth-first in
// DT_NEEDED order, each name searched in the loader's order (design §3), a name already loaded
// (by name, SONAME or file) never searched again. Nothing is executed.
import {readFileSync} from 'node:fs'
import {posix} from 'node:path'
import {DF_1_NODEFLIB, type ElfObject} from '../elf/types.js'
import {NsToolError, UsageError} from '../errors.js'
import {ElfSource} from './elf-source.js'
import {ldCacheVariants, lookupLdCache, parseLdCache, type LdCache} from './ld-cache.js'
import {readLdConf, type LdConf} from './ld-conf.js'
import {hostMachine, hwcapsBase, loaderProfile, machineName, type LoaderProfile} from './loader.js'
import {defaultSearchPath, envCommand, findProgramIn, parseShebang, readHead, type Shebang} from './program.js'
import {Sysroot, SysrootLookupError} from './sysroot.js'
import {expandTokens, searchDirs} from './tokens.js'
import type {Closure, DependencyEdge, FileKind, FoundVia, MissingLibrary, ProgramInfo, ResolvedFile, ResolveOptions} from './types.js'

// The kernel follows at most this many nested #! interpreters (BINPRM_MAX_RECURSION).
const MAX_INTERPRETER_DEPTH = 4
const CACHE_PATH = '/etc/ld.so.cache'

interface Expectation {
  elfClass: 32 | 64
  endian: 'little' | 'big'
  machine: number
}

// One object in a process's link map.
interface LoadedObject {
  // The name the loader opened it by (l_name): a search result, a cache value, a path.
  path: string
  real: string
  // Names it was asked for (l_libname).
  names: Set<string>
  soname?: string
  elf: ElfObject
  // $ORIGIN: the directory of `path` (the real directory for the executable).
  origin: string
  // The object whose DT_NEEDED loaded it (l_loader), for the RPATH chain.
  loader?: LoadedObject
}

type Probe =
  | {status: 'ok'; real: string; elf: ElfObject}
  | {status: 'absent'}
  | {status: 'skip'}
  | {status: 'fatal'; message: string}

interface Found {
  path: string
  real: string
  elf: ElfObject
  via: FoundVia
  variants?: string[]
}

interface Fatal {
  fatal: string
}

interface Process {
  program: string
  expect: Expectation
  profile: LoaderProfile
  loaded: LoadedObject[]
  // The first loaded object each name, path or SONAME matches, and each real file's object.
  byName: Map<string, LoadedObject>
  byReal: Map<string, LoadedObject>
  queue: LoadedObject[]
  ldLibraryDirs: string[]
}

export type Classified = {type: 'elf'; real: string; elf: ElfObject} | {type: 'script'; real: string; shebang: Shebang}

// Indexes a newly loaded object; a key already taken stays with the earlier object, as the
// loader's walk of its link map finds that one first.
function remember(process: Process, object: LoadedObject): void {
  for (const key of [...object.names, object.path, object.soname]) {
    if (key !== undefined && !process.byName.has(key)) process.byName.set(key, object)
  }
  if (!process.byReal.has(object.real)) process.byReal.set(object.real, object)
}

// Whether the loader finds path without a cache: in one of its default directories, or in a
// glibc-hwcaps or legacy hwcap subdirectory of one.
function inDefaultDir(path: string, profile: LoaderProfile): boolean {
  let dir = hwcapsBase(posix.dirname(path))
  const legacy = profile.legacySubdirs.find((subdir) => dir.endsWith(`/${subdir}`))
  if (legacy) dir = dir.slice(0, -legacy.length - 1)
  return profile.systemDirs.includes(dir || '/')
}

const KIND_RANK: Record<FileKind, number> = {program: 0, interpreter: 1, library: 2, file: 3}

export class ClosureBuilder {
  private readonly sysroot: Sysroot
  private readonly elfSource: ElfSource
  private readonly searchPath: string
  private readonly ldLibraryPath?: string
  private readonly loaderInvocation: boolean
  private readonly cwd: string
  private readonly programs: ProgramInfo[] = []
  private readonly files = new Map<string, ResolvedFile>()
  private readonly missing = new Map<string, MissingLibrary>()
  private readonly edges: DependencyEdge[] = []
  private readonly processes = new Set<string>()
  private readonly dirExists = new Map<string, boolean>()
  // entry.neededBy as a set, for the membership test (libc is needed by every program).
  private readonly neededBy = new Map<string, Set<string>>()
  private readonly searches = new Map<LoaderProfile, Map<string, {result: Found | Fatal | undefined; searched: string[]}>>()
  private ldCacheState?: {cache?: LdCache}
  private needsLdCache = false
  private readonly cacheFlags = new Map<string, number>()
  private readonly loaderSonames = new Map<string, string>()
  private ldConfState?: LdConf

  constructor(options: ResolveOptions = {}, elfSource = new ElfSource()) {
    this.elfSource = elfSource
    this.sysroot = new Sysroot(options.sysroot ?? '/')
    if (options.ldLibraryPath !== undefined && !this.sysroot.isHost) {
      throw new UsageError('LD_LIBRARY_PATH applies to the host only: drop --ld-library-path or --sysroot')
    }
    this.searchPath = options.searchPath ?? defaultSearchPath()
    this.ldLibraryPath = options.ldLibraryPath
    this.loaderInvocation = options.loaderInvocation ?? false
    // Relative search directories are relative to the process's working directory.
    this.cwd = this.sysroot.isHost ? process.cwd() : '/'
  }

  findProgram(name: string): string {
    return findProgramIn(this.sysroot, name, this.searchPath)
  }

  async addProgram(name: string): Promise<ProgramInfo> {
    const path = this.findProgram(name)
    const classified = await this.classify(path, name)
    const info: ProgramInfo = {name, path, type: 'script'}
    if (classified.type === 'script') {
      info.interpreter = classified.shebang.interpreter
    } else {
      const {linkage, interpreter} = classified.elf
      info.type = linkage
      if (interpreter !== undefined) info.interpreter = interpreter
    }
    this.programs.push(info)
    this.addFile(path, 'program', {})
    await this.runExecutable(path, name, classified, 0)
    return info
  }

  // A file added on its own (build-rootfs --file): its interpreter and libraries are wanted too.
  async addExtraFile(path: string): Promise<void> {
    let file
    try {
      file = this.sysroot.file(path)
    } catch (error) {
      throw new NsToolError(`${path}: ${describeLookup(error)}`)
    }
    if (!file) throw new NsToolError(`${path}: no such file`)
    this.addFile(path, 'file', {foundVia: 'path'})
    const head = readHead(this.sysroot.hostPath(file.real), 256)
    if (!isElfHead(head) && !parseShebang(head)) return
    await this.runExecutable(path, path, await this.classify(path, path), 0)
  }

  result(): Closure {
    return {
      programs: this.programs,
      files: [...this.files.values()],
      missing: [...this.missing.values()],
      edges: this.edges,
      needsLdCache: this.needsLdCache,
      cacheFlags: this.cacheFlags,
      loaderSonames: this.loaderSonames,
    }
  }

  // ---- programs and interpreters ------------------------------------------------------------

  private classify(path: string, label: string): Promise<Classified> {
    return classifyFile(this.sysroot, this.elfSource, path, label)
  }

  private async runExecutable(path: string, label: string, classified: Classified, depth: number): Promise<void> {
    if (this.processes.has(path)) return
    this.processes.add(path)
    if (classified.type === 'script') {
      await this.runScript(path, label, classified.shebang, depth)
      return
    }
    const {elf} = classified
    if (elf.linkage === 'static' || elf.linkage === 'static-pie') return
    const interpreter = elf.linkage === 'dynamic' ? elf.interpreter : undefined
    await this.loadProcess(path, label, classified.real, elf, interpreter)
  }

  private async runScript(path: string, label: string, shebang: Shebang, depth: number): Promise<void> {
    if (depth >= MAX_INTERPRETER_DEPTH) throw new NsToolError(`${label}: more than ${MAX_INTERPRETER_DEPTH} levels of #! interpreters`)
    const interpreter = this.sysroot.normalize(shebang.interpreter, this.cwd)
    const interpreterClass = await this.classify(interpreter, `${label}: interpreter ${shebang.interpreter} (from its #! line)`).catch((error: unknown) => {
      throw rephraseMissing(error)
    })
    this.addFile(interpreter, 'interpreter', {foundVia: 'path', neededBy: path})
    this.edges.push({program: path, from: path, name: shebang.interpreter, kind: 'interpreter', path: interpreter, foundVia: 'path'})
    await this.runExecutable(interpreter, shebang.interpreter, interpreterClass, depth + 1)

    if (posix.basename(shebang.interpreter) !== 'env') return
    const command = envCommand(shebang.argument)
    if (command === undefined) return
    let commandPath: string
    try {
      commandPath = command.includes('/') ? this.sysroot.normalize(command, this.cwd) : findProgramIn(this.sysroot, command, this.searchPath)
    } catch (error) {
      throw new NsToolError(`${label}: ${command}, run by ${shebang.interpreter} from its #! line: ${stripName((error as Error).message, command)}`)
    }
    const commandClass = await this.classify(commandPath, `${label}: ${command} (run by ${shebang.interpreter} from its #! line)`)
    this.addFile(commandPath, 'interpreter', {foundVia: 'path', neededBy: path})
    this.edges.push({program: path, from: path, name: command, kind: 'interpreter', path: commandPath, foundVia: 'path'})
    await this.runExecutable(commandPath, command, commandClass, depth + 1)
  }

  // ---- one process: the loader's breadth-first walk -----------------------------------------

  private async loadProcess(path: string, label: string, real: string, elf: ElfObject, interpreter: string | undefined): Promise<void> {
    const expect: Expectation = {elfClass: elf.identity.elfClass, endian: elf.identity.endian, machine: elf.identity.machine}
    // The kernel gives the loader the executable's real path (/proc/self/exe): $ORIGIN follows
    // symlinks. `ld.so PROGRAM` (ldd) uses the path it was given instead.
    const origin = posix.dirname(this.loaderInvocation ? path : real)
    const main: LoadedObject = {path, real, names: new Set(), soname: elf.dynamic?.soname, elf, origin}
    const loaded: LoadedObject[] = [main]

    if (interpreter !== undefined) {
      const interpreterPath = this.sysroot.normalize(interpreter, this.cwd)
      const probe = await this.probe(interpreterPath, expect)
      if (probe.status !== 'ok') throw this.interpreterError(label, elf, interpreter, probe)
      loaded.push({
        path: interpreterPath,
        real: probe.real,
        names: new Set([interpreter]),
        soname: probe.elf.dynamic?.soname,
        elf: probe.elf,
        origin: posix.dirname(interpreterPath),
      })
      this.addFile(interpreterPath, 'interpreter', {foundVia: 'path', neededBy: path})
      if (probe.elf.dynamic?.soname) this.loaderSonames.set(interpreterPath, probe.elf.dynamic.soname)
      this.edges.push({program: path, from: path, name: interpreter, kind: 'interpreter', path: interpreterPath, foundVia: 'path'})
    }

    const profile = loaderProfile(this.sysroot, expect.machine, expect.elfClass, interpreter && this.sysroot.normalize(interpreter, this.cwd))
    const loaderFlags = profile.cacheFlags?.at(-1)
    if (loaderFlags !== undefined && loaded.length > 1) this.cacheFlags.set(loaded[1].path, loaderFlags)
    const process: Process = {
      program: path,
      expect,
      profile,
      loaded,
      byName: new Map(),
      byReal: new Map(),
      queue: [main],
      ldLibraryDirs:
        // The loader ignores an empty LD_LIBRARY_PATH (it does not mean the current directory).
        !this.ldLibraryPath ? [] : searchDirs(this.ldLibraryPath, {origin: main.origin, lib: profile.lib, platform: profile.platform}, /[:;]/),
    }
    for (const object of loaded) remember(process, object)
    for (let i = 0; i < process.queue.length; i++) {
      const object = process.queue[i]
      for (const name of object.elf.dynamic?.needed ?? []) await this.mapObject(process, name, object)
    }
  }

  private interpreterError(label: string, elf: ElfObject, interpreter: string, probe: Probe): NsToolError {
    const where = this.sysroot.isHost ? 'this system' : this.sysroot.root
    const arch = machineName(elf.identity.machine)
    if (probe.status === 'absent') {
      const host = hostMachine()
      if (elf.identity.machine !== host && this.sysroot.isHost) {
        return new NsToolError(`${label}: an ${arch} program whose interpreter ${interpreter} is not on this ${machineName(host ?? 0)} system (use --sysroot with an ${arch} root)`)
      }
      return new NsToolError(`${label}: its interpreter ${interpreter} is missing from ${where}`)
    }
    if (probe.status === 'skip') return new NsToolError(`${label}: its interpreter ${interpreter} is not an ${elf.identity.elfClass}-bit ${arch} loader`)
    return new NsToolError(`${label}: its interpreter ${interpreter} cannot be loaded (${probe.status === 'fatal' ? probe.message : ''})`)
  }

  // _dl_map_object: one DT_NEEDED name of `requester`.
  private async mapObject(process: Process, name: string, requester: LoadedObject): Promise<void> {
    const {profile} = process
    const expanded = expandTokens(name, {origin: requester.origin, lib: profile.lib, platform: profile.platform})
    if (expanded === undefined || expanded === '') {
      this.addMissing(process, name, requester, [], `cannot expand the dynamic string tokens in ${name}`)
      return
    }

    const loaded = process.byName.get(expanded)
    if (loaded) {
      loaded.names.add(expanded)
      // Never downgrades: the interpreter (matched by its SONAME) stays the interpreter.
      this.addFile(loaded.path, 'library', {neededBy: requester.path})
      this.edges.push({program: process.program, from: requester.path, name, kind: 'library', path: loaded.path, foundVia: 'already-loaded'})
      return
    }

    const searched: string[] = []
    let result: Found | Fatal | undefined
    if (expanded.includes('/')) {
      const path = this.sysroot.normalize(expanded, this.cwd)
      searched.push(path)
      const probe = await this.probe(path, process.expect)
      if (probe.status === 'ok') result = {path, real: probe.real, elf: probe.elf, via: 'path'}
      else if (probe.status === 'fatal') result = {fatal: probe.message}
    } else {
      result = await this.search(process, expanded, requester, searched)
    }
    if (result === undefined || 'fatal' in result) {
      this.addMissing(process, name, requester, searched, result?.fatal)
      return
    }

    const soname = expanded.includes('/') ? (result.elf.dynamic?.soname ?? posix.basename(expanded)) : expanded
    this.addFile(result.path, 'library', {soname, foundVia: result.via, neededBy: requester.path, variants: result.variants})
    this.edges.push({program: process.program, from: requester.path, name, kind: 'library', path: result.path, foundVia: result.via})
    if (!inDefaultDir(result.path, profile)) this.needsLdCache = true
    // ldconfig writes its own machine's flags; the last accepted ones are those (i386: 0x0003).
    const flags = profile.cacheFlags?.at(-1)
    if (flags !== undefined) for (const path of [result.path, ...(result.variants ?? [])]) this.cacheFlags.set(path, flags)

    // The same file under another name is the same object (_dl_map_object_from_fd's file id check).
    const same = process.byReal.get(result.real)
    if (same) {
      same.names.add(expanded)
      if (!process.byName.has(expanded)) process.byName.set(expanded, same)
      return
    }
    const object: LoadedObject = {
      path: result.path,
      real: result.real,
      names: new Set([expanded]),
      soname: result.elf.dynamic?.soname,
      elf: result.elf,
      origin: posix.dirname(result.path),
      loader: requester,
    }
    process.loaded.push(object)
    remember(process, object)
    process.queue.push(object)
  }

  // A search that no RPATH chain or LD_LIBRARY_PATH takes part in depends only on the loader, the
  // requester's RUNPATH (with its $ORIGIN) and NODEFLIB: a thousand programs asking for libc.so.6
  // search once.
  private async search(process: Process, name: string, requester: LoadedObject, searched: string[]): Promise<Found | Fatal | undefined> {
    const dynamic = requester.elf.dynamic
    let shared = process.ldLibraryDirs.length === 0
    for (let object: LoadedObject | undefined = requester; shared && object && !dynamic?.runpath; object = object.loader) {
      if (object.elf.dynamic?.rpath && !object.elf.dynamic.runpath) shared = false
    }
    if (!shared) return this.searchFresh(process, name, requester, searched)
    const key = `${process.expect.endian}\0${dynamic?.runpath ?? ''}\0${dynamic?.runpath ? requester.origin : ''}\0${dynamic?.flags1 ?? 0}\0${name}`
    let memo = this.searches.get(process.profile)
    if (!memo) this.searches.set(process.profile, (memo = new Map()))
    let known = memo.get(key)
    if (!known) {
      const own: string[] = []
      known = {result: await this.searchFresh(process, name, requester, own), searched: own}
      memo.set(key, known)
    }
    searched.push(...known.searched)
    return known.result
  }

  // The search order of design §3 for a name without "/".
  private async searchFresh(process: Process, name: string, requester: LoadedObject, searched: string[]): Promise<Found | Fatal | undefined> {
    const {profile} = process
    const dynamic = requester.elf.dynamic

    // DT_RPATH of the requester and of each object that loaded it, unless the requester has a
    // DT_RUNPATH. An object's RPATH is void when it has a RUNPATH of its own.
    if (!dynamic?.runpath) {
      for (let object: LoadedObject | undefined = requester; object; object = object.loader) {
        const rpath = object.elf.dynamic?.runpath ? undefined : object.elf.dynamic?.rpath
        if (!rpath) continue
        const dirs = searchDirs(rpath, {origin: object.origin, lib: profile.lib, platform: profile.platform})
        const found = await this.searchDirectories(process, name, dirs, 'rpath', searched)
        if (found) return found
      }
    }

    if (process.ldLibraryDirs.length > 0) {
      const found = await this.searchDirectories(process, name, process.ldLibraryDirs, 'ld-library-path', searched)
      if (found) return found
    }

    if (dynamic?.runpath) {
      const dirs = searchDirs(dynamic.runpath, {origin: requester.origin, lib: profile.lib, platform: profile.platform})
      const found = await this.searchDirectories(process, name, dirs, 'runpath', searched)
      if (found) return found
    }

    // DF_1_NODEFLIB: no default directories, and no cache entry inside one of them.
    const nodeflib = ((dynamic?.flags1 ?? 0) & DF_1_NODEFLIB) !== 0
    const inSystemDir = (path: string): boolean => profile.systemDirs.some((dir) => path.startsWith(dir === '/' ? '/' : `${dir}/`))
    const cache = this.ldCache()
    if (cache) {
      searched.push(CACHE_PATH)
      const hit = lookupLdCache(cache, name, profile.cacheFlags, profile.activeHwcaps)
      if (hit && !(nodeflib && inSystemDir(hit.path))) {
        const probe = await this.probe(hit.path, process.expect)
        if (probe.status === 'ok') {
          const listed = ldCacheVariants(cache, name, profile.cacheFlags).filter((path) => this.sysroot.openable(path))
          const variants = listed.length > 1 || (listed.length === 1 && listed[0] !== hit.path) ? listed : undefined
          return {path: hit.path, real: probe.real, elf: probe.elf, via: 'ld.so.cache', variants}
        }
        searched.push(hit.path)
        if (probe.status === 'fatal') return {fatal: probe.message}
      }
    } else {
      // No cache in the sysroot: the directories `ldconfig -r` would have put in one.
      const dirs = this.ldConf().dirs.filter((dir) => !(nodeflib && inSystemDir(`${dir}/`)))
      const found = await this.searchDirectories(process, name, dirs, 'ld.so.conf', searched)
      if (found) return found
    }

    if (!nodeflib) return this.searchDirectories(process, name, profile.systemDirs, 'default-dirs', searched)
    return undefined
  }

  // open_path: in each directory its glibc-hwcaps subdirectories, then (glibc < 2.37) the legacy
  // hwcap subdirectories, then the directory itself.
  private async searchDirectories(process: Process, name: string, dirs: string[], via: FoundVia, searched: string[]): Promise<Found | Fatal | undefined> {
    const {profile} = process
    const subdirs = [...profile.activeHwcaps.map((level) => `glibc-hwcaps/${level}`), ...profile.legacySubdirs, '']
    for (const dir of dirs) {
      const base = this.sysroot.normalize(dir, this.cwd)
      const exists = this.directoryExists(base)
      for (const subdir of subdirs) {
        const candidate = posix.join(base, subdir, name)
        searched.push(candidate)
        if (!exists) continue
        const probe = await this.probe(candidate, process.expect)
        if (probe.status === 'ok') return {path: candidate, real: probe.real, elf: probe.elf, via, variants: this.variantsIn(base, name, profile, candidate)}
        if (probe.status === 'fatal') return {fatal: probe.message}
      }
    }
    return undefined
  }

  // Every copy of `name` the loader could pick in `dir` on some CPU: rule 3.
  private variantsIn(dir: string, name: string, profile: LoaderProfile, chosen: string): string[] | undefined {
    const subdirs = [...profile.hwcaps.map((level) => `glibc-hwcaps/${level}`), ...new Set(profile.legacySubdirs), '']
    const present = subdirs.map((subdir) => posix.join(dir, subdir, name)).filter((path) => this.sysroot.openable(path))
    if (present.length > 1 || (present.length === 1 && present[0] !== chosen)) return present
    return undefined
  }

  // open_verify: whether the loader would take this file for this process.
  private async probe(path: string, expect: Expectation): Promise<Probe> {
    const file = this.sysroot.openable(path)
    if (!file) return {status: 'absent'}
    const elf = await this.elfSource.read(this.sysroot.hostPath(file.real))
    if (!('identity' in elf)) {
      // An unreadable file is skipped like a missing one (EACCES).
      if (elf.code === 'io') return {status: 'absent'}
      // The loader checks only e_ident and e_machine before deciding to skip a file: a file of
      // another class or machine is skipped even when the rest of it would not parse as ours.
      const verdict = identVerdict(this.sysroot.hostPath(file.real), expect)
      if (verdict === 'skip') return {status: 'skip'}
      if (verdict !== undefined) return {status: 'fatal', message: `${path}: ${verdict}`}
      return {status: 'fatal', message: `${path}: ${stripPath(elf.message, this.sysroot.hostPath(file.real))}`}
    }
    const {identity} = elf
    // Another class is skipped silently ("found_other_class"); another byte order is an error;
    // another machine is skipped; only ET_DYN and ET_EXEC can be loaded.
    if (identity.elfClass !== expect.elfClass) return {status: 'skip'}
    if (identity.endian !== expect.endian) return {status: 'fatal', message: `${path}: ELF file data encoding not ${expect.endian}-endian`}
    if (identity.machine !== expect.machine) return {status: 'skip'}
    if (identity.fileType !== 'shared' && identity.fileType !== 'executable') return {status: 'fatal', message: `${path}: only ET_DYN and ET_EXEC can be loaded`}
    return {status: 'ok', real: file.real, elf}
  }

  private directoryExists(dir: string): boolean {
    let exists = this.dirExists.get(dir)
    if (exists === undefined) {
      exists = this.sysroot.isDirectory(dir)
      this.dirExists.set(dir, exists)
    }
    return exists
  }

  private ldCache(): LdCache | undefined {
    if (!this.ldCacheState) {
      this.ldCacheState = {}
      const file = this.sysroot.openable(CACHE_PATH)
      if (file) {
        try {
          this.ldCacheState.cache = parseLdCache(readFileSync(this.sysroot.hostPath(file.real)))
        } catch {
          // The loader ignores a cache it cannot parse; so do we.
        }
      }
    }
    return this.ldCacheState.cache
  }

  private ldConf(): LdConf {
    this.ldConfState ??= readLdConf(this.sysroot)
    return this.ldConfState
  }

  // ---- the closure --------------------------------------------------------------------------

  private addFile(path: string, kind: FileKind, extra: {soname?: string; foundVia?: FoundVia; neededBy?: string; variants?: string[]}): void {
    let entry = this.files.get(path)
    if (!entry) {
      entry = {path, kind}
      if (extra.soname !== undefined) entry.soname = extra.soname
      if (extra.foundVia !== undefined) entry.foundVia = extra.foundVia
      this.files.set(path, entry)
    } else {
      if (KIND_RANK[kind] < KIND_RANK[entry.kind]) entry.kind = kind
      if (entry.soname === undefined && extra.soname !== undefined && kind === 'library') entry.soname = extra.soname
      if (entry.foundVia === undefined && extra.foundVia !== undefined) entry.foundVia = extra.foundVia
    }
    if (extra.neededBy !== undefined) {
      let by = this.neededBy.get(path)
      if (!by) this.neededBy.set(path, (by = new Set()))
      if (!by.has(extra.neededBy)) {
        by.add(extra.neededBy)
        ;(entry.neededBy ??= []).push(extra.neededBy)
      }
    }
    if (extra.variants) {
      entry.variants ??= []
      for (const variant of extra.variants) if (!entry.variants.includes(variant)) entry.variants.push(variant)
    }
  }

  private addMissing(process: Process, name: string, requester: LoadedObject, searched: string[], error?: string): void {
    this.edges.push({program: process.program, from: requester.path, name, kind: 'library'})
    const key = `${requester.path}\0${name}`
    if (this.missing.has(key)) return
    const entry: MissingLibrary = {soname: name, neededBy: requester.path, searched: [...new Set(searched)]}
    if (error !== undefined) entry.error = error
    this.missing.set(key, entry)
  }
}

// What a program file is: an ELF object, or a #! script; NsToolError naming `label` otherwise.
export async function classifyFile(sysroot: Sysroot, elfSource: ElfSource, path: string, label: string): Promise<Classified> {
  let file
  try {
    file = sysroot.file(path)
  } catch (error) {
    throw new NsToolError(`${label}: ${describeLookup(error)}`)
  }
  if (!file) {
    if (sysroot.isDirectory(path)) throw new NsToolError(`${label}: is a directory, not a program`)
    throw new NsToolError(`${label}: no such file`)
  }
  const hostPath = sysroot.hostPath(file.real)
  // Most programs are ELF files: their headers answer in one read; anything else is looked at.
  const read = await elfSource.read(hostPath)
  if ('identity' in read) return {type: 'elf', real: file.real, elf: read}
  let head: Buffer
  try {
    head = readHead(hostPath, 256)
  } catch (error) {
    throw new NsToolError(`${label}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  if (head[0] === 0x23 && head[1] === 0x21) {
    const shebang = parseShebang(head)
    if (!shebang) throw new NsToolError(`${label}: its #! line names no interpreter`)
    return {type: 'script', real: file.real, shebang}
  }
  if (!isElfHead(head)) throw new NsToolError(`${label}: not an ELF file or a #! script`)
  const elf = await elfSource.read(hostPath)
  if (!('identity' in elf)) throw new NsToolError(`${label}: not a valid ELF file (${elf.code}: ${stripPath(elf.message, hostPath)})`)
  return {type: 'elf', real: file.real, elf}
}

// open_verify's first checks on e_ident and e_machine: 'skip', a fatal message, or undefined
// when they pass (the file is then refused for what the ELF reader found).
function identVerdict(hostPath: string, expect: Expectation): 'skip' | string | undefined {
  let head: Buffer
  try {
    head = readHead(hostPath, 20)
  } catch {
    return undefined
  }
  if (!isElfHead(head)) return 'invalid ELF header'
  if (head.length < 20) return 'file too short'
  const elfClass = head[4] === 1 ? 32 : head[4] === 2 ? 64 : 0
  if (elfClass !== expect.elfClass) return 'skip'
  const endian = head[5] === 1 ? 'little' : head[5] === 2 ? 'big' : undefined
  if (endian !== expect.endian) return `ELF file data encoding not ${expect.endian}-endian`
  const machine = endian === 'little' ? head.readUInt16LE(18) : head.readUInt16BE(18)
  if (machine !== expect.machine) return 'skip'
  return undefined
}

function isElfHead(head: Buffer): boolean {
  return head.length >= 4 && head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46
}

function describeLookup(error: unknown): string {
  if (error instanceof SysrootLookupError) {
    if (error.code === 'ELOOP') return 'symlink loop (too many levels of symbolic links)'
    if (error.code === 'EACCES') return 'permission denied'
    if (error.code === 'ENOTDIR') return 'a component of the path is not a directory'
    return 'no such file'
  }
  return (error as Error).message
}

// ElfError messages start with the path the reader opened; the caller names the input itself.
function stripPath(message: string, path: string): string {
  return message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message
}

function stripName(message: string, name: string): string {
  return message.startsWith(`${name}: `) ? message.slice(name.length + 2) : message
}

function rephraseMissing(error: unknown): unknown {
  if (error instanceof NsToolError && / no such file$/.test(error.message)) return new NsToolError(error.message.replace(/ no such file$/, ' does not exist'))
  return error
}
