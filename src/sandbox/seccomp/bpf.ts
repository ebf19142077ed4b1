// Compiles a plain OCI seccomp profile into the classic BPF program the kernel runs on every
// system call (struct sock_filter[], little-endian). Semantics, per architecture listed:
//   - rules are tried in profile order; the first whose conditions all hold decides;
//   - a name this architecture does not have is skipped (as runc does);
//   - an architecture the profile does not list, x32 included, kills the process.
// Layout: an arch dispatch, then per arch a binary search on the number leading to shared bodies.
import type {ArgCondition, OciSeccomp, SyscallRule} from './profile.js'

// Syscall numbers per architecture table (x86_64, i386, ...), generated from the kernel headers
// at build time (src/helper/generate.ts).
export type SyscallTables = Record<string, Record<string, number>>

const ARCHES: Record<string, {audit: number; bits: 32 | 64; table: string; x32?: boolean}> = {
  SCMP_ARCH_X86_64: {audit: 0xc000003e, bits: 64, table: 'x86_64', x32: true},
  SCMP_ARCH_X86: {audit: 0x40000003, bits: 32, table: 'i386'},
  SCMP_ARCH_AARCH64: {audit: 0xc00000b7, bits: 64, table: 'aarch64'},
  SCMP_ARCH_RISCV64: {audit: 0xc00000f3, bits: 64, table: 'riscv64'},
}

const RET = {KILL_PROCESS: 0x80000000, KILL_THREAD: 0, TRAP: 0x00030000, ERRNO: 0x00050000, LOG: 0x7ffc0000, ALLOW: 0x7fff0000}
const X32_SYSCALL_BIT = 0x40000000
// BPF opcodes: ld word absolute, and-immediate, jumps, return constant.
const LD = 0x20, AND = 0x54, JA = 0x05, JEQ = 0x15, JGT = 0x25, JGE = 0x35, JSET = 0x45, RETK = 0x06
const MAX_INSNS = 4096

type Label = {id: number}
interface Insn {
  code: number
  k: number
  jt?: Label | number
  jf?: Label | number
  // JA: the target
  to?: Label
  label?: Label
}

class Program {
  insns: Insn[] = []
  private next = 0
  label(): Label {
    return {id: this.next++}
  }
  place(label: Label): void {
    this.insns.push({code: -1, k: 0, label})
  }
  emit(code: number, k: number, jt: Label | number = 0, jf: Label | number = 0): void {
    this.insns.push({code, k: k >>> 0, jt, jf})
  }
  jump(to: Label): void {
    this.insns.push({code: JA, k: 0, to})
  }
  ret(value: number): void {
    this.emit(RETK, value)
  }

  // Resolves labels to relative offsets; conditional jumps reach at most 255 ahead.
  assemble(): Buffer {
    const real = this.insns.filter((i) => i.code !== -1)
    const at = new Map<number, number>()
    let pc = 0
    for (const insn of this.insns) {
      if (insn.code === -1) at.set(insn.label!.id, pc)
      else pc++
    }
    if (real.length > MAX_INSNS) throw new Error(`seccomp profile too large: ${real.length} BPF instructions (the kernel takes ${MAX_INSNS})`)
    const out = Buffer.alloc(real.length * 8)
    real.forEach((insn, index) => {
      const offset = (target: Label | number | undefined) => {
        if (typeof target !== 'object') return target ?? 0
        const distance = at.get(target.id)! - index - 1
        if (distance < 0 || (insn.code !== JA && distance > 255)) throw new Error(`seccomp compiler: jump out of range (${distance})`)
        return distance
      }
      out.writeUInt16LE(insn.code, index * 8)
      out.writeUInt8(insn.code === JA ? 0 : offset(insn.jt), index * 8 + 2)
      out.writeUInt8(insn.code === JA ? 0 : offset(insn.jf), index * 8 + 3)
      out.writeUInt32LE(insn.code === JA ? offset(insn.to) : insn.k, index * 8 + 4)
    })
    return out
  }
}

function actionValue(action: string, errnoRet: number | undefined, defaultErrno: number | undefined): number {
  switch (action) {
    case 'SCMP_ACT_ALLOW': return RET.ALLOW
    case 'SCMP_ACT_ERRNO': return RET.ERRNO | ((errnoRet ?? defaultErrno ?? 1) & 0xffff)
    case 'SCMP_ACT_KILL': case 'SCMP_ACT_KILL_THREAD': return RET.KILL_THREAD
    case 'SCMP_ACT_KILL_PROCESS': return RET.KILL_PROCESS
    case 'SCMP_ACT_TRAP': return RET.TRAP
    case 'SCMP_ACT_LOG': return RET.LOG
    default: throw new Error(`seccomp action ${action} is not supported`)
  }
}

