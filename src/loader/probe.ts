// Whether a loader takes a candidate file: glibc's open_verify (a file of another class or machine
// is passed over, the search goes on) and musl's path_open + map_library (the first file that
// opens is the one, and a file it cannot load stops the program).
import {decodeIdent, readHead} from '../elf/ident.js'
import {describeMachine} from '../elf/machine.js'
import type {ElfObject} from '../elf/types.js'
import {describeLookupFailure} from '../errors.js'
import type {ElfSource} from './elf-source.js'
import type {Expectation} from './link-map.js'
import {SysrootLookupError, type Sysroot} from './sysroot.js'

export type Probe =
  | {status: 'ok'; real: string; elf: ElfObject}
  | {status: 'absent'}
  | {status: 'skip'; why: string}
  | {status: 'fatal'; message: string}

// open_verify: whether glibc's loader would take this file for this process.
export async function probeGlibc(sysroot: Sysroot, elfSource: ElfSource, path: string, expect: Expectation): Promise<Probe> {
  const file = sysroot.openable(path)
  if (!file) return {status: 'absent'}
  const hostPath = sysroot.hostPath(file.real)
  const elf = await elfSource.read(hostPath)
  if (!('identity' in elf)) {
    // An unreadable file is skipped like a missing one (EACCES).
    if (elf.code === 'io') return {status: 'absent'}
    // The loader checks only e_ident and e_machine before deciding to skip a file: a file of
    // another class or machine is skipped even when the rest of it would not parse as ours.
    const verdict = identVerdict(hostPath, path, expect)
    if (verdict) return verdict
    return {status: 'fatal', message: `${path}: ${stripPath(elf.message, hostPath)}`}
  }
  const {identity} = elf
  // Another class is skipped silently ("found_other_class"); another byte order is an error;
  // another machine is skipped; only ET_DYN and ET_EXEC can be loaded.
  if (identity.elfClass !== expect.elfClass) return skip(path, identity)
  if (identity.endian !== expect.endian) return {status: 'fatal', message: `${path}: ELF file data encoding not ${expect.endian}-endian`}
  if (identity.machine !== expect.machine) return skip(path, identity)
  if (identity.fileType !== 'shared' && identity.fileType !== 'executable') return {status: 'fatal', message: `${path}: only ET_DYN and ET_EXEC can be loaded`}
  return {status: 'ok', real: file.real, elf}
}

// musl's loader: a name that does not open (ENOENT, ENOTDIR, EACCES) lets the search go on; any
// other failure ends it; the file that opens must then load, whatever it is.
export async function probeMusl(sysroot: Sysroot, elfSource: ElfSource, path: string, expect: Expectation): Promise<Probe> {
  let file
  try {
    file = sysroot.file(path)
  } catch (error) {
    if (error instanceof SysrootLookupError && error.code === 'EACCES') return {status: 'absent'}
    return {status: 'fatal', message: `${path}: ${describeLookupFailure(error)}`}
  }
  if (!file) return {status: 'absent'}
  const hostPath = sysroot.hostPath(file.real)
  const elf = await elfSource.read(hostPath)
  if (!('identity' in elf)) {
    if (elf.code === 'io') return {status: 'absent'}
    return {status: 'fatal', message: `${path}: ${elf.code === 'not-elf' ? 'not an ELF file' : stripPath(elf.message, hostPath)}`}
  }
  const {identity} = elf
  if (identity.fileType !== 'shared' && identity.fileType !== 'executable') return {status: 'fatal', message: `${path}: only ET_DYN and ET_EXEC can be loaded`}
  if (!elf.dynamic) return {status: 'fatal', message: `${path}: not a dynamic object (no PT_DYNAMIC)`}
  // musl maps whatever it opened; one of another machine then fails to relocate.
  if (identity.elfClass !== expect.elfClass || identity.machine !== expect.machine || identity.endian !== expect.endian) {
    return {status: 'fatal', message: `${path}: ${describeMachine(identity)}, not ${describeMachine(expect)}`}
  }
  return {status: 'ok', real: file.real, elf}
}

function skip(path: string, id: Expectation): Probe {
  return {status: 'skip', why: `${path}: ${describeMachine(id)}`}
}

// open_verify's first checks on e_ident and e_machine: a skip, a refusal, or undefined when they
// pass (the file is then refused for what the ELF reader found).
function identVerdict(hostPath: string, path: string, expect: Expectation): Probe | undefined {
  let head: Buffer
  try {
    head = readHead(hostPath)
  } catch {
    return undefined
  }
  const fields = decodeIdent(head)
  const fatal = (detail: string): Probe => ({status: 'fatal', message: `${path}: ${detail}`})
  if (fields === 'not-elf') return fatal('invalid ELF header')
  if (fields === 'short') return fatal('file too short')
  if ('field' in fields) return fields.field === 'class' ? {status: 'skip', why: `${path}: ELF class ${fields.value}`} : fatal(`ELF file data encoding not ${expect.endian}-endian`)
  if (fields.elfClass !== expect.elfClass) return skip(path, fields)
  if (fields.endian !== expect.endian) return fatal(`ELF file data encoding not ${expect.endian}-endian`)
  if (fields.machine !== expect.machine) return skip(path, fields)
  return undefined
}

// ElfError messages start with the path the reader opened; the caller names the input itself.
export function stripPath(message: string, path: string): string {
  return message.startsWith(`${path}: `) ? message.slice(path.length + 2) : message
}
