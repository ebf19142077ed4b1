// The binary /etc/ld.so.cache that ldconfig writes and the loader reads (glibc's dl-cache.h):
// the "glibc-ld.so.cache1.1" format, alone or after the old "ld.so-1.7.0" table, with its
// extension sections (the glibc-hwcaps subdirectory names).

const OLD_MAGIC = 'ld.so-1.7.0'
const NEW_MAGIC = 'glibc-ld.so.cache1.1'
const EXTENSION_MAGIC = 0xeaa42174
const EXTENSION_TAG_GLIBC_HWCAPS = 1
// An entry whose hwcap word has this bit names a glibc-hwcaps subdirectory by index.
const HWCAP_EXTENSION = 1n << 62n

export interface LdCacheEntry {
  // The soname the loader looks up, e.g. libc.so.6.
  key: string
  // The path it maps to, e.g. /lib/x86_64-linux-gnu/libc.so.6.
  value: string
  // FLAG_ELF_LIBC6 | FLAG_X8664_LIB64 = 0x0303 on x86_64; the loader accepts only its own.
  flags: number
  // glibc-hwcaps subdirectory (x86-64-v3, ...) for an extension entry.
  hwcaps?: string
  // A legacy hwcap mask (tls, x86_64, ... subdirectories of old ldconfig); 0n for a plain entry.
  legacyHwcap: bigint
}

export interface LdCache {
  format: 'new' | 'old'
  entries: LdCacheEntry[]
  // Entries by key, in file order (ldconfig sorts hwcaps entries before the plain one).
  byKey: Map<string, LdCacheEntry[]>
  // The "ldconfig (Debian GLIBC 2.36-9) ..." generator string, when present.
  generator?: string
}

export class LdCacheError extends Error {
  constructor(detail: string) {
    super(`ld.so.cache: ${detail}`)
    this.name = 'LdCacheError'
  }
}

function cString(buf: Buffer, offset: number): string {
  if (offset < 0 || offset >= buf.length) throw new LdCacheError(`string offset ${offset} past the end (${buf.length} bytes)`)
  const end = buf.indexOf(0, offset)
  if (end === -1) throw new LdCacheError(`unterminated string at ${offset}`)
  return buf.toString('utf8', offset, end)
}

function indexByKey(entries: LdCacheEntry[]): Map<string, LdCacheEntry[]> {
  const byKey = new Map<string, LdCacheEntry[]>()
  for (const entry of entries) {
    const list = byKey.get(entry.key)
    if (list) list.push(entry)
    else byKey.set(entry.key, [entry])
  }
  return byKey
}

// Parses a cache file's bytes. Throws LdCacheError on anything malformed: the loader ignores a
// cache it cannot understand, and so do we (the caller decides).
export function parseLdCache(buf: Buffer): LdCache {
  let newStart = 0
  if (buf.length >= OLD_MAGIC.length && buf.toString('latin1', 0, OLD_MAGIC.length) === OLD_MAGIC) {
    // struct cache_file { char magic[11]; uint32_t nlibs; struct file_entry libs[]; } (12-byte entries)
    if (buf.length < 16) throw new LdCacheError('truncated old-format header')
    const nlibs = buf.readUInt32LE(12)
    const entriesEnd = 16 + nlibs * 12
    if (entriesEnd > buf.length) throw new LdCacheError('old-format table past the end of the file')
    // The new format, when present, follows the old table aligned to 8 bytes.
    const aligned = (entriesEnd + 7) & ~7
    if (buf.length >= aligned + NEW_MAGIC.length && buf.toString('latin1', aligned, aligned + NEW_MAGIC.length) === NEW_MAGIC) {
      newStart = aligned
    } else {
      return parseOld(buf, nlibs, entriesEnd)
    }
  }
  return parseNew(buf.subarray(newStart))
}

function parseOld(buf: Buffer, nlibs: number, stringsStart: number): LdCache {
  const entries: LdCacheEntry[] = []
  for (let i = 0; i < nlibs; i++) {
    const at = 16 + i * 12
    const flags = buf.readInt32LE(at)
    // Old-format offsets count from the start of the string table, right after the entries.
    entries.push({
      key: cString(buf, stringsStart + buf.readUInt32LE(at + 4)),
      value: cString(buf, stringsStart + buf.readUInt32LE(at + 8)),
      flags,
      legacyHwcap: 0n,
    })
  }
  return {format: 'old', entries, byKey: indexByKey(entries)}
}

