// What the first bytes of a file say: the ELF magic, then e_ident's class and byte order and the
// header's e_type and e_machine — all that the kernel and the loaders look at before anything else.
import {closeSync, openSync, readSync} from 'node:fs'
import {DF_1_PIE, type ElfIdentity, type ElfObject} from './types.js'

export const IDENT_BYTES = 20
export const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46]

const FILE_TYPES: Record<number, ElfIdentity['fileType']> = {0: 'none', 1: 'relocatable', 2: 'executable', 3: 'shared', 4: 'core'}

export function isElfMagic(head: Uint8Array): boolean {
  return head.length >= 4 && ELF_MAGIC.every((byte, i) => head[i] === byte)
}

// The identity fields of the header's first 20 bytes, or why there is none: 'not-elf' (no magic),
// 'short' (fewer than 20 bytes), or the e_ident byte that is not a valid class or encoding.
export type IdentFields = Pick<ElfIdentity, 'elfClass' | 'endian' | 'machine' | 'osabi' | 'fileType'> & {version: number}
export type IdentProblem = 'not-elf' | 'short' | {field: 'class' | 'data encoding'; value: number}

export function decodeIdent(head: Uint8Array): IdentFields | IdentProblem {
  if (!isElfMagic(head)) return 'not-elf'
  if (head.length < IDENT_BYTES) return 'short'
  const elfClass = head[4] === 1 ? 32 : head[4] === 2 ? 64 : undefined
  if (elfClass === undefined) return {field: 'class', value: head[4]}
  const endian = head[5] === 1 ? 'little' : head[5] === 2 ? 'big' : undefined
  if (endian === undefined) return {field: 'data encoding', value: head[5]}
  const half = (offset: number) => (endian === 'little' ? head[offset] | (head[offset + 1] << 8) : (head[offset] << 8) | head[offset + 1])
  return {elfClass, endian, version: head[6], osabi: head[7], fileType: FILE_TYPES[half(16)] ?? 'other', machine: half(18)}
}

// The first `length` bytes of a file (fewer when it is shorter). Throws the open or read error.
export function readHead(path: string, length = IDENT_BYTES): Buffer {
  const fd = openSync(path, 'r')
  try {
    const buffer = Buffer.alloc(length)
    return buffer.subarray(0, readSync(fd, buffer, 0, length, 0))
  } finally {
    closeSync(fd)
  }
}

// Whether the file starts with the ELF magic; false when it cannot be read.
export function isElfFile(path: string): boolean {
  try {
    return isElfMagic(readHead(path, 4))
  } catch {
    return false
  }
}

// Whether the kernel starts this file as a program (so its PT_INTERP is needed): ET_EXEC, a PIE
// (DF_1_PIE), or an ET_DYN without a SONAME (a PIE linked before DF_1_PIE). A library with a
// PT_INTERP of its own (libc.so.6, which prints its version when run) is loaded by a program's
// loader, which ignores that PT_INTERP.
export function startsAsProgram(elf: ElfObject): boolean {
  if (elf.identity.fileType === 'executable') return true
  return elf.dynamic === undefined || (elf.dynamic.flags1 & DF_1_PIE) !== 0 || elf.dynamic.soname === undefined
}