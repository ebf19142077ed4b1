// What a file of a tree needs besides its ELF link map and #! interpreter (src/loader): the data
// rules its programs trigger and the libraries a program is known to load first. Build (index.ts)
// brings these; verify (check.ts) checks them: the same functions decide for both.
import {posix} from 'node:path'
import {readElfSync} from '../elf/index.js'
import {readElfSections} from '../elf/sections.js'
import type {Sysroot} from '../loader/sysroot.js'
import {activeRules, type DataRule, type NamedProgram, type PathSpec, type RuleContext} from './rules.js'

// Libraries a program loads with dlopen before anything else, by the basename of its real path,
// as paths relative to its real directory: the java launcher loads the JVM, whose SONAME the JDK's
// modules (libjava.so...) then name in their DT_NEEDED.
const FIRST_LOADS: Record<string, string[]> = {
  java: ['../lib/server/libjvm.so'],
}

// A data rule that applies, why, and the paths it brings.
export interface RuleNeed {
  rule: DataRule
  trigger: string
  paths: PathSpec[]
}

// The rules that apply to a tree's programs and libraries, but those `skipRules` names.
export function ruleNeeds(context: RuleContext, skipRules: string[] = []): RuleNeed[] {
  return activeRules(skipRules).flatMap((rule) => {
    const trigger = rule.trigger(context)
    return trigger === undefined ? [] : [{rule, trigger, paths: rule.paths(context)}]
  })
}

// The program a file is for the data rules (its real path and the symbols it imports), or
// undefined for what is not an ELF program: a shared object (libc.so.6 has an interpreter too: its
// name tells), a script, a file that cannot be read.
export function ruleProgram(sysroot: Sysroot, path: string): NamedProgram | undefined {
  let real: string
  try {
    real = sysroot.realpath(path)
  } catch {
    return undefined
  }
  if (/\.so(\.[\d.]+)?$/.test(real)) return undefined
  const host = sysroot.hostPath(real)
  try {
    if (readElfSync(host).linkage === 'shared') return undefined
  } catch {
    return undefined
  }
  return {path, real, imports: new Set(readElfSections(host).imports)}
}

// The libraries `program` loads first (FIRST_LOADS), those the sysroot has.
export function firstLoads(sysroot: Sysroot, program: NamedProgram): string[] {
  const relative = FIRST_LOADS[posix.basename(program.real)] ?? []
  return relative.map((path) => posix.join(posix.dirname(program.real), path)).filter((path) => {
    try {
      return sysroot.openable(path) !== undefined
    } catch {
      return false
    }
  })
}
