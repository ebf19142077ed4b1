// What programs need that is not an ELF dependency (design §1 Data, §3 rule 8): their packages'
// run-time files, the data rules' files, .note.dlopen libraries and traced runs, each with why.
import {accessSync, constants, lstatSync, readdirSync, readlinkSync, type Stats} from 'node:fs'
import {posix} from 'node:path'
import {isElfMagic, readHead} from '../elf/ident.js'
import {readElfSections} from '../elf/sections.js'
import {UsageError} from '../errors.js'
import type {Closure, Expansion, ResolveOptions} from '../loader/types.js'
import {Sysroot} from '../loader/sysroot.js'
import {DEFAULT_DLOPEN_LEVEL, dlopenFeatures, follows, type DlopenLevel} from './dlopen.js'
import {packageDatabase} from './packages.js'
import {runtimeFilesOf} from './package-files.js'
import {firstLoads, ruleNeeds, ruleProgram} from './needs.js'
import type {NamedProgram, PathSpec, RuleContext} from './rules.js'
import {DEFAULT_TRACE_TIMEOUT, traceCommand} from './trace.js'
import {wrapperWarning} from './wrapper.js'

export {DEFAULT_DLOPEN_LEVEL, DLOPEN_LEVELS, type DlopenLevel} from './dlopen.js'
export {DEFAULT_TRACE_TIMEOUT} from './trace.js'

// A host path (in the sysroot) the tree gets for a reason other than the ELF closure: a file, a
// directory or a link (whose target comes too).
export interface DataFile {
  path: string
  reason: string
}

export interface DataOptions {
  // The package database, the rules and .note.dlopen (default true).
  data?: boolean
  dlopen?: DlopenLevel
  traces?: string[]
  // Seconds (default 60).
  traceTimeout?: number
  // Variables over the traced commands' clean environment (run's -e and --env-file).
  traceEnv?: Record<string, string>
  traceEnvFile?: string[]
  // Where a traced command's own output goes (default: stderr).
  traceOutput?: 'inherit' | 'ignore'
  // The tree's /etc/nsswitch.conf, whose services name NSS modules.
  nsswitch?: string
  // Compiled locales to add (--locale), languages whose message catalogues to add (--lang).
  locales?: string[]
  langs?: string[]
  // Data rules left out, by id (--skip-rule).
  skipRules?: string[]
}

// A file of the tree held as it is, not closed (docs/data.md): deliberately (a module its
// interpreter reads, never run) or because this host cannot meet its needs (the warning says).
export interface NotClosed {
  path: string
  reason: string
}

export interface ResolvedWithData {
  closure: Closure
  data: DataFile[]
  warnings: string[]
  notClosed: NotClosed[]
  // The data rules that applied and whose files this host has none of: the tree goes without.
  unmetRules?: string[]
}

// The closure of the programs with everything data and traces bring (and their closures).
export async function resolveWithData(programs: string[], resolveOptions: ResolveOptions, options: DataOptions): Promise<ResolvedWithData> {
  const {resolve} = await import('../resolve/index.js')
  const traces = options.traces ?? []
  if (options.data === false && traces.length === 0) return {closure: await resolve(programs, resolveOptions), data: [], warnings: [], notClosed: []}
  const sysroot = new Sysroot(resolveOptions.sysroot ?? '/')
  if (traces.length > 0) refuseTraceOutsideHost(sysroot)
  const collector = new DataCollector(sysroot, options)
  for (const command of traces) {
    const traced = await traceCommand(command, {timeout: options.traceTimeout ?? DEFAULT_TRACE_TIMEOUT, output: options.traceOutput, env: options.traceEnv, envFile: options.traceEnvFile})
    if (traced.status !== 0) collector.warnings.push(`warning: --trace '${command}' exited with status ${traced.status}; the files it used are kept`)
    for (const [path, use] of traced.paths) collector.add(path, `traced: ${command}`, use === 'exec' || use === 'open')
  }
  const closure = await resolve(programs, {...resolveOptions, expand: (partial) => collector.expand(partial)})
  collector.finish(closure)
  return {closure, data: collector.files(), warnings: collector.warnings, notClosed: collector.unclosed(), unmetRules: collector.unmetRuleIds()}
}

// A trace runs host commands: it describes the host, never a sysroot (bad usage, checked before
// any program is looked up).
export function refuseTraceOutsideHost(sysroot: Sysroot): void {
  if (!sysroot.isHost) throw new UsageError('--trace runs host commands: it cannot be combined with --sysroot')
}

