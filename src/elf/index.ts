// The ELF reader: identity, PT_INTERP and the dynamic section, from headers only. Each file is read
// with a handful of positioned reads (the ELF header, the program headers, the interpreter, the
// dynamic table and the strings it names) — never the whole file, never its symbols.
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {describeLookupFailure} from '../errors.js'
import {decodeIdent, IDENT_BYTES} from './ident.js'
import {architectureName} from './machine.js'
import {DF_1_PIE, ElfError, type DynamicSection, type ElfIdentity, type ElfObject, type Linkage} from './types.js'

export * from './types.js'
export {decodeIdent, isElfFile, isElfMagic, readHead, startsAsProgram} from './ident.js'
export {architectureName, describeMachine} from './machine.js'


// Caps that bound memory whatever the headers claim (the kernel's own PT_INTERP limit is PATH_MAX).
const MAX_PHNUM = 4096
const MAX_INTERP = 4096
const MAX_DYNAMIC_ENTRIES = 65536
const MAX_STRING = 65536
const HEAD_BYTES = 8192
// A DT_NEEDED name or a run path is short: read this much first, more only when it is not enough.
const STRING_CHUNK = 256
// Reused by every read: parse() decodes what it needs from it before returning.
const headScratch = Buffer.allocUnsafe(HEAD_BYTES)

const PT_LOAD = 1
const PT_DYNAMIC = 2
const PT_INTERP = 3
const DT_NULL = 0
const DT_NEEDED = 1
const DT_STRTAB = 5
const DT_STRSZ = 10
const DT_SONAME = 14
const DT_RPATH = 15
const DT_FLAGS = 30
const DT_RUNPATH = 29
const DT_FLAGS_1 = 0x6ffffffb

// Positioned reads over one open file, each checked against the file's size.
interface Source {
  size: number
  read(offset: number, length: number): Buffer
}

function fail(code: ElfError['code'], path: string, detail: string): never {
  throw new ElfError(code, path, detail)
}

// Reads the headers of the file at `path`. Throws only ElfError.
export function readElfSync(path: string): ElfObject {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch (error) {
    fail('io', path, describeLookupFailure(error))
  }
  try {
    let size: number
    try {
      const stat = fstatSync(fd)
      if (stat.isDirectory()) fail('io', path, 'is a directory, not an ELF file')
      size = stat.size
    } catch (error) {
      if (error instanceof ElfError) throw error
      fail('io', path, describeLookupFailure(error))
    }
    // One read covers the ELF header, the program headers and PT_INTERP of nearly every file;
    // later reads inside it are served from it.
    const head = headScratch.subarray(0, Math.min(size, HEAD_BYTES))
    const headLength = readFully(fd, path, head, 0)
    const source: Source = {
      size,
      read(offset, length) {
        if (offset + length <= headLength) return head.subarray(offset, offset + length)
        const buffer = Buffer.allocUnsafe(length)
        return buffer.subarray(0, readFully(fd, path, buffer, offset))
      },
    }
    return parse(path, source)
  } finally {
    closeSync(fd)
  }
}

// Fills buffer from the file at offset; returns how many bytes there were.
function readFully(fd: number, path: string, buffer: Buffer, offset: number): number {
  let done = 0
  try {
    while (done < buffer.length) {
      const n = readSync(fd, buffer, done, buffer.length - done, offset + done)
      if (n === 0) break
      done += n
    }
  } catch (error) {
    fail('io', path, describeLookupFailure(error))
  }
  return done
}

// The promise form. The reads are a few small positioned reads of headers, cheaper than the
// event-loop round trips an asynchronous version would make.
export async function readElf(path: string): Promise<ElfObject> {
  return readElfSync(path)
}

interface Layout {
  elfClass: 32 | 64
  little: boolean
}

function word(buffer: Buffer, offset: number, layout: Layout, width: 2 | 4 | 8): number {
  if (width === 2) return layout.little ? buffer.readUInt16LE(offset) : buffer.readUInt16BE(offset)
  if (width === 4) return layout.little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset)
  // Two 32-bit halves, not a BigInt per field (thousands of files, dozens of fields each).
  const low = layout.little ? buffer.readUInt32LE(offset) : buffer.readUInt32BE(offset + 4)
  const high = layout.little ? buffer.readUInt32LE(offset + 4) : buffer.readUInt32BE(offset)
  // Offsets beyond 2^53 cannot be in any real file; keep them as "too large" numbers.
  return high >= 0x200000 ? Number.MAX_SAFE_INTEGER : high * 0x100000000 + low
}