function parseNew(buf: Buffer): LdCache {
  // struct cache_file_new: magic[17] version[3] nlibs len_strings flags(u8) pad[3]
  // extension_offset unused[3], then 24-byte entries {int32 flags; u32 key, value, osversion; u64 hwcap}.
  if (buf.length < 48 || buf.toString('latin1', 0, NEW_MAGIC.length) !== NEW_MAGIC) throw new LdCacheError('not a glibc-ld.so.cache1.1 file')
  const endianFlag = buf[28]
  // 0: unset (written by an old ldconfig, host order), 2: little, 3: big, 1: invalid.
  if (endianFlag === 1 || endianFlag > 3) throw new LdCacheError(`invalid endianness mark ${endianFlag}`)
  const big = endianFlag === 3
  const u32 = (o: number) => (big ? buf.readUInt32BE(o) : buf.readUInt32LE(o))
  const i32 = (o: number) => (big ? buf.readInt32BE(o) : buf.readInt32LE(o))
  const u64 = (o: number) => (big ? buf.readBigUInt64BE(o) : buf.readBigUInt64LE(o))
  const nlibs = u32(20)
  if (48 + nlibs * 24 > buf.length) throw new LdCacheError(`${nlibs} entries do not fit in ${buf.length} bytes`)

  const extensionOffset = u32(32)
  let hwcapsNames: string[] = []
  let generator: string | undefined
  if (extensionOffset !== 0 && extensionOffset + 8 <= buf.length && u32(extensionOffset) === EXTENSION_MAGIC) {
    const count = u32(extensionOffset + 4)
    for (let i = 0; i < count; i++) {
      const at = extensionOffset + 8 + i * 16
      if (at + 16 > buf.length) throw new LdCacheError('extension section table past the end')
      const tag = u32(at)
      const offset = u32(at + 8)
      const size = u32(at + 12)
      if (offset + size > buf.length) throw new LdCacheError('extension section past the end')
      if (tag === 0) generator = buf.toString('utf8', offset, offset + size).replace(/\0+$/, '')
      else if (tag === EXTENSION_TAG_GLIBC_HWCAPS) {
        hwcapsNames = []
        for (let j = 0; j + 4 <= size; j += 4) hwcapsNames.push(cString(buf, u32(offset + j)))
      }
    }
  }

  const entries: LdCacheEntry[] = []
  for (let i = 0; i < nlibs; i++) {
    const at = 48 + i * 24
    const hwcap = u64(at + 16)
    const entry: LdCacheEntry = {
      key: cString(buf, u32(at + 4)),
      value: cString(buf, u32(at + 8)),
      flags: i32(at),
      legacyHwcap: 0n,
    }
    if ((hwcap & HWCAP_EXTENSION) !== 0n) {
      const index = Number(hwcap & 0xffffffffn)
      // An index the file does not define: the loader skips the entry.
      if (index >= hwcapsNames.length) continue
      entry.hwcaps = hwcapsNames[index]
    } else {
      entry.legacyHwcap = hwcap
    }
    entries.push(entry)
  }
  return {format: 'new', entries, byKey: indexByKey(entries), generator}
}

// The loader's choice for a soname (dl-cache.c search_cache): among entries with acceptable flags,
// the glibc-hwcaps entry of the highest active priority, else the first plain entry.
// activeHwcaps lists the subdirectories this CPU supports, best first. Legacy-hwcap entries
// (tls/, x86_64/ subdirectories of a pre-2.37 ldconfig, sorted most bits first) are chosen only by
// a loader that accepts them (acceptsLegacy: a glibc < 2.37 loader's HWCAP_CHECK).
export function lookupLdCache(
  cache: LdCache,
  soname: string,
  acceptFlags: readonly number[] | undefined,
  activeHwcaps: readonly string[],
  acceptsLegacy?: (hwcap: bigint) => boolean,
): {path: string; hwcaps?: string} | undefined {
  const candidates = cache.byKey.get(soname)
  if (!candidates) return undefined
  let best: LdCacheEntry | undefined
  let bestPriority = Infinity
  for (const entry of candidates) {
    if (acceptFlags && !acceptFlags.includes(entry.flags)) continue
    if (entry.hwcaps !== undefined) {
      const priority = activeHwcaps.indexOf(entry.hwcaps)
      if (priority === -1 || priority >= bestPriority) continue
      best = entry
      bestPriority = priority
      continue
    }
    if (best) break
    if (entry.legacyHwcap !== 0n && !acceptsLegacy?.(entry.legacyHwcap)) continue
    best = entry
    break
  }
  return best && {path: best.value, hwcaps: best.hwcaps}
}

// Every path the cache lists for a soname with acceptable flags: its hwcaps variants and the base.
export function ldCacheVariants(cache: LdCache, soname: string, acceptFlags: readonly number[] | undefined): string[] {
  const paths: string[] = []
  for (const entry of cache.byKey.get(soname) ?? []) {
    if (acceptFlags && !acceptFlags.includes(entry.flags)) continue
    if (!paths.includes(entry.value)) paths.push(entry.value)
  }
  return paths
}

// One entry of a cache to write: the soname, the path the loader opens for it, the flags its
// loader accepts, and the glibc-hwcaps subdirectory for a variant.
export interface LdCacheRecord {
  key: string
  value: string
  flags: number
  hwcaps?: string
}

