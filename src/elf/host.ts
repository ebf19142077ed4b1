// The host as a runner of ELF programs: its own architecture, the 32-bit ones its kernel runs too
// (IA32 emulation...), and qemu's user-mode emulator for the rest, when it is installed.
import {accessSync, constants, existsSync, readFileSync, statSync} from 'node:fs'
import {createRequire} from 'node:module'
import {endianness} from 'node:os'
import {posix} from 'node:path'
import {ELF_MAGIC} from './ident.js'
import {architecture, architectureName, architectureNamed, type Architecture, type MachineKey} from './machine.js'

// process.arch -> our names.
const NODE_ARCHITECTURES: Record<string, string> = {x64: 'x86_64', ia32: 'i386', arm64: 'aarch64', arm: 'arm', riscv64: 'riscv64', s390x: 's390x', loong64: 'loongarch64', mips: 'mips', mipsel: 'mipsel'}

export function hostArchitecture(): Architecture | undefined {
  if (process.arch === 'ppc64') return architectureNamed(endianness() === 'LE' ? 'ppc64le' : 'ppc64')
  return architectureNamed(NODE_ARCHITECTURES[process.arch] ?? process.arch)
}

// Kernel features that run another ABI's programs natively: the host, the guest, what it is called.
const COMPAT: Array<{host: string; guest: string; feature: string; present?: () => boolean}> = [
  {host: 'x86_64', guest: 'i386', feature: 'IA32 emulation', present: ia32Emulation},
  {host: 'x86_64', guest: 'x32', feature: 'x32 ABI support'},
  {host: 'aarch64', guest: 'arm', feature: '32-bit ARM (AArch32) support'},
  {host: 'ppc64', guest: 'ppc', feature: '32-bit PowerPC support'},
  {host: 's390x', guest: 's390', feature: '31-bit s390 support'},
  {host: 'mips64', guest: 'mips', feature: 'o32 support'},
  {host: 'mips64el', guest: 'mipsel', feature: 'o32 support'},
]

// Why this kernel cannot execute programs of this identity, or undefined when it can (or might: a
// compat feature that cannot be checked from here is given the benefit of the doubt; exec decides).
export function cannotExecute(id: MachineKey): string | undefined {
  const host = hostArchitecture()
  if (!host) return undefined
  const arch = architecture(id)
  if (arch === host) return undefined
  const compat = COMPAT.find((c) => c.host === host.name && c.guest === arch?.name)
  if (compat) return compat.present && !compat.present() ? `this kernel has no ${compat.feature}` : undefined
  return `this ${host.name} kernel does not execute ${architectureName(id)} programs`
}

// qemu-NAME-static on PATH for this identity: a static emulator works inside any rootfs, where a
// dynamically linked one would not find its own libraries.
export function findEmulator(id: MachineKey, searchPath = process.env.PATH ?? ''): string | undefined {
  const qemu = architecture(id)?.qemu
  if (!qemu) return undefined
  for (const dir of searchPath.split(':')) {
    if (!dir.startsWith('/')) continue
    const candidate = posix.join(dir, `qemu-${qemu}-static`)
    try {
      accessSync(candidate, constants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not here
    }
  }
  return undefined
}

// A binfmt_misc registration handing programs of this identity to `emulator`: the magic is the
// first 20 bytes of such an ELF executable (class, byte order, version, ET_EXEC, e_machine), the
// mask lets OS/ABI vary and ET_DYN match too. Fix-binary (F): the kernel opens the emulator when
// the line is registered, so it works in a rootfs that does not hold it.
export function binfmtRegistration(id: MachineKey, emulator: string): string {
  const little = id.endian === 'little'
  const half = (value: number) => (little ? [value & 0xff, value >> 8] : [value >> 8, value & 0xff])
  const magic = [...ELF_MAGIC, id.elfClass === 64 ? 2 : 1, little ? 1 : 2, 1, 0, ...new Array<number>(8).fill(0), ...half(2), ...half(id.machine)]
  const mask = [...new Array<number>(7).fill(0xff), 0, ...new Array<number>(8).fill(0xff), ...(little ? [0xfe, 0xff] : [0xff, 0xfe]), 0xff, 0xff]
  const hex = (bytes: number[]) => bytes.map((b) => `\\x${b.toString(16).padStart(2, '0')}`).join('')
  return `:ns-tool-${architectureName(id)}:M::${hex(magic)}:${hex(mask)}:${emulator}:F`
}

// IA32 emulation: built in (the kernel registers abi.vsyscall32 then) and not switched off, on the
// command line (ia32_emulation=, Linux 6.7+) or by the kernel's default when its config says so.
function ia32Emulation(): boolean {
  if (!existsSync('/proc/sys/abi/vsyscall32')) return false
  const cmdline = readText('/proc/cmdline') ?? ''
  const setting = /(?:^|\s)ia32_emulation=(\S+)/.exec(cmdline)?.[1]
  if (setting !== undefined) return !/^(0|n|no|off|false)$/i.test(setting)
  return !/^CONFIG_IA32_EMULATION_DEFAULT_DISABLED=y$/m.test(kernelConfig())
}

function kernelConfig(): string {
  try {
    // zlib only here: run's start-up reaches this module.
    const {gunzipSync} = createRequire(import.meta.url)('node:zlib') as typeof import('node:zlib')
    return gunzipSync(readFileSync('/proc/config.gz')).toString('latin1')
  } catch {
    let release = ''
    try {
      release = readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim()
    } catch {
      return ''
    }
    return readText(`/boot/config-${release}`) ?? ''
  }
}

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}