function signedTag(buffer: Buffer, offset: number, layout: Layout): number {
  if (layout.elfClass === 32) return layout.little ? buffer.readInt32LE(offset) : buffer.readInt32BE(offset)
  const low = layout.little ? buffer.readInt32LE(offset) : buffer.readInt32BE(offset + 4)
  const high = layout.little ? buffer.readInt32LE(offset + 4) : buffer.readInt32BE(offset)
  // Tags that do not fit 32 bits (the high half is not the sign of the low one) are none we decode.
  return high === (low < 0 ? -1 : 0) ? low : -1
}

// Reads exactly `length` bytes at `offset`, or reports what is wrong with the range.
function need(path: string, source: Source, offset: number, length: number, what: string): Buffer {
  if (offset < 0 || length < 0 || !Number.isSafeInteger(offset + length)) fail('corrupt', path, `${what} has an impossible offset`)
  if (offset + length > source.size) fail('truncated', path, `${what} lies past the end of the file (${offset + length} > ${source.size} bytes)`)
  const buffer = source.read(offset, length)
  if (buffer.length < length) fail('truncated', path, `${what} lies past the end of the file`)
  return buffer
}

interface Segment {
  type: number
  offset: number
  vaddr: number
  filesz: number
}

function parse(path: string, source: Source): ElfObject {
  const fields = decodeIdent(source.read(0, Math.min(source.size, IDENT_BYTES)))
  if (fields === 'not-elf') fail('not-elf', path, source.size < 4 ? 'not an ELF file (too short)' : 'not an ELF file (no \\x7fELF magic)')
  if (fields === 'short') fail('truncated', path, 'the ELF identification lies past the end of the file')
  if ('field' in fields) fail('unsupported', path, `unknown ELF ${fields.field} ${fields.value}`)
  if (fields.version !== 1) fail('unsupported', path, `unsupported ELF version ${fields.version}`)
  const layout: Layout = {elfClass: fields.elfClass, little: fields.endian === 'little'}
  const is64 = layout.elfClass === 64
  const header = need(path, source, 0, is64 ? 64 : 52, 'the ELF header')
  const phoff = word(header, is64 ? 32 : 28, layout, is64 ? 8 : 4)
  const phentsize = word(header, is64 ? 54 : 42, layout, 2)
  const phnum = word(header, is64 ? 56 : 44, layout, 2)
  const {elfClass, endian, machine, osabi, fileType} = fields
  const identity: ElfIdentity = {elfClass, endian, machine, machineName: architectureName(fields), osabi, fileType}

  const segments = readSegments(path, source, layout, phoff, phentsize, phnum)
  const interpSegment = segments.find((s) => s.type === PT_INTERP)
  const dynamicSegment = segments.find((s) => s.type === PT_DYNAMIC)
  let interpreter: string | undefined
  if (interpSegment) {
    if (interpSegment.filesz === 0 || interpSegment.filesz > MAX_INTERP) fail('corrupt', path, `PT_INTERP has an impossible size (${interpSegment.filesz})`)
    const bytes = need(path, source, interpSegment.offset, interpSegment.filesz, 'PT_INTERP')
    const end = bytes.indexOf(0)
    if (end <= 0) fail('corrupt', path, 'PT_INTERP is not a terminated path')
    interpreter = bytes.subarray(0, end).toString('latin1')
  }
  const dynamic = dynamicSegment ? readDynamic(path, source, layout, dynamicSegment, segments) : undefined

  let linkage: Linkage
  if (interpreter !== undefined) linkage = 'dynamic'
  else if (!dynamic) linkage = 'static'
  else if (identity.fileType === 'shared' && (dynamic.flags1 & DF_1_PIE) !== 0) linkage = 'static-pie'
  else linkage = 'shared'
  const elf: ElfObject = {path, identity, linkage}
  if (interpreter !== undefined) elf.interpreter = interpreter
  if (dynamic) elf.dynamic = dynamic
  return elf
}

function readSegments(path: string, source: Source, layout: Layout, phoff: number, phentsize: number, phnum: number): Segment[] {
  if (phnum === 0) return []
  const is64 = layout.elfClass === 64
  const minimum = is64 ? 56 : 32
  if (phentsize < minimum) fail('corrupt', path, `program header entries of ${phentsize} bytes (at least ${minimum} expected)`)
  if (phnum > MAX_PHNUM) fail('corrupt', path, `${phnum} program headers`)
  const table = need(path, source, phoff, phentsize * phnum, 'the program header table')
  const segments: Segment[] = []
  for (let i = 0; i < phnum; i++) {
    const base = i * phentsize
    const type = word(table, base, layout, 4)
    if (is64) {
      segments.push({type, offset: word(table, base + 8, layout, 8), vaddr: word(table, base + 16, layout, 8), filesz: word(table, base + 32, layout, 8)})
    } else {
      segments.push({type, offset: word(table, base + 4, layout, 4), vaddr: word(table, base + 8, layout, 4), filesz: word(table, base + 16, layout, 4)})
    }
  }
  return segments
}

