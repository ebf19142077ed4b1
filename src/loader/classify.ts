// What a program file is, as the kernel sees it on execve: an ELF object, or a #! script.
import {isElfMagic, readHead} from '../elf/ident.js'
import type {ElfObject} from '../elf/types.js'
import {describeLookupFailure, NsToolError} from '../errors.js'
import type {ElfSource} from './elf-source.js'
import {stripPath} from './probe.js'
import {BINPRM_BUF_SIZE, parseShebang, type Shebang} from './program.js'
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
  if (!isElfMagic(head)) throw new NsToolError(`${label}: not an ELF file or a #! script`, 'not-a-program')
  throw new NsToolError(`${label}: not a valid ELF file (${read.code}: ${stripPath(read.message, hostPath)})`)
}
