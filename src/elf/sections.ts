// What an ELF file says beyond its headers, for the data rules (src/data): its notes (the FDO
// .note.dlopen among them) and the dynamic symbols it imports (iconv_open, tzset...). Read from the
// section header table: a few positioned reads, never the whole file.
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'
import {isElfMagic} from './index.js'

const SHT_SYMTAB_DYNAMIC = 11
const SHT_NOTE = 7
const SHN_UNDEF = 0
// Caps that bound memory whatever the headers claim.
const MAX_SECTIONS = 65536
const MAX_TABLE = 64 * 1024 * 1024

export interface ElfNote {
  owner: string
  type: number
  desc: Buffer
}

export interface ElfSections {
  notes: ElfNote[]
  // Names of the undefined (imported) and defined (exported) symbols of .dynsym.
  imports: string[]
  exports: string[]
}

interface Section {
  type: number
  offset: number
  size: number
  link: number
  entsize: number
  align: number
}

// The notes and imported symbols of the file at path; empty for a file that is not ELF, has no
// section headers (a stripped-to-the-bone file) or cannot be read: a data rule then has nothing
// to go on, which is never an error.
export function readElfSections(path: string): ElfSections {
  let fd: number
  try {
    fd = openSync(path, 'r')
  } catch {
    return {notes: [], imports: [], exports: []}
  }
  try {
    return parseSections(fd, fstatSync(fd).size)
  } catch {
    return {notes: [], imports: [], exports: []}
  } finally {
    closeSync(fd)
  }
}

function readAt(fd: number, offset: number, length: number, size: number): Buffer {
  if (offset < 0 || length < 0 || length > MAX_TABLE || offset + length > size) throw new RangeError('outside the file')
  const buffer = Buffer.alloc(length)
  let done = 0
  while (done < length) {
    const n = readSync(fd, buffer, done, length - done, offset + done)
    if (n === 0) throw new RangeError('short read')
    done += n
  }
  return buffer
}

// The file's byte order and class, with readers of its fields.
interface Reader {
  is64: boolean
  u16(buffer: Buffer, offset: number): number
  u32(buffer: Buffer, offset: number): number
  // An address or offset: 8 bytes in ELF64, 4 in ELF32.
  addr(buffer: Buffer, offset: number): number
  read(offset: number, length: number): Buffer
}

function parseSections(fd: number, size: number): ElfSections {
  const header = readAt(fd, 0, Math.min(64, size), size)
  if (!isElfMagic(header) || header.length < 52) return {notes: [], imports: [], exports: []}
  const is64 = header[4] === 2
  const little = header[5] === 1
  const u32 = (b: Buffer, o: number) => (little ? b.readUInt32LE(o) : b.readUInt32BE(o))
  const reader: Reader = {
    is64,
    u16: (b, o) => (little ? b.readUInt16LE(o) : b.readUInt16BE(o)),
    u32,
    addr: (b, o) => (is64 ? Number(little ? b.readBigUInt64LE(o) : b.readBigUInt64BE(o)) : u32(b, o)),
    read: (offset, length) => readAt(fd, offset, length, size),
  }
  const sections = sectionHeaders(reader, header)
  const {imports, exports} = dynamicSymbols(reader, sections)
  return {notes: sections.filter((section) => section.type === SHT_NOTE && section.size > 0).flatMap((section) => notesIn(reader, section)), imports, exports}
}

function sectionHeaders(r: Reader, header: Buffer): Section[] {
  const shoff = r.addr(header, r.is64 ? 0x28 : 0x20)
  const shentsize = r.u16(header, r.is64 ? 0x3a : 0x2e)
  const shnum = r.u16(header, r.is64 ? 0x3c : 0x30)
  if (shoff === 0 || shnum === 0 || shnum > MAX_SECTIONS || shentsize < (r.is64 ? 64 : 40)) return []
  const table = r.read(shoff, shentsize * shnum)
  const sections: Section[] = []
  for (let i = 0; i < shnum; i++) {
    const b = i * shentsize
    sections.push(r.is64
      ? {type: r.u32(table, b + 4), offset: r.addr(table, b + 24), size: r.addr(table, b + 32), link: r.u32(table, b + 40), align: r.addr(table, b + 48), entsize: r.addr(table, b + 56)}
      : {type: r.u32(table, b + 4), offset: r.u32(table, b + 16), size: r.u32(table, b + 20), link: r.u32(table, b + 24), align: r.u32(table, b + 32), entsize: r.u32(table, b + 36)})
  }
  return sections
}

function notesIn(r: Reader, section: Section): ElfNote[] {
  const bytes = r.read(section.offset, section.size)
  // Notes are 4-byte aligned, except in sections aligned to 8 (GNU property notes in ELF64).
  const align = section.align === 8 ? 8 : 4
  const pad = (n: number) => (n + align - 1) & ~(align - 1)
  const notes: ElfNote[] = []
  for (let at = 0; at + 12 <= bytes.length;) {
    const namesz = r.u32(bytes, at)
    const descsz = r.u32(bytes, at + 4)
    const nameStart = at + 12
    // The descriptor starts at the next boundary after the name (gABI; readelf does the same).
    const descStart = pad(nameStart + namesz)
    if (descStart + descsz > bytes.length) break
    notes.push({owner: bytes.toString('latin1', nameStart, nameStart + Math.max(0, namesz - 1)), type: r.u32(bytes, at + 8), desc: bytes.subarray(descStart, descStart + descsz)})
    at = descStart + pad(descsz)
  }
  return notes
}

// .dynsym's names, undefined (imported) or defined (exported), from the string table it links to.
function dynamicSymbols(r: Reader, sections: Section[]): {imports: string[]; exports: string[]} {
  const imports: string[] = []
  const exports: string[] = []
  const dynsym = sections.find((section) => section.type === SHT_SYMTAB_DYNAMIC)
  const strings = dynsym && sections[dynsym.link]
  if (!dynsym || !strings || dynsym.entsize === 0) return {imports, exports}
  const symbols = r.read(dynsym.offset, dynsym.size)
  const names = r.read(strings.offset, strings.size)
  const shndxAt = r.is64 ? 6 : 14
  for (let at = 0; at + dynsym.entsize <= symbols.length; at += dynsym.entsize) {
    const name = r.u32(symbols, at)
    if (name === 0 || name >= names.length) continue
    const end = names.indexOf(0, name)
    ;(r.u16(symbols, at + shndxAt) === SHN_UNDEF ? imports : exports).push(names.toString('latin1', name, end < 0 ? names.length : end))
  }
  return {imports, exports}
}