// _dl_cache_libcmp (elf/dl-cache.c): bytes compared one by one, but runs of digits as numbers, so
// that libfoo.so.10 sorts after libfoo.so.9.
export function cacheLibCompare(a: string, b: string): number {
  const p = Buffer.from(a, 'utf8')
  const q = Buffer.from(b, 'utf8')
  const at = (buf: Buffer, i: number) => (i < buf.length ? (buf[i] << 24) >> 24 : 0)
  const digit = (c: number) => c >= 0x30 && c <= 0x39
  let i = 0
  let j = 0
  while (i < p.length) {
    const c1 = at(p, i)
    const c2 = at(q, j)
    if (digit(c1)) {
      if (!digit(c2)) return 1
      let v1 = 0
      let v2 = 0
      while (digit(at(p, i))) v1 = v1 * 10 + at(p, i++) - 0x30
      while (digit(at(q, j))) v2 = v2 * 10 + at(q, j++) - 0x30
      if (v1 !== v2) return v1 - v2
    } else if (digit(c2)) {
      return -1
    } else if (c1 !== c2) {
      return c1 - c2
    } else {
      i++
      j++
    }
  }
  return 0 - at(q, j)
}

// ldconfig's order (elf/cache.c compare): keys descending as _dl_cache_libcmp sees them, since the
// loader's binary search relies on it; for one key, higher flags first, glibc-hwcaps entries
// before the plain one (the loader stops at the first plain entry), by subdirectory name.
// Entries still equal keep the order they were given (Array#sort is stable), as ldconfig's
// add_to_cache inserts after its equals: the loader takes the first, the one searched first.
function recordOrder(e1: LdCacheRecord, e2: LdCacheRecord): number {
  const byKey = cacheLibCompare(e2.key, e1.key)
  if (byKey !== 0) return byKey
  if (e1.flags !== e2.flags) return e2.flags - e1.flags
  if (e1.hwcaps !== undefined && e2.hwcaps === undefined) return -1
  if (e1.hwcaps === undefined && e2.hwcaps !== undefined) return 1
  if (e1.hwcaps !== undefined && e2.hwcaps !== undefined) return e1.hwcaps < e2.hwcaps ? -1 : e1.hwcaps > e2.hwcaps ? 1 : 0
  return 0
}

// The bytes of a "glibc-ld.so.cache1.1" file (little-endian, as ldconfig writes on x86-64) listing
// these records, with a glibc-hwcaps extension section when some record names a subdirectory.
// String offsets count from the start of the file, as in a cache without the old-format table.
export function serializeLdCache(records: LdCacheRecord[]): Buffer {
  const sorted = [...records].sort(recordOrder)
  const hwcapsNames = [...new Set(sorted.flatMap((r) => (r.hwcaps === undefined ? [] : [r.hwcaps])))].sort()
  const stringsStart = 48 + sorted.length * 24
  const strings: Buffer[] = []
  const offsets = new Map<string, number>()
  let stringsLength = 0
  const intern = (text: string): number => {
    let offset = offsets.get(text)
    if (offset === undefined) {
      offset = stringsStart + stringsLength
      offsets.set(text, offset)
      const bytes = Buffer.from(`${text}\0`, 'utf8')
      strings.push(bytes)
      stringsLength += bytes.length
    }
    return offset
  }
  const entries = Buffer.alloc(sorted.length * 24)
  sorted.forEach((record, i) => {
    const at = i * 24
    entries.writeInt32LE(record.flags, at)
    entries.writeUInt32LE(intern(record.key), at + 4)
    entries.writeUInt32LE(intern(record.value), at + 8)
    const hwcap = record.hwcaps === undefined ? 0n : HWCAP_EXTENSION | BigInt(hwcapsNames.indexOf(record.hwcaps))
    entries.writeBigUInt64LE(hwcap, at + 16)
  })
  const nameOffsets = hwcapsNames.map(intern)

  // struct cache_extension { magic, count, sections[] {tag, flags, offset, size} }, 8-aligned.
  let extension = Buffer.alloc(0)
  const extensionOffset = hwcapsNames.length === 0 ? 0 : (stringsStart + stringsLength + 7) & ~7
  if (extensionOffset !== 0) {
    const padding = extensionOffset - (stringsStart + stringsLength)
    const dataOffset = extensionOffset + 8 + 16
    extension = Buffer.alloc(padding + 8 + 16 + nameOffsets.length * 4)
    let at = padding
    extension.writeUInt32LE(EXTENSION_MAGIC, at)
    extension.writeUInt32LE(1, at + 4)
    extension.writeUInt32LE(EXTENSION_TAG_GLIBC_HWCAPS, at + 8)
    extension.writeUInt32LE(0, at + 12)
    extension.writeUInt32LE(dataOffset, at + 16)
    extension.writeUInt32LE(nameOffsets.length * 4, at + 20)
    at += 24
    for (const offset of nameOffsets) {
      extension.writeUInt32LE(offset, at)
      at += 4
    }
  }

  const header = Buffer.alloc(48)
  header.write(NEW_MAGIC, 0, 'latin1')
  header.writeUInt32LE(sorted.length, 20)
  header.writeUInt32LE(stringsLength, 24)
  // cache_file_new_flags_endian_little
  header[28] = 2
  header.writeUInt32LE(extensionOffset, 32)
  return Buffer.concat([header, entries, ...strings, extension])
}