class DataCollector {
  readonly warnings: string[] = []
  private readonly entries = new Map<string, string>()
  // Paths left out with a warning: said once, however many rules or rounds bring them again.
  private readonly leftOut = new Set<string>()
  private pending: string[] = []
  private named?: NamedProgram[]
  private readonly examined = new Set<string>()
  private readonly requests: Array<{from: string; sonames: string[]; why: string}> = []
  private readonly walks = new Map<string, Array<{path: string; stats: Stats}>>()
  // Files that entered and are not closed, with why.
  private readonly notClosed = new Map<string, string>()
  // Rules that applied and found nothing on this host, by id; one that finds something later is met.
  private readonly unmetRules = new Set<string>()
  private readonly metRules = new Set<string>()
  // ELF files that entered as data, with the entry that brought them (a link's target: the link).
  private readonly entered = new Map<string, string>()
  // What the data rules see of the tree: its ELF programs, by path (undefined: not one).
  private readonly rulePrograms = new Map<string, NamedProgram | undefined>()
  private firstRequests: Array<{from: string; sonames: string[]}> = []

  constructor(private readonly sysroot: Sysroot, private readonly options: DataOptions) {}

  files(): DataFile[] {
    return [...this.entries].map(([path, reason]) => ({path, reason}))
  }

  unclosed(): NotClosed[] {
    return [...this.notClosed].map(([path, reason]) => ({path, reason}))
  }

  unmetRuleIds(): string[] {
    return [...this.unmetRules].filter((id) => !this.metRules.has(id)).sort()
  }

  // A host path with its reason (the first reason wins). Whatever enters is closed
  // (docs/data.md): an ELF file by the loader's rules, an executable script by its interpreter —
  // when it is run (runs: a package's helper, a traced exec); a script that is only read (a
  // stdlib's executable .py, imported) is recorded as not closed. A link that leads nowhere is
  // left out, with a warning.
  add(path: string, reason: string, runs = false, stats = this.lstat(path)): void {
    if (!stats || this.entries.has(path) || this.leftOut.has(path)) return
    // Sockets, fifos and devices are no tree's files (a tree gets its own /dev when it runs).
    if (!stats.isFile() && !stats.isDirectory() && !stats.isSymbolicLink()) return
    if (stats.isSymbolicLink()) {
      const real = this.realpath(path)
      if (real === undefined) {
        this.warnings.push(`warning: ${path} (${this.packageOf(path)}): a link to ${this.readlink(path)}, which leads nowhere on this host; left out`)
        this.leftOut.add(path)
        return
      }
      this.entries.set(path, reason)
      this.enter(real, path, reason, runs)
      return
    }
    if (stats.isFile() && !this.readable(path)) {
      this.warnings.push(`warning: ${path} (${reason}): not readable by this user, left out`)
      this.leftOut.add(path)
      return
    }
    this.entries.set(path, reason)
    if (stats.isFile()) this.enter(path, path, reason, runs)
  }

  // A regular file (real path) that entered by `entry`.
  private enter(path: string, entry: string, reason: string, runs: boolean): void {
    if (this.entered.has(path) || this.notClosed.has(path)) return
    const head = this.head(path)
    if (head === 'elf') {
      this.entered.set(path, entry)
      this.pending.push(path)
    } else if (head === 'script' && this.executable(path)) {
      if (runs) {
        this.entered.set(path, entry)
        this.pending.push(path)
      } else this.notClosed.set(path, `${reason}: read by its interpreter, not run, so its #! line is not followed`)
    }
  }

  // A file that entered cannot be closed on this host: kept as it is, with one warning.
  private unmet(file: string, needs: Array<{path: string; missing: string}>): void {
    const entry = this.entered.get(file) ?? file
    const what = needs.map((need) => need.missing)
    this.notClosed.set(file, `${this.entries.get(entry) ?? 'data'}; not closed: ${what.join('; ')}`)
    for (const need of needs) if (!this.notClosed.has(need.path)) this.notClosed.set(need.path, `brought by ${file}, which is not closed: ${need.missing}`)
    const more = what.length > 1 ? ` (and ${what.length - 1} more)` : ''
    this.warnings.push(`warning: ${file} (${this.packageOf(entry)}): ${what[0]}${more}; kept as it is, not closed`)
  }

  private packageOf(path: string): string {
    const name = packageDatabase(this.sysroot.root).ownerOf(path)?.name
    return name === undefined ? 'of no package' : `package ${name}`
  }

