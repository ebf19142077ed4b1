// What the rootfs's loader configuration holds: the directories of /etc/ld.so.conf and the
// records of the /etc/ld.so.cache the writer makes from them.
import {posix} from 'node:path'
import type {LdCacheRecord} from '../../loader/ld-cache.js'
import {hostArchitecture} from '../../elf/host.js'
import {cacheFlagsFor, hwcapsBase} from '../../loader/loader.js'
import type {Closure, FoundVia} from '../../loader/types.js'
import type {Layout, PlanEntry} from '../types.js'
import {flatLibraryPath, HWCAPS_DIR} from './flat-layout.js'

// Ways of finding a file that belong to the object that asked, not to the loader's own search.
const PRIVATE_WAYS = new Set<FoundVia>(['rpath', 'runpath', 'path'])

// Each library under the name the loader asks for, at the path it lands on (its host path, or
// /lib64 in the flat layout), its glibc-hwcaps variants as extension entries. Legacy hwcap
// subdirectories (tls, x86_64) are left to the directory search.
export function ldCacheRecords(closure: Closure, layout: Layout): LdCacheRecord[] {
  const records: Array<LdCacheRecord & {private: boolean}> = []
  const host = hostArchitecture()
  const fallback = (host && cacheFlagsFor(host)) ?? 0x0303
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

// Where the libraries live in the rootfs, for /etc/ld.so.conf.
export function libraryDirs(entries: Iterable<PlanEntry>): string[] {
  const dirs = new Set<string>()
  for (const entry of entries) {
    if (entry.type === 'file' && /^library/.test(entry.reason) && !entry.path.includes('/glibc-hwcaps/')) dirs.add(posix.dirname(entry.path))
  }
  return [...dirs].sort()
}