// The file offset of a virtual address, through the PT_LOAD segment that maps it (DT_STRTAB is an
// address, as the loader sees it once the file is mapped).
function fileOffset(address: number, segments: Segment[]): number | undefined {
  for (const s of segments) {
    if (s.type === PT_LOAD && address >= s.vaddr && address < s.vaddr + s.filesz) return s.offset + (address - s.vaddr)
  }
  return undefined
}

function readDynamic(path: string, source: Source, layout: Layout, segment: Segment, segments: Segment[]): DynamicSection {
  const entrySize = layout.elfClass === 64 ? 16 : 8
  const count = Math.min(Math.floor(segment.filesz / entrySize), MAX_DYNAMIC_ENTRIES)
  if (count === 0) fail('corrupt', path, 'PT_DYNAMIC is empty')
  const table = need(path, source, segment.offset, count * entrySize, 'the dynamic section')
  const entries: Array<[number, number]> = []
  for (let i = 0; i < count; i++) {
    const base = i * entrySize
    const tag = signedTag(table, base, layout)
    if (tag === DT_NULL) break
    entries.push([tag, word(table, base + entrySize / 2, layout, entrySize === 16 ? 8 : 4)])
  }
  const value = (tag: number) => entries.find(([t]) => t === tag)?.[1]
  const dynamic: DynamicSection = {needed: [], flags: value(DT_FLAGS) ?? 0, flags1: value(DT_FLAGS_1) ?? 0}
  const stringTags = [DT_NEEDED, DT_SONAME, DT_RPATH, DT_RUNPATH]
  if (!entries.some(([tag]) => stringTags.includes(tag))) return dynamic

  const strtab = value(DT_STRTAB)
  if (strtab === undefined) fail('corrupt', path, 'the dynamic section names libraries but has no DT_STRTAB')
  const tableOffset = fileOffset(strtab, segments)
  if (tableOffset === undefined) fail('corrupt', path, `DT_STRTAB (0x${strtab.toString(16)}) is not inside any loaded segment`)
  const declared = value(DT_STRSZ)
  const tableSize = Math.min(declared ?? MAX_STRING * 16, source.size - tableOffset)
  if (tableSize <= 0) fail('truncated', path, 'the dynamic string table lies past the end of the file')
  const stringAt = (offset: number, what: string): string => {
    if (offset >= tableSize) fail('corrupt', path, `${what} points outside the dynamic string table`)
    const limit = Math.min(MAX_STRING, tableSize - offset)
    for (let length = Math.min(STRING_CHUNK, limit); ; length = Math.min(length * 16, limit)) {
      const bytes = need(path, source, tableOffset + offset, length, what)
      const end = bytes.indexOf(0)
      if (end >= 0) return bytes.toString('utf8', 0, end)
      if (length === limit) fail(declared !== undefined && offset + length >= tableSize ? 'corrupt' : 'truncated', path, `${what} is not terminated`)
    }
  }
  // The names usually sit close together: one read of the span that holds them all.
  const offsets = entries.filter(([tag]) => stringTags.includes(tag)).map(([, offset]) => offset)
  const first = Math.min(...offsets)
  const spanLength = Math.min(Math.max(...offsets) - first + STRING_CHUNK, tableSize - first)
  const span = first < tableSize && spanLength <= MAX_STRING ? need(path, source, tableOffset + first, spanLength, 'the dynamic string table') : undefined
  const string = (offset: number, what: string): string => {
    const end = span ? span.indexOf(0, offset - first) : -1
    return end >= 0 ? span!.toString('utf8', offset - first, end) : stringAt(offset, what)
  }
  for (const [tag, offset] of entries) {
    if (tag === DT_NEEDED) dynamic.needed.push(string(offset, 'a DT_NEEDED name'))
    else if (tag === DT_SONAME) dynamic.soname = string(offset, 'DT_SONAME')
    else if (tag === DT_RPATH) dynamic.rpath = string(offset, 'DT_RPATH')
    else if (tag === DT_RUNPATH) dynamic.runpath = string(offset, 'DT_RUNPATH')
  }
  return dynamic
}
