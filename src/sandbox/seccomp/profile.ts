// Seccomp profiles in the OCI runtime-spec / Docker JSON format: the default one made from the
// table, a user's FILE checked against the subset ns-tool supports, and the resolution of Docker's
// conditional rules (includes/excludes: arches, caps, minKernel) into a plain OCI profile.
import {release} from 'node:os'
import {DEFAULT_CAPABILITIES, type Capability} from '../capabilities.js'
import {REFUSALS, type Refusal} from './table.js'

export const ACTIONS = ['SCMP_ACT_ALLOW', 'SCMP_ACT_ERRNO', 'SCMP_ACT_KILL', 'SCMP_ACT_KILL_THREAD', 'SCMP_ACT_KILL_PROCESS', 'SCMP_ACT_TRAP', 'SCMP_ACT_LOG'] as const
export const OPERATORS = ['SCMP_CMP_NE', 'SCMP_CMP_LT', 'SCMP_CMP_LE', 'SCMP_CMP_EQ', 'SCMP_CMP_GE', 'SCMP_CMP_GT', 'SCMP_CMP_MASKED_EQ'] as const
export type Action = (typeof ACTIONS)[number]
export type Operator = (typeof OPERATORS)[number]

export interface ArgCondition {
  index: number
  value: number
  valueTwo?: number
  op: Operator
}

export interface SyscallRule {
  names: string[]
  action: Action
  errnoRet?: number
  args?: ArgCondition[]
}

// linux.seccomp of an OCI runtime config.
export interface OciSeccomp {
  defaultAction: Action
  defaultErrnoRet?: number
  architectures?: string[]
  syscalls?: SyscallRule[]
}

interface Conditions {
  arches?: string[]
  caps?: string[]
  minKernel?: string
}

// Docker's profile format: OCI's plus archMap, `name`, and rules that apply only on some arches,
// with some capabilities, or from some kernel version on.
export interface DockerSeccomp extends OciSeccomp {
  archMap?: Array<{architecture: string; subArchitectures?: string[]}>
  syscalls?: Array<SyscallRule & {name?: string; includes?: Conditions; excludes?: Conditions; comment?: string}>
}

const ERRNO = {EPERM: 1, ENOSYS: 38} as const

// Docker's names for the architectures (includes.arches), per seccomp architecture.
const DOCKER_ARCH: Record<string, string> = {SCMP_ARCH_X86_64: 'amd64', SCMP_ARCH_X86: 'x86', SCMP_ARCH_X32: 'x32', SCMP_ARCH_AARCH64: 'arm64', SCMP_ARCH_ARM: 'arm', SCMP_ARCH_RISCV64: 'riscv64'}
const NATIVE: Record<string, string> = {x64: 'SCMP_ARCH_X86_64', arm64: 'SCMP_ARCH_AARCH64', riscv64: 'SCMP_ARCH_RISCV64', ia32: 'SCMP_ARCH_X86', arm: 'SCMP_ARCH_ARM'}
// The other entry points of this machine's kernel that the default filter covers too. x32 is not
// one: no distribution ships x32 programs, so any x32 system call kills the process.
const COMPANIONS: Record<string, string[]> = {SCMP_ARCH_X86_64: ['SCMP_ARCH_X86']}

export function nativeArch(): string {
  return NATIVE[process.arch] ?? `unsupported:${process.arch}`
}

function rulesOf(row: Refusal): SyscallRule[] {
  const errnoRet = ERRNO[row.errno ?? 'EPERM']
  const base = {names: row.syscalls, action: 'SCMP_ACT_ERRNO' as const, errnoRet}
  // One rule per flag or value: a rule's conditions must all hold, and runc turns several
  // conditions on one argument into alternatives; one condition per rule means the same to both.
  if (row.whenFlags) return Object.values(row.whenFlags.flags).map((flag) => ({...base, args: [{index: row.whenFlags!.arg, value: flag, valueTwo: flag, op: 'SCMP_CMP_MASKED_EQ' as const}]}))
  // Integer arguments: only the low 32 bits count (the kernel ignores the rest of the register).
  if (row.whenValues) return Object.values(row.whenValues.values).map((value) => ({...base, args: [{index: row.whenValues!.arg, value: 0xffffffff, valueTwo: value, op: 'SCMP_CMP_MASKED_EQ' as const}]}))
  return [base]
}

// The table as a Docker-format profile: each refusal lifted by its capabilities (excludes.caps).
export function defaultProfile(): DockerSeccomp {
  const native = nativeArch()
  const syscalls = REFUSALS.flatMap(({rows}) => rows.flatMap((row) => rulesOf(row).map((rule) => (row.unlessCap ? {...rule, excludes: {caps: row.unlessCap.map((cap) => `CAP_${cap}`)}} : rule))))
  return {defaultAction: 'SCMP_ACT_ALLOW', archMap: [{architecture: native, subArchitectures: COMPANIONS[native] ?? []}], syscalls}
}

function kernelAtLeast(version: string): boolean {
  const have = release().split(/[.-]/).map(Number)
  const want = version.split('.').map(Number)
  for (let i = 0; i < want.length; i++) if ((have[i] ?? 0) !== want[i]) return (have[i] ?? 0) > want[i]
  return true
}

function applies(rule: {includes?: Conditions; excludes?: Conditions}, arch: string, caps: readonly Capability[]): boolean {
  const held = (cap: string) => caps.includes(cap.replace(/^CAP_/, '') as Capability)
  const {includes: inc, excludes: exc} = rule
  if (exc?.arches?.includes(arch) || exc?.caps?.some(held) || (exc?.minKernel && kernelAtLeast(exc.minKernel))) return false
  if ((inc?.arches && !inc.arches.includes(arch)) || (inc?.caps && !inc.caps.every(held)) || (inc?.minKernel && !kernelAtLeast(inc.minKernel))) return false
  return true
}

// A plain OCI profile for this machine and this capability set, as docker and podman make one.
export function resolveProfile(profile: DockerSeccomp, caps: readonly Capability[] = DEFAULT_CAPABILITIES): OciSeccomp {
  const native = nativeArch()
  const mapped = profile.archMap?.find((entry) => entry.architecture === native)
  const architectures = profile.architectures ?? (mapped ? [native, ...(mapped.subArchitectures ?? [])] : [native])
  const syscalls = (profile.syscalls ?? [])
    .filter((rule) => applies(rule, DOCKER_ARCH[native] ?? native, caps))
    .map(({names, name, action, errnoRet, args}) => ({names: names ?? (name ? [name] : []), action, ...(errnoRet === undefined ? {} : {errnoRet}), ...(args?.length ? {args} : {})}))
  return {defaultAction: profile.defaultAction, ...(profile.defaultErrnoRet === undefined ? {} : {defaultErrnoRet: profile.defaultErrnoRet}), architectures, syscalls}
}
