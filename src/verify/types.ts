// What `verify ROOTFS` reports: one consistent shape for the text and the --json output.
import type {DlopenLevel} from '../data/dlopen.js'

// library: a DT_NEEDED name that does not resolve inside the rootfs (or resolves to a file the
// loader refuses). interpreter: a PT_INTERP or #! interpreter (or the NAME of `#!/usr/bin/env NAME`)
// that is absent or unusable. elf: a file with the ELF magic that the reader cannot parse
// (truncated, corrupt, unsupported), so nothing about its needs can be said. link: a symlink that
// leads nowhere inside the rootfs (dangling, or a loop); `name` is its target as written. dlopen:
// none of the sonames a .note.dlopen names resolves. data: a data rule applies
// (src/data/rules.ts) and the tree has none of its files (name: the rule; searched: its paths).
export type ProblemKind = 'library' | 'interpreter' | 'elf' | 'link' | 'dlopen' | 'data'

export interface VerifyProblem {
  // The file (in-rootfs path) that needs `name`: a program, a library, a script.
  path: string
  kind: ProblemKind
  // The soname, the interpreter as written, or (kind elf) the file's own path.
  name: string
  // Every path the loader (or execvp, for `env NAME`) would have tried, in order.
  searched?: string[]
  // Why a file that exists is refused (wrong class, not executable, corrupt ELF, ...).
  error?: string
}

export interface VerifyResult {
  ok: boolean
  // ELF files and #! scripts examined.
  checked: number
  problems: VerifyProblem[]
  // What was checked besides the ELF closure: the data rules and .note.dlopen libraries (data),
  // the lowest .note.dlopen priority followed; as the tree was built (its manifest) unless asked.
  data: boolean
  dlopen: DlopenLevel
  // The data rules the tree was built without (--skip-rule), not checked.
  skipRules?: string[]
  // Files the manifest records as not closed (docs/data.md), whose needs were not checked.
  notClosed: number
}

export interface VerifyOptions {
  // PATH inside the rootfs for `#!/usr/bin/env NAME` (default: the usual root PATH).
  searchPath?: string
  // Check the data rules and .note.dlopen libraries (default: as the tree's manifest says it was
  // built, else true), at this .note.dlopen level (default: the manifest's, else recommended).
  data?: boolean
  dlopen?: DlopenLevel
}
