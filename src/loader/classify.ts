// What a program file is, as the kernel sees it on execve: an ELF object, or a #! script.
import {isElfMagic, readHead} from '../elf/ident.js'
import type {ElfObject} from '../elf/types.js'
import {describeLookupFailure, NsToolError} from '../errors.js'
import type {ElfSource} from './elf-source.js'
import {stripPath} from './probe.js'
import {BINPRM_BUF_SIZE, findProgramIn, parseShebang, type Shebang} from './program.js'
import type {Sysroot} from './sysroot.js'

export type Classified = {type: 'elf'; real: string; elf: ElfObject} | {type: 'script'; real: string; shebang: Shebang}

// What a program file is: an ELF object, or a #! script; NsToolError naming `label` otherwise.
export async function classifyFile(sysroot: Sysroot, elfSource: ElfSource, path: string, label: string): Promise<Classified> {
  let file
  try {
    file = sysroot.file(path)
  } catch (error) {
    throw new NsToolError(`${label}: ${describeLookupFailure(error)}`)
  }
  if (!file) {
    if (sysroot.isDirectory(path)) throw new NsToolError(`${label}: is a directory, not a program`)
    throw new NsToolError(`${label}: no such file`, 'not-found')
  }
  const hostPath = sysroot.hostPath(file.real)
  // Most programs are ELF files: their headers answer in one read; anything else is looked at.
  const read = await elfSource.read(hostPath)
  if ('identity' in read) return {type: 'elf', real: file.real, elf: read}
  let head: Buffer
  try {
    head = readHead(hostPath, BINPRM_BUF_SIZE)
  } catch (error) {
    throw new NsToolError(`${label}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  if (head[0] === 0x23 && head[1] === 0x21) {
    const shebang = parseShebang(head)
    if (!shebang) throw new NsToolError(`${label}: its #! line names no interpreter`)
    return {type: 'script', real: file.real, shebang}
  }
  if (!isElfMagic(head)) throw notAProgram(label)
  throw new NsToolError(`${label}: not a valid ELF file (${read.code}: ${stripPath(read.message, hostPath)})`)
}

function notAProgram(label: string): NsToolError {
  return new NsToolError(`${label}: not an ELF file or a #! script`, 'not-a-program')
}

export interface SortedPrograms {
  // The programs found, as given, in the order given.
  found: string[]
  // A name not on PATH, a path to nothing: each with why (`not found on PATH (...)`).
  missing: Refusal[]
  // A path to a directory, or to a file the kernel would not start: each with why.
  notPrograms: Refusal[]
}

// A PROGRAM as given, and why it is not one: its error's message without the leading `NAME: `.
export interface Refusal {
  name: string
  reason: string
}

function refusal(name: string, error: NsToolError): Refusal {
  return {name, reason: error.message.startsWith(`${name}: `) ? error.message.slice(name.length + 2) : error.message}
}

// The PROGRAMs of a build sorted before anything is resolved, so that one message can name every
// program of a kind (`build-rootfs /usr/bin/*` meets /usr/bin/X11; a typo is rarely alone).
export function sortPrograms(sysroot: Sysroot, names: string[], searchPath?: string): SortedPrograms {
  const sorted: SortedPrograms = {found: [], missing: [], notPrograms: []}
  for (const name of names) {
    let path: string
    try {
      path = findProgramIn(sysroot, name, searchPath)
    } catch (error) {
      if (!(error instanceof NsToolError)) throw error
      ;(name.includes('/') && error.code !== 'not-found' ? sorted.notPrograms : sorted.missing).push(refusal(name, error))
      continue
    }
    if (startsNoProgram(sysroot, path)) sorted.notPrograms.push(refusal(name, notAProgram(name)))
    else sorted.found.push(name)
  }
  return sorted
}

// Whether the file's first bytes are neither ELF's magic nor #! (unreadable: left to classifyFile).
function startsNoProgram(sysroot: Sysroot, path: string): boolean {
  try {
    const file = sysroot.file(path)
    const head = file ? readHead(sysroot.hostPath(file.real), 4) : undefined
    return head !== undefined && !isElfMagic(head) && !(head[0] === 0x23 && head[1] === 0x21)
  } catch {
    return false
  }
}
