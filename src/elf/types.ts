// What ns-tool knows about an ELF file, read from its headers only (never its symbols).

export type ElfErrorCode =
  | 'not-elf' // no \x7fELF magic (a script, a text file, a directory is reported by the caller)
  | 'truncated' // a header, a table or a string points past the end of the file
  | 'corrupt' // inconsistent headers: bad sizes, overlapping or impossible offsets, unterminated strings
  | 'unsupported' // a valid ELF we do not handle (unknown class/data encoding, ELF version != 1)
  | 'io' // the file could not be opened or read (ENOENT, EACCES, EISDIR, ...)

export class ElfError extends Error {
  readonly code: ElfErrorCode
  readonly path: string

  constructor(code: ElfErrorCode, path: string, detail: string) {
    super(`${path}: ${detail}`)
    this.name = 'ElfError'
    this.code = code
    this.path = path
  }
}

export interface ElfIdentity {
  elfClass: 32 | 64
  endian: 'little' | 'big'
  // e_machine, and its name (x86_64, aarch64, i386, arm, riscv, ...).
  machine: number
  machineName: string
  osabi: number
  // e_type
  fileType: 'none' | 'relocatable' | 'executable' | 'shared' | 'core' | 'other'
}

export interface DynamicSection {
  // DT_NEEDED names, in file order.
  needed: string[]
  // DT_RPATH / DT_RUNPATH as written (colon-separated, tokens such as $ORIGIN unexpanded).
  rpath?: string
  runpath?: string
  soname?: string
  // DT_FLAGS and DT_FLAGS_1 (0 when absent).
  flags: number
  flags1: number
}

export const DF_1_NODEFLIB = 0x800
export const DF_1_PIE = 0x08000000

// dynamic: has PT_INTERP. static: no PT_INTERP, no PT_DYNAMIC. static-pie: no PT_INTERP, ET_DYN,
// PT_DYNAMIC with DF_1_PIE. shared: no PT_INTERP, PT_DYNAMIC, not a PIE (a library, or ld.so itself).
export type Linkage = 'dynamic' | 'static' | 'static-pie' | 'shared'

export interface ElfObject {
  path: string
  identity: ElfIdentity
  linkage: Linkage
  // PT_INTERP as written, e.g. /lib64/ld-linux-x86-64.so.2
  interpreter?: string
  // Absent when the file has no PT_DYNAMIC.
  dynamic?: DynamicSection
}