  async expand(closure: Closure): Promise<Expansion> {
    if (this.options.data !== false) this.applyRules(closure)
    const files = this.pending
    this.pending = []
    const dlopen = this.requests.filter((request) => !this.examined.has(`dlopen\0${request.from}`))
    for (const request of dlopen) this.examined.add(`dlopen\0${request.from}`)
    const first = this.firstRequests
    this.firstRequests = []
    return {files, dlopen: [...first, ...dlopen], unmet: (file, needs) => this.unmet(file, needs)}
  }

  // dlopen'd libraries get their note's reason; a note whose library is nowhere is a warning.
  finish(closure: Closure): void {
    for (const request of this.requests) {
      const edge = closure.edges?.find((e) => e.from === request.from && e.path !== undefined && request.sonames.includes(e.name))
      if (edge?.path !== undefined) this.entries.set(edge.path, request.why)
      else this.warnings.push(`warning: ${request.from}: its .note.dlopen names ${request.sonames.join(' or ')} (${request.why.replace(/^[^:]*: /, '')}), which is not found`)
    }
  }

  private applyRules(closure: Closure): void {
    const db = packageDatabase(this.sysroot.root)
    if (!this.named) {
      this.named = namedPrograms(this.sysroot, closure)
      for (const program of closure.programs) {
        const warning = wrapperWarning(this.sysroot, closure, program)
        if (warning) this.warnings.push(warning)
      }
      for (const program of this.named) {
        // The package of the name given (python3-minimal for /usr/bin/python3) and of the file it
        // leads to (python3.11-minimal for /usr/bin/python3.11).
        for (const pkg of new Set([db.ownerOf(program.path), db.ownerOf(program.real)])) {
          if (!pkg) continue
          for (const path of runtimeFilesOf(db, pkg)) if (path !== program.path && path !== program.real) this.add(path, `package ${pkg.name} (of ${posix.basename(program.path)})`, true)
        }
      }
    }
    const libraries = closure.files.filter((file) => file.kind === 'library').map((file) => file.path)
    // The rules see every ELF program of the tree (named, an interpreter, a --file, brought as
    // data) and every shared object, as verify does.
    const programs = [...this.named]
    for (const path of [...closure.files.filter((file) => file.kind !== 'library').map((file) => file.path), ...this.entered.keys()]) {
      if (!this.rulePrograms.has(path)) this.rulePrograms.set(path, this.firstLoading(ruleProgram(this.sysroot, path)))
      const program = this.rulePrograms.get(path)
      if (program) programs.push(program)
      else if (this.entered.has(path)) libraries.push(path)
    }
    const {locales, langs} = this.options
    const context: RuleContext = {sysroot: this.sysroot, programs, libraries, nsswitch: this.options.nsswitch ?? '', packages: db, locales, langs}
    for (const {rule, trigger, paths} of ruleNeeds(context, this.options.skipRules)) {
      let found = false
      for (const spec of paths) {
        for (const {path, stats} of this.walk(spec)) {
          found = true
          this.add(path, `${rule.name}: ${spec.why ?? trigger}`, spec.runs === true, stats)
        }
      }
      if (found) this.metRules.add(rule.id)
      else if (paths.length > 0 && !this.unmetRules.has(rule.id)) {
        // A need this host cannot meet, as a data file's: one warning, the build goes on, and
        // verify holds the tree to what the host had (the manifest records the rule).
        this.unmetRules.add(rule.id)
        const named = paths.slice(0, 3).map((spec) => spec.path).join(' ')
        this.warnings.push(`warning: ${trigger}, but this host has none of the files of ${rule.name} (${named}${paths.length > 3 ? ' ...' : ''}); the tree goes without (rule ${rule.id})`)
      }
    }
    this.readDlopenNotes(closure)
  }

  // A program that loads libraries first (java its JVM) asks for them, each with its reason.
  private firstLoading(program: NamedProgram | undefined): NamedProgram | undefined {
    const first = program ? firstLoads(this.sysroot, program) : []
    if (first.length > 0) {
      this.firstRequests.push({from: program!.path, sonames: first})
      for (const path of first) this.entries.set(path, `loaded first by ${posix.basename(program!.real)}`)
    }
    return program
  }

