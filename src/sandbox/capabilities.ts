// The capabilities COMMAND keeps (Docker's default set, changed by --cap-add / --cap-drop): written
// once here; the C helper gets them generated (helper-defaults.ts), the OCI bundle reads them here.
import {UsageError} from '../errors.js'

// Every capability, by number (the index is the kernel's CAP_* value in linux/capability.h; the
// generated helper header checks each against it at compile time).
export const CAPABILITIES = [
  'CHOWN', 'DAC_OVERRIDE', 'DAC_READ_SEARCH', 'FOWNER', 'FSETID', 'KILL', 'SETGID', 'SETUID', 'SETPCAP', 'LINUX_IMMUTABLE',
  'NET_BIND_SERVICE', 'NET_BROADCAST', 'NET_ADMIN', 'NET_RAW', 'IPC_LOCK', 'IPC_OWNER', 'SYS_MODULE', 'SYS_RAWIO', 'SYS_CHROOT', 'SYS_PTRACE',
  'SYS_PACCT', 'SYS_ADMIN', 'SYS_BOOT', 'SYS_NICE', 'SYS_RESOURCE', 'SYS_TIME', 'SYS_TTY_CONFIG', 'MKNOD', 'LEASE', 'AUDIT_WRITE',
  'AUDIT_CONTROL', 'SETFCAP', 'MAC_OVERRIDE', 'MAC_ADMIN', 'SYSLOG', 'WAKE_ALARM', 'BLOCK_SUSPEND', 'AUDIT_READ', 'PERFMON', 'BPF',
  'CHECKPOINT_RESTORE',
] as const

export type Capability = (typeof CAPABILITIES)[number]

// Docker's default set: what a root shell needs to work (own files, users, binding low ports,
// signals), nothing that reaches the kernel or the host (no SYS_ADMIN, SYS_PTRACE, NET_ADMIN...).
export const DEFAULT_CAPABILITIES: readonly Capability[] = [
  'CHOWN', 'DAC_OVERRIDE', 'FSETID', 'FOWNER', 'MKNOD', 'NET_RAW', 'SETGID', 'SETUID', 'SETFCAP', 'SETPCAP',
  'NET_BIND_SERVICE', 'SYS_CHROOT', 'KILL', 'AUDIT_WRITE',
]

// `sys_admin`, `CAP_SYS_ADMIN`, `Sys_Admin` -> SYS_ADMIN, as docker spells them.
export function parseCapability(word: string, flag: '--cap-add' | '--cap-drop'): Capability | 'ALL' {
  const name = word.trim().toUpperCase().replace(/^CAP_/, '')
  if (name === 'ALL') {
    if (flag === '--cap-add') throw new UsageError('--cap-add ALL: not offered (there is no --privileged either); name the capabilities COMMAND needs')
    return 'ALL'
  }
  if (!(CAPABILITIES as readonly string[]).includes(name)) {
    throw new UsageError(`${flag} ${word}: no such capability (names as in capabilities(7), CAP_ optional: NET_ADMIN, SYS_PTRACE, ...)`)
  }
  return name as Capability
}

// The set COMMAND runs with: the default, minus --cap-drop (ALL: everything), plus --cap-add.
export function capabilitySet(add: readonly string[] = [], drop: readonly string[] = []): Capability[] {
  const added = add.map((word) => parseCapability(word, '--cap-add') as Capability)
  const dropped = drop.map((word) => parseCapability(word, '--cap-drop'))
  const base = dropped.includes('ALL') ? [] : DEFAULT_CAPABILITIES.filter((cap) => !dropped.includes(cap))
  const set = new Set<Capability>([...base, ...added])
  return CAPABILITIES.filter((cap) => set.has(cap))
}

// OCI spells them with the prefix.
export function ociCapabilities(set: readonly Capability[] = DEFAULT_CAPABILITIES): string[] {
  return set.map((cap) => `CAP_${cap}`)
}
