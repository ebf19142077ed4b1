// Whether this host runs a rootfs's command, and how: natively, through qemu's user-mode emulator
// registered in the sandbox's own binfmt_misc, or not at all (why, and what to install). The
// command is looked up on PATH inside the rootfs and followed through #! lines to the ELF file the
// kernel loads, each path resolved inside the rootfs.
import {decodeIdent, readHead, type IdentFields} from '../elf/ident.js'
import {findProgramIn, parseShebang} from './program.js'
import {Sysroot} from './sysroot.js'

// The kernel follows at most this many nested #! interpreters (BINPRM_MAX_RECURSION).
const MAX_INTERPRETER_DEPTH = 4

export type Execution =
  | {how: 'native'}
  | {how: 'emulated'; program: string; emulator: string; registration: string}
  | {how: 'refused'; reason: string}

// `native` whenever the kernel may run it or the helper will report it better (a missing file,
// a script without an interpreter, a format that is not ELF). Run's start-up pays only for the
// lookup and one header read: a command of node's own class and machine is native, and only
// another one loads what decides the rest.
export async function commandExecution(rootfs: string, command: string, searchPath: string, workdir = '/'): Promise<Execution> {
  const sysroot = new Sysroot(rootfs)
  let path: string
  try {
    path = command.includes('/') ? sysroot.normalize(command, workdir) : findProgramIn(sysroot, command, searchPath)
  } catch {
    return {how: 'native'}
  }
  for (let depth = 0; depth <= MAX_INTERPRETER_DEPTH; depth++) {
    const file = sysroot.openable(path)
    if (!file) return {how: 'native'}
    let head: Buffer
    try {
      head = readHead(sysroot.hostPath(file.real), 256)
    } catch {
      return {how: 'native'}
    }
    const shebang = parseShebang(head)
    if (shebang) {
      path = sysroot.normalize(shebang.interpreter)
      continue
    }
    const id = decodeIdent(head)
    if (typeof id !== 'object' || !('machine' in id) || sameMachine(id, ownIdentity())) return {how: 'native'}
    const [{binfmtRegistration, cannotExecute, findEmulator}, {describeMachine}] = await Promise.all([import('../elf/host.js'), import('../elf/machine.js')])
    const reason = cannotExecute(id)
    if (reason === undefined) return {how: 'native'}
    const emulator = findEmulator(id)
    if (emulator) return {how: 'emulated', program: path, emulator, registration: binfmtRegistration(id, emulator)}
    return {how: 'refused', reason: `exec format error: ${path} is ${describeMachine(id)}; ${reason} (install qemu-user-static to run it under emulation)`}
  }
  return {how: 'native'}
}

let own: IdentFields | undefined

// The identity of node's own executable: the host's class, byte order and machine.
function ownIdentity(): IdentFields | undefined {
  if (own === undefined) {
    const id = decodeIdent(readHead(process.execPath))
    if (typeof id === 'object' && 'machine' in id) own = id
  }
  return own
}

function sameMachine(a: IdentFields, b: IdentFields | undefined): boolean {
  return b !== undefined && a.machine === b.machine && a.elfClass === b.elfClass && a.endian === b.endian
}
