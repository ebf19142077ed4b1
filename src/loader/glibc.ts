// glibc's search for a DT_NEEDED name (elf/dl-load.c _dl_map_object): RPATH of the requester and
// its loaders, LD_LIBRARY_PATH, RUNPATH, ld.so.cache (or ld.so.conf), the default directories; in
// each directory its glibc-hwcaps subdirectories first.
import {readFileSync} from 'node:fs'
import {posix} from 'node:path'
import {DF_1_NODEFLIB} from '../elf/types.js'
import type {ElfSource} from './elf-source.js'
import {ldCacheVariants, lookupLdCache, parseLdCache, type LdCache} from './ld-cache.js'
import {readLdConf, type LdConf} from './ld-conf.js'
import {indexName, type LoadedObject, type LoaderRules, type Process, type SearchResult} from './link-map.js'
import {hwcapsBase, type LoaderProfile} from './loader.js'
import {probeGlibc} from './probe.js'
import type {Sysroot} from './sysroot.js'
import {expandTokens, searchDirs} from './tokens.js'
import type {FoundVia} from './types.js'

const CACHE_PATH = '/etc/ld.so.cache'

interface Remembered {
  result: SearchResult
  searched: string[]
  skipped: string[]
}

// What every glibc process of one resolution shares: the sysroot's cache and configuration, which
// directories exist, and the searches no RPATH or LD_LIBRARY_PATH takes part in.
export class GlibcSearches {
  private readonly dirExists = new Map<string, boolean>()
  private readonly memo = new Map<LoaderProfile, Map<string, Remembered>>()
  private cacheState?: {cache?: LdCache}
  private confState?: LdConf

  constructor(
    readonly sysroot: Sysroot,
    readonly elfSource: ElfSource,
    readonly cwd: string,
    readonly ldLibraryPath: string | undefined,
  ) {}

  // The rules of one process, whose loader is described by `profile`.
  rules(profile: LoaderProfile, origin: string): GlibcRules {
    // The loader ignores an empty LD_LIBRARY_PATH (it does not mean the current directory).
    const ldLibraryDirs = this.ldLibraryPath ? searchDirs(this.ldLibraryPath, {origin, lib: profile.lib, platform: profile.platform}, /[:;]/) : []
    return new GlibcRules(this, profile, ldLibraryDirs)
  }

  directoryExists(dir: string): boolean {
    let exists = this.dirExists.get(dir)
    if (exists === undefined) {
      exists = this.sysroot.isDirectory(dir)
      this.dirExists.set(dir, exists)
    }
    return exists
  }

  ldCache(): LdCache | undefined {
    if (!this.cacheState) {
      this.cacheState = {}
      const file = this.sysroot.openable(CACHE_PATH)
      if (file) {
        try {
          this.cacheState.cache = parseLdCache(readFileSync(this.sysroot.hostPath(file.real)))
        } catch {
          // The loader ignores a cache it cannot parse; so do we.
        }
      }
    }
    return this.cacheState.cache
  }

  ldConf(): LdConf {
    this.confState ??= readLdConf(this.sysroot)
    return this.confState
  }

  remembered(profile: LoaderProfile): Map<string, Remembered> {
    let memo = this.memo.get(profile)
    if (!memo) this.memo.set(profile, (memo = new Map()))
    return memo
  }
}

export class GlibcRules implements LoaderRules {
  readonly kind = 'glibc'
  readonly cacheFlags: number | undefined

  constructor(
    private readonly shared: GlibcSearches,
    readonly profile: LoaderProfile,
    private readonly ldLibraryDirs: string[],
  ) {
    // ldconfig writes its own machine's flags; the last accepted ones are those (i386: 0x0003).
    this.cacheFlags = profile.cacheFlags?.at(-1)
  }

  expandName(name: string, requester: LoadedObject): string | undefined {
    const expanded = expandTokens(name, {origin: requester.origin, lib: this.profile.lib, platform: this.profile.platform})
    return expanded === '' ? undefined : expanded
  }

