// verify's side of the data: inside a rootfs alone, every library a .note.dlopen names (at the
// priorities of `level`) must resolve, and every data rule that applies must find something of its own.
import {readFileSync} from 'node:fs'
import {posix} from 'node:path'
import {readElfSections} from '../elf/sections.js'
import type {ClosureBuilder} from '../loader/closure.js'
import type {Sysroot} from '../loader/sysroot.js'
import type {VerifyProblem} from './types.js'
import {dlopenFeatures, follows, type DlopenLevel} from '../data/dlopen.js'
import {firstLoads, ruleNeeds, ruleProgram} from '../data/needs.js'
import type {NamedProgram, RuleContext} from '../data/rules.js'

// elfFiles: the loadable ELF files of the tree (in-rootfs paths); builder: verify's loader, whose
// search inside the tree finds the dlopen'd libraries.
export async function dataProblems(sysroot: Sysroot, builder: ClosureBuilder, elfFiles: string[], level: DlopenLevel, skipRules: string[] = []): Promise<VerifyProblem[]> {
  const problems: VerifyProblem[] = []
  const programs: NamedProgram[] = []
  const libraries: string[] = []
  for (const path of elfFiles) {
    const program = ruleProgram(sysroot, path)
    if (program) programs.push(program)
    else libraries.push(path)
    for (const feature of dlopenFeatures(readElfSections(sysroot.hostPath(sysroot.realpath(path))).notes)) {
      if (!follows(level, feature.priority)) continue
      await builder.addDlopen(path, feature.sonames)
      const found = builder.result().edges?.some((edge) => edge.from === path && edge.path !== undefined && edge.program.endsWith(' (dlopen)') && feature.sonames.includes(edge.name))
      if (!found) problems.push({path, kind: 'dlopen', name: feature.sonames.join(' or '), error: `named by its .note.dlopen (${feature.feature ?? 'feature'}, ${feature.priority})`})
    }
  }
  const nsswitch = sysroot.openable('/etc/nsswitch.conf')
  const context: RuleContext = {
    sysroot,
    programs,
    libraries,
    nsswitch: nsswitch ? readText(sysroot.hostPath(nsswitch.real)) : '',
  }
  for (const {rule, trigger, paths: specs} of ruleNeeds(context, skipRules)) {
    const paths = specs.map((spec) => spec.path)
    if (paths.length === 0 || paths.some((path) => exists(sysroot, path))) continue
    problems.push({path: triggerPath(context, trigger), kind: 'data', name: rule.name, searched: paths, error: `${trigger}, and the tree has none of its files`})
  }
  return problems
}

// The libraries the tree's programs load first (before the modules, whose names they answer).
export async function loadFirst(sysroot: Sysroot, builder: ClosureBuilder, programs: string[]): Promise<void> {
  for (const path of programs) {
    const program = ruleProgram(sysroot, path)
    const first = program ? firstLoads(sysroot, program) : []
    if (first.length > 0) await builder.addDlopen(path, first)
  }
}

// The file a trigger names first ("bash imports iconv_open", "nsswitch.conf names ..."), else /.
function triggerPath(context: RuleContext, trigger: string): string {
  const name = trigger.split(' ')[0]
  if (name === 'nsswitch.conf') return '/etc/nsswitch.conf'
  const program = context.programs.find((p) => posix.basename(p.path) === name || posix.basename(p.real) === name)
  return program?.path ?? context.libraries.find((path) => posix.basename(path) === name) ?? '/'
}

function exists(sysroot: Sysroot, path: string): boolean {
  try {
    return sysroot.isDirectory(path) || sysroot.openable(path) !== undefined
  } catch {
    return false
  }
}

function readText(hostPath: string): string {
  try {
    return readFileSync(hostPath, 'utf8')
  } catch {
    return ''
  }
}