// 64-bit argument words: seccomp_data.args[i] at 16 + 8i, low word first (little-endian).
function words(value: number): [number, number] {
  const big = BigInt(value)
  return [Number(big >> 32n) >>> 0, Number(big & 0xffffffffn) >>> 0]
}

// Falls through when the condition holds, jumps to `fail` when not. 32-bit architectures only
// have the low word (libseccomp compares the same way).
function condition(p: Program, c: ArgCondition, fail: Label, bits: 32 | 64): void {
  const lo = 16 + 8 * c.index, hi = lo + 4
  const pass = p.label()
  const [vhi, vlo] = words(c.value)
  const check64 = bits === 64
  switch (c.op) {
    case 'SCMP_CMP_EQ':
      if (check64) { p.emit(LD, hi); p.emit(JEQ, vhi, 0, fail) }
      p.emit(LD, lo); p.emit(JEQ, vlo, 0, fail)
      break
    case 'SCMP_CMP_NE':
      if (check64) { p.emit(LD, hi); p.emit(JEQ, vhi, 0, pass) }
      p.emit(LD, lo); p.emit(JEQ, vlo, fail, 0)
      break
    case 'SCMP_CMP_MASKED_EQ': {
      // A mask with no high bits needs no look at the high word (the filter is compiled on every
      // exec's first call of each kind: shorter is faster to install).
      const [dhi, dlo] = words(c.valueTwo ?? 0)
      if (check64 && (vhi !== 0 || dhi !== 0)) { p.emit(LD, hi); p.emit(AND, vhi); p.emit(JEQ, dhi, 0, fail) }
      p.emit(LD, lo)
      if (vlo !== 0xffffffff) p.emit(AND, vlo)
      p.emit(JEQ, dlo, 0, fail)
      break
    }
    default: {
      // Ordered comparisons: decided by the high words unless they are equal.
      const greater = c.op === 'SCMP_CMP_GT' || c.op === 'SCMP_CMP_GE'
      const [above, below] = greater ? [pass, fail] : [fail, pass]
      if (check64) { p.emit(LD, hi); p.emit(JGT, vhi, above, 0); p.emit(JEQ, vhi, 0, below) }
      p.emit(LD, lo)
      if (c.op === 'SCMP_CMP_GT') p.emit(JGT, vlo, 0, fail)
      else if (c.op === 'SCMP_CMP_GE') p.emit(JGE, vlo, 0, fail)
      else if (c.op === 'SCMP_CMP_LT') p.emit(JGE, vlo, fail, 0)
      else p.emit(JGT, vlo, fail, 0)
    }
  }
  p.place(pass)
}

// How many bodies from `start` on test single low bits of one argument for one action ("flag F is
// set", the table's whenFlags): together they are one JSET.
function flagRun(body: Body[], start: number): number {
  const bit = (b: Body) => {
    const c = b.conditions.length === 1 ? b.conditions[0] : undefined
    return c && c.op === 'SCMP_CMP_MASKED_EQ' && c.value === c.valueTwo && c.value > 0 && c.value <= 0x80000000 && (c.value & (c.value - 1)) === 0 ? c : undefined
  }
  const first = bit(body[start])
  let end = start
  while (end < body.length && first && bit(body[end])?.index === first.index && body[end].action === body[start].action) end++
  return end - start
}

function emitBody(p: Program, body: Body[], fallback: number, bits: 32 | 64): void {
  for (let i = 0; i < body.length; ) {
    const run = flagRun(body, i)
    if (run >= 2) {
      const mask = body.slice(i, i + run).reduce((m, b) => (m | b.conditions[0].value) >>> 0, 0)
      p.emit(LD, 16 + 8 * body[i].conditions[0].index)
      p.emit(JSET, mask, 0, 1)
      p.ret(body[i].action)
      i += run
      continue
    }
    const next = p.label()
    for (const c of body[i].conditions) condition(p, c, next, bits)
    p.ret(body[i].action)
    p.place(next)
    i++
  }
  p.ret(fallback)
}