  // By a name it was asked for, its path or its SONAME (rule 6).
  alreadyLoaded(process: Process, name: string): LoadedObject | undefined {
    return process.byName.get(name)
  }

  remember(process: Process, object: LoadedObject): void {
    for (const key of [...object.names, object.path, object.soname]) indexName(process, key, object)
  }

  alias(process: Process, object: LoadedObject, name: string): void {
    indexName(process, name, object)
  }

  // Whether the loader finds path without a cache: in one of its default directories, or in a
  // glibc-hwcaps or legacy hwcap subdirectory of one.
  needsCache(path: string): boolean {
    let dir = hwcapsBase(posix.dirname(path))
    const legacy = this.profile.legacyVariants.find((subdir) => dir.endsWith(`/${subdir}`))
    if (legacy) dir = dir.slice(0, -legacy.length - 1)
    return !this.profile.systemDirs.includes(dir || '/')
  }

  async open(process: Process, path: string, skipped: string[]): Promise<SearchResult> {
    const probe = await probeGlibc(this.shared.sysroot, this.shared.elfSource, path, process.expect)
    if (probe.status === 'ok') return {path, real: probe.real, elf: probe.elf, via: 'path'}
    if (probe.status === 'skip') skipped.push(probe.why)
    return probe.status === 'fatal' ? {fatal: probe.message} : undefined
  }

  // A search that no RPATH chain or LD_LIBRARY_PATH takes part in depends only on the loader, the
  // requester's RUNPATH (with its $ORIGIN) and NODEFLIB: a thousand programs asking for libc.so.6
  // search once.
  async search(process: Process, name: string, requester: LoadedObject, searched: string[], skipped: string[]): Promise<SearchResult> {
    const dynamic = requester.elf.dynamic
    let shared = this.ldLibraryDirs.length === 0
    for (let object: LoadedObject | undefined = requester; shared && object && !dynamic?.runpath; object = object.loader) {
      if (object.elf.dynamic?.rpath && !object.elf.dynamic.runpath) shared = false
    }
    if (!shared) return this.searchFresh(process, name, requester, searched, skipped)
    const key = `${process.expect.endian}\0${dynamic?.runpath ?? ''}\0${dynamic?.runpath ? requester.origin : ''}\0${dynamic?.flags1 ?? 0}\0${name}`
    const memo = this.shared.remembered(this.profile)
    let known = memo.get(key)
    if (!known) {
      const own = {searched: [] as string[], skipped: [] as string[]}
      known = {result: await this.searchFresh(process, name, requester, own.searched, own.skipped), ...own}
      memo.set(key, known)
    }
    searched.push(...known.searched)
    skipped.push(...known.skipped)
    return known.result
  }

  // The loader's search order for a name without "/": RPATH chain, LD_LIBRARY_PATH, RUNPATH, cache, default dirs.
  private async searchFresh(process: Process, name: string, requester: LoadedObject, searched: string[], skipped: string[]): Promise<SearchResult> {
    const {profile} = this
    const dynamic = requester.elf.dynamic
    const tokens = (origin: string) => ({origin, lib: profile.lib, platform: profile.platform})
    const inDirs = (dirs: string[], via: FoundVia) => this.searchDirectories(process, name, dirs, via, searched, skipped)

    // DT_RPATH of the requester and of each object that loaded it, unless the requester has a
    // DT_RUNPATH. An object's RPATH is void when it has a RUNPATH of its own.
    if (!dynamic?.runpath) {
      for (let object: LoadedObject | undefined = requester; object; object = object.loader) {
        const rpath = object.elf.dynamic?.runpath ? undefined : object.elf.dynamic?.rpath
        if (!rpath) continue
        const found = await inDirs(searchDirs(rpath, tokens(object.origin)), 'rpath')
        if (found) return found
      }
    }
    if (this.ldLibraryDirs.length > 0) {
      const found = await inDirs(this.ldLibraryDirs, 'ld-library-path')
      if (found) return found
    }
    if (dynamic?.runpath) {
      const found = await inDirs(searchDirs(dynamic.runpath, tokens(requester.origin)), 'runpath')
      if (found) return found
    }
    // DF_1_NODEFLIB: no default directories, and no cache entry inside one of them.
    const nodeflib = ((dynamic?.flags1 ?? 0) & DF_1_NODEFLIB) !== 0
    const found = await this.searchCache(process, name, nodeflib, searched, skipped)
    if (found) return found
    if (!nodeflib) return inDirs(profile.systemDirs, 'default-dirs')
    return undefined
  }

