// Architectures by ELF identity (e_machine, class, byte order): the one table of their names, and of
// the name qemu's user-mode emulator has for each (qemu-NAME-static). Everything else derives.
import {createRequire} from 'node:module'
import type {ElfIdentity} from './types.js'

export type MachineKey = Pick<ElfIdentity, 'machine' | 'elfClass' | 'endian'>

export interface Architecture extends MachineKey {
  // As Debian, the kernel and qemu call it: x86_64, i386, aarch64, arm, riscv64, ppc64le, s390x...
  name: string
  // qemu-user's name, when qemu emulates it.
  qemu?: string
}

const L = 'little'
const B = 'big'
const ARCHITECTURES: Architecture[] = [
  {machine: 62, elfClass: 64, endian: L, name: 'x86_64', qemu: 'x86_64'},
  {machine: 62, elfClass: 32, endian: L, name: 'x32'},
  {machine: 3, elfClass: 32, endian: L, name: 'i386', qemu: 'i386'},
  {machine: 183, elfClass: 64, endian: L, name: 'aarch64', qemu: 'aarch64'},
  {machine: 183, elfClass: 64, endian: B, name: 'aarch64_be', qemu: 'aarch64_be'},
  {machine: 40, elfClass: 32, endian: L, name: 'arm', qemu: 'arm'},
  {machine: 40, elfClass: 32, endian: B, name: 'armeb', qemu: 'armeb'},
  {machine: 243, elfClass: 64, endian: L, name: 'riscv64', qemu: 'riscv64'},
  {machine: 243, elfClass: 32, endian: L, name: 'riscv32', qemu: 'riscv32'},
  {machine: 21, elfClass: 64, endian: L, name: 'ppc64le', qemu: 'ppc64le'},
  {machine: 21, elfClass: 64, endian: B, name: 'ppc64', qemu: 'ppc64'},
  {machine: 20, elfClass: 32, endian: B, name: 'ppc', qemu: 'ppc'},
  {machine: 22, elfClass: 64, endian: B, name: 's390x', qemu: 's390x'},
  {machine: 22, elfClass: 32, endian: B, name: 's390'},
  {machine: 8, elfClass: 32, endian: B, name: 'mips', qemu: 'mips'},
  {machine: 8, elfClass: 32, endian: L, name: 'mipsel', qemu: 'mipsel'},
  {machine: 8, elfClass: 64, endian: B, name: 'mips64', qemu: 'mips64'},
  {machine: 8, elfClass: 64, endian: L, name: 'mips64el', qemu: 'mips64el'},
  {machine: 258, elfClass: 64, endian: L, name: 'loongarch64', qemu: 'loongarch64'},
  {machine: 2, elfClass: 32, endian: B, name: 'sparc', qemu: 'sparc'},
  {machine: 18, elfClass: 32, endian: B, name: 'sparc32plus', qemu: 'sparc32plus'},
  {machine: 43, elfClass: 64, endian: B, name: 'sparc64', qemu: 'sparc64'},
  {machine: 4, elfClass: 32, endian: B, name: 'm68k', qemu: 'm68k'},
  {machine: 15, elfClass: 32, endian: B, name: 'hppa', qemu: 'hppa'},
  {machine: 42, elfClass: 32, endian: L, name: 'sh4', qemu: 'sh4'},
  {machine: 42, elfClass: 32, endian: B, name: 'sh4eb', qemu: 'sh4eb'},
  {machine: 0x9026, elfClass: 64, endian: L, name: 'alpha', qemu: 'alpha'},
  {machine: 50, elfClass: 64, endian: L, name: 'ia64'},
]

const byKey = new Map(ARCHITECTURES.map((arch) => [keyOf(arch), arch]))

function keyOf(id: MachineKey): string {
  return `${id.machine}/${id.elfClass}/${id.endian}`
}

export function architecture(id: MachineKey): Architecture | undefined {
  return byKey.get(keyOf(id))
}

// The architecture by its name (x86_64, aarch64, ...).
export function architectureNamed(name: string): Architecture | undefined {
  return ARCHITECTURES.find((arch) => arch.name === name)
}

// The architecture's name; for an identity outside the table, elfinfo's name for its e_machine
// (required lazily: it is rare), else the number.
export function architectureName(id: MachineKey): string {
  const known = architecture(id)
  if (known) return known.name
  try {
    const strings = createRequire(import.meta.url)('elfinfo/dist/src/strings.js') as {isaToString(isa: number): string | undefined}
    const described = strings.isaToString(id.machine)
    if (described) return described
  } catch {
    // elfinfo unavailable: the number alone still identifies the machine.
  }
  return `machine ${id.machine}`
}

// "ELF 64-bit aarch64", as people and `file` describe an ELF file.
export function describeMachine(id: MachineKey): string {
  return `ELF ${id.elfClass}-bit ${architectureName(id)}`
}