// runc's reading of several conditions on one argument: each becomes a rule of its own.
function expand(rule: SyscallRule): ArgCondition[][] {
  const args = rule.args ?? []
  const indexes = args.map((a) => a.index)
  return new Set(indexes).size === indexes.length ? [args] : args.map((a) => [a])
}

interface Body {
  conditions: ArgCondition[]
  action: number
}

// Where a syscall number leads: an action, or a body of rules.
type Target = number | Label

// A binary search over the sorted numbers down to leaves of a few `jeq`s: a handful of compares
// per call instead of one per listed syscall. Length matters too: the kernel checks and compiles
// the program at every run, and runs it once per syscall number to cache the always-allowed ones.
const LEAF = 8

function dispatch(p: Program, numbers: number[], bodyOf: Map<number, Target>, fallback: number): void {
  if (numbers.length <= LEAF) {
    leaf(p, numbers, bodyOf, fallback)
    return
  }
  const middle = Math.floor(numbers.length / 2)
  const upper = p.label()
  p.emit(JGE, numbers[middle], 0, 1)
  p.jump(upper)
  dispatch(p, numbers.slice(0, middle), bodyOf, fallback)
  p.place(upper)
  dispatch(p, numbers.slice(middle), bodyOf, fallback)
}

// `jeq`s to targets placed right after the leaf: the action itself when the body is one return,
// else a jump to the body.
function leaf(p: Program, numbers: number[], bodyOf: Map<number, Target>, fallback: number): void {
  const local = new Map<Target, Label>()
  for (const nr of numbers) {
    const target = bodyOf.get(nr)!
    if (!local.has(target)) local.set(target, p.label())
    p.emit(JEQ, nr, local.get(target)!, 0)
  }
  p.ret(fallback)
  for (const [target, label] of local) {
    p.place(label)
    if (typeof target === 'number') p.ret(target)
    else p.jump(target)
  }
}

function section(p: Program, profile: OciSeccomp, arch: (typeof ARCHES)[string], numbers: Record<string, number>): void {
  const fallback = actionValue(profile.defaultAction, undefined, profile.defaultErrnoRet)
  const bodies = new Map<number, Body[]>()
  for (const rule of profile.syscalls ?? []) {
    const action = actionValue(rule.action, rule.errnoRet, profile.defaultErrnoRet)
    for (const name of rule.names) {
      const nr = numbers[name]
      if (nr === undefined) continue
      const list = bodies.get(nr) ?? []
      for (const conditions of expand(rule)) list.push({conditions, action})
      bodies.set(nr, list)
    }
  }
  p.emit(LD, 0)
  if (arch.x32) {
    // x32 numbers carry a high bit; -1 (a tracer's "skip this call") goes on like any unknown number.
    p.emit(JGE, X32_SYSCALL_BIT, 0, 2)
    p.emit(JEQ, 0xffffffff, 1, 0)
    p.ret(RET.KILL_PROCESS)
  }
  // A body that is one unconditional rule is its action; others are shared when identical.
  const shared = new Map<string, {label: Label; body: Body[]}>()
  const bodyOf = new Map<number, Target>()
  for (const [nr, body] of bodies) {
    if (body[0].conditions.length === 0) {
      bodyOf.set(nr, body[0].action)
      continue
    }
    const key = JSON.stringify(body)
    if (!shared.has(key)) shared.set(key, {label: p.label(), body})
    bodyOf.set(nr, shared.get(key)!.label)
  }
  dispatch(p, [...bodyOf.keys()].sort((a, b) => a - b), bodyOf, fallback)
  for (const {label, body} of shared.values()) {
    p.place(label)
    emitBody(p, body, fallback, arch.bits)
  }
}

export function compile(profile: OciSeccomp, tables: SyscallTables): Buffer {
  const arches = (profile.architectures ?? []).filter((name) => ARCHES[name] && tables[ARCHES[name].table])
  if (arches.length === 0) throw new Error(`no architecture of this machine in the profile (${(profile.architectures ?? []).join(', ') || 'none listed'})`)
  const p = new Program()
  const starts = arches.map(() => p.label())
  p.emit(LD, 4)
  arches.forEach((name, i) => {
    p.emit(JEQ, ARCHES[name].audit, 0, 1)
    p.jump(starts[i])
  })
  p.ret(RET.KILL_PROCESS)
  arches.forEach((name, i) => {
    p.place(starts[i])
    section(p, profile, ARCHES[name], tables[ARCHES[name].table])
  })
  return p.assemble()
}