  private readDlopenNotes(closure: Closure): void {
    const level = this.options.dlopen ?? DEFAULT_DLOPEN_LEVEL
    if (level === 'none') return
    for (const file of closure.files) {
      if (this.examined.has(`notes\0${file.path}`)) continue
      this.examined.add(`notes\0${file.path}`)
      const host = this.hostPath(file.path)
      if (host === undefined) continue
      for (const feature of dlopenFeatures(readElfSections(host).notes)) {
        if (!follows(level, feature.priority)) continue
        const what = feature.feature ?? feature.sonames[0]
        this.requests.push({from: file.path, sonames: feature.sonames, why: `dlopen note of ${posix.basename(file.path)}: ${what} (${feature.priority})`})
      }
    }
  }

  // A rule's path: itself, or with `tree` the directory and everything in it (as named, so the
  // plan recreates the links on the way), minus what `skip` matches.
  private walk(spec: PathSpec): Array<{path: string; stats: Stats}> {
    const key = `${spec.path}\0${spec.tree ?? false}\0${spec.skip?.source ?? ''}`
    let found = this.walks.get(key)
    if (found) return found
    found = []
    const stats = this.lstat(spec.path)
    if (stats) found.push({path: spec.path, stats})
    if (spec.tree && this.sysroot.isDirectory(spec.path)) {
      const pending = ['']
      while (pending.length > 0) {
        const relative = pending.pop()!
        const dir = this.hostPath(posix.join(spec.path, relative))
        let names: string[] = []
        try {
          names = dir === undefined ? [] : readdirSync(dir).sort()
        } catch {
          // Unreadable: nothing in it can be read in the tree either.
        }
        for (const name of names) {
          const child = relative === '' ? name : `${relative}/${name}`
          if (spec.skip?.test(child)) continue
          const childStats = lstatSync(posix.join(dir!, name), {throwIfNoEntry: false})
          if (!childStats) continue
          found.push({path: posix.join(spec.path, child), stats: childStats})
          if (childStats.isDirectory()) pending.push(child)
        }
      }
    }
    this.walks.set(key, found)
    return found
  }

  // The host path of an in-sysroot path, its last component not followed.
  private hostPath(path: string): string | undefined {
    try {
      return this.sysroot.hostPath(posix.join(this.sysroot.realpath(posix.dirname(path)), posix.basename(path)))
    } catch {
      return undefined
    }
  }

  private lstat(path: string): Stats | undefined {
    const host = this.hostPath(path)
    return host === undefined ? undefined : lstatSync(host, {throwIfNoEntry: false})
  }

  private realpath(path: string): string | undefined {
    try {
      return this.sysroot.realpath(path)
    } catch {
      return undefined
    }
  }

  private readlink(path: string): string {
    try {
      return readlinkSync(this.hostPath(path) ?? '')
    } catch {
      return '?'
    }
  }

  private executable(path: string): boolean {
    return ((this.lstat(path)?.mode ?? 0) & 0o111) !== 0
  }

  private readable(path: string): boolean {
    try {
      accessSync(this.hostPath(path) ?? '', constants.R_OK)
      return true
    } catch {
      return false
    }
  }

  private head(path: string): 'elf' | 'script' | undefined {
    const host = this.hostPath(path)
    let head: Buffer
    try {
      head = host === undefined ? Buffer.alloc(0) : readHead(host, 4)
    } catch {
      return undefined
    }
    if (isElfMagic(head)) return 'elf'
    return head[0] === 0x23 && head[1] === 0x21 ? 'script' : undefined
  }
}

// The programs named on the command line and the #! interpreters they run (recursively), with
// their real paths and the symbols they import.
function namedPrograms(sysroot: Sysroot, closure: Closure): NamedProgram[] {
  const paths = closure.programs.map((program) => program.path)
  for (let i = 0; i < paths.length; i++) {
    for (const edge of closure.edges ?? []) {
      if (edge.kind === 'interpreter' && edge.from === paths[i] && edge.program === paths[i] && edge.path !== undefined && !paths.includes(edge.path) && isScript(sysroot, paths[i])) paths.push(edge.path)
    }
  }
  return paths.flatMap((path) => {
    let real: string
    try {
      real = sysroot.realpath(path)
    } catch {
      return []
    }
    return [{path, real, imports: new Set(readElfSections(sysroot.hostPath(real)).imports)}]
  })
}

// A #! script's interpreter edges name what runs it; an ELF program's name its loader.
function isScript(sysroot: Sysroot, path: string): boolean {
  try {
    return readHead(sysroot.hostPath(sysroot.realpath(path)), 2).toString('latin1') === '#!'
  } catch {
    return false
  }
}