  // ld.so.cache, or, in a sysroot without one, the directories `ldconfig -r` would have put in it.
  private async searchCache(process: Process, name: string, nodeflib: boolean, searched: string[], skipped: string[]): Promise<SearchResult> {
    const {profile, shared} = this
    const inSystemDir = (path: string): boolean => profile.systemDirs.some((dir) => path.startsWith(dir === '/' ? '/' : `${dir}/`))
    const cache = shared.ldCache()
    if (!cache) {
      const dirs = shared.ldConf().dirs.filter((dir) => !(nodeflib && inSystemDir(`${dir}/`)))
      return this.searchDirectories(process, name, dirs, 'ld.so.conf', searched, skipped)
    }
    searched.push(CACHE_PATH)
    const hit = lookupLdCache(cache, name, profile.cacheFlags, profile.activeHwcaps, profile.acceptsLegacyEntry)
    if (!hit || (nodeflib && inSystemDir(hit.path))) return undefined
    const probe = await probeGlibc(shared.sysroot, shared.elfSource, hit.path, process.expect)
    if (probe.status === 'ok') {
      const listed = ldCacheVariants(cache, name, profile.cacheFlags).filter((path) => shared.sysroot.openable(path))
      const variants = listed.length > 1 || (listed.length === 1 && listed[0] !== hit.path) ? listed : undefined
      return {path: hit.path, real: probe.real, elf: probe.elf, via: 'ld.so.cache', variants}
    }
    searched.push(hit.path)
    if (probe.status === 'skip') skipped.push(probe.why)
    return probe.status === 'fatal' ? {fatal: probe.message} : undefined
  }

  // open_path: in each directory its glibc-hwcaps subdirectories, then (glibc < 2.37) the legacy
  // hwcap subdirectories, then the directory itself.
  private async searchDirectories(process: Process, name: string, dirs: string[], via: FoundVia, searched: string[], skipped: string[]): Promise<SearchResult> {
    const {profile, shared} = this
    const subdirs = [...profile.activeHwcaps.map((level) => `glibc-hwcaps/${level}`), ...profile.legacySubdirs, '']
    for (const dir of dirs) {
      const base = shared.sysroot.normalize(dir, shared.cwd)
      const exists = shared.directoryExists(base)
      for (const subdir of subdirs) {
        const candidate = posix.join(base, subdir, name)
        searched.push(candidate)
        if (!exists) continue
        const probe = await probeGlibc(shared.sysroot, shared.elfSource, candidate, process.expect)
        if (probe.status === 'ok') return {path: candidate, real: probe.real, elf: probe.elf, via, variants: this.variantsIn(base, name, candidate)}
        if (probe.status === 'skip') skipped.push(probe.why)
        if (probe.status === 'fatal') return {fatal: probe.message}
      }
    }
    return undefined
  }

  // Every copy of `name` the loader could pick in `dir` on some CPU: rule 3, for glibc-hwcaps and
  // legacy subdirectories alike (only those under a first component that exists are looked at).
  private variantsIn(dir: string, name: string, chosen: string): string[] | undefined {
    const {hwcaps, legacyVariants} = this.profile
    const legacy = legacyVariants.filter((subdir) => this.shared.directoryExists(posix.join(dir, subdir.split('/')[0])))
    const subdirs = [...hwcaps.map((level) => `glibc-hwcaps/${level}`), ...legacy, '']
    const present = subdirs.map((subdir) => posix.join(dir, subdir, name)).filter((path) => this.shared.sysroot.openable(path))
    if (present.length > 1 || (present.length === 1 && present[0] !== chosen)) return present
    return undefined
  }
}

