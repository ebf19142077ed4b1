// The dependency closure by emulating the loaders: each program is its own process
// (src/loader/process.ts) whose loader — glibc's ld.so, or musl's for an ld-musl-* interpreter —
// searches by its own rules (glibc.ts, musl.ts); scripts bring their interpreters. Nothing is run.
import {posix} from 'node:path'
import {isElfMagic, readHead, startsAsProgram} from '../elf/ident.js'
import {cannotExecute, findEmulator, hostArchitecture} from '../elf/host.js'
import {architecture, describeMachine} from '../elf/machine.js'
import type {ElfObject} from '../elf/types.js'
import {describeLookupFailure, hasCode, NsToolError, UsageError} from '../errors.js'
import {ElfSource} from './elf-source.js'
import {GlibcSearches} from './glibc.js'
import type {LoadedObject, LoaderRules} from './link-map.js'
import {loaderProfile} from './loader.js'
import {globInSysroot} from './ld-conf.js'
import {muslArch, MuslSearches} from './musl.js'
import {probeGlibc, type Probe} from './probe.js'
import {LinkMapWalker, type ProcessStart} from './process.js'
import {classifyFile, type Classified} from './classify.js'
import {defaultSearchPath, findProgramIn, parseShebang, ROOT_PATH, scriptStepError, scriptSteps, type Shebang} from './program.js'
import {ClosureRecord} from './record.js'
import {Sysroot} from './sysroot.js'
import type {Closure, MissingLibrary, ProgramInfo, ResolveOptions} from './types.js'


// The kernel follows at most this many nested #! interpreters (BINPRM_MAX_RECURSION).
const MAX_INTERPRETER_DEPTH = 4

export class ClosureBuilder {
  private readonly sysroot: Sysroot
  private readonly elfSource: ElfSource
  private readonly searchPath: string
  // Where `#!/usr/bin/env NAME` finds NAME: the PATH the tree runs with.
  private readonly treePath: string
  private readonly loaderInvocation: boolean
  private readonly cwd: string
  private readonly record = new ClosureRecord()
  private readonly processes = new Set<string>()
  private readonly glibc: GlibcSearches
  private readonly musl: MuslSearches
  private readonly walker: LinkMapWalker
  // Programs this host cannot execute, by what to say about them.
  private readonly foreign = new Map<string, string[]>()
  // The objects programs have loaded (their link maps and what they dlopen), by real path: a
  // module's DT_NEEDED names are matched against them first, as in the program's own process.
  private readonly programLoaded = new Map<string, LoadedObject>()

  constructor(options: ResolveOptions = {}, elfSource = new ElfSource()) {
    this.elfSource = elfSource
    this.sysroot = new Sysroot(options.sysroot ?? '/')
    if (options.ldLibraryPath !== undefined && !this.sysroot.isHost) {
      throw new UsageError('LD_LIBRARY_PATH applies to the host only: drop --ld-library-path or --sysroot')
    }
    this.searchPath = options.searchPath ?? defaultSearchPath()
    this.treePath = options.treePath ?? ROOT_PATH
    this.loaderInvocation = options.loaderInvocation ?? false
    // Relative search directories are relative to the process's working directory.
    this.cwd = this.sysroot.isHost ? process.cwd() : '/'
    this.glibc = new GlibcSearches(this.sysroot, elfSource, this.cwd, options.ldLibraryPath)
    this.musl = new MuslSearches(this.sysroot, elfSource, this.cwd, options.ldLibraryPath)
    this.walker = new LinkMapWalker(this.sysroot, this.record, this.cwd)
  }

  findProgram(name: string): string {
    return findProgramIn(this.sysroot, name, this.searchPath)
  }

  async addProgram(name: string): Promise<ProgramInfo> {
    const path = this.findProgram(name)
    const classified = await this.classify(path, name)
    const info: ProgramInfo = {name, path, type: 'script'}
    if (classified.type === 'script') {
      info.interpreter = classified.shebang.interpreter
    } else {
      const {linkage, interpreter} = classified.elf
      info.type = linkage
      if (interpreter !== undefined) info.interpreter = interpreter
      this.warnIfForeign(path, classified.elf)
    }
    this.record.programs.push(info)
    this.record.addFile(path, 'program', {})
    await this.runExecutable(path, name, classified, 0)
    return info
  }

  // A file added on its own (build-rootfs --file): its interpreter and libraries are wanted too.
  async addExtraFile(path: string): Promise<void> {
    let file
    try {
      file = this.sysroot.file(path)
    } catch (error) {
      throw new NsToolError(`${path}: ${describeLookupFailure(error)}`)
    }
    if (!file) throw new NsToolError(`${path}: no such file`)
    this.record.addFile(path, 'file', {foundVia: 'path'})
    const head = readHead(this.sysroot.hostPath(file.real), 256)
    if (!isElfMagic(head) && !parseShebang(head)) return
    // A file added by itself is a program only if the kernel would start it as one: a library
    // with a PT_INTERP of its own (libc.so.6) is loaded by a program's loader, which ignores it.
    await this.runExecutable(path, path, await this.classify(path, path), 0, false)
  }

  // A file that entered the tree for a reason other than a DT_NEEDED name or a #! line (a package's
  // file, a rule's, a traced one, a file verify finds): closed like anything the tree runs or loads.
  // A program starts its own process; a shared object is a module, loaded into the processes of
  // the programs seen so far (their objects answer its names first); a script needs its
  // interpreter. Throws NsToolError when the file cannot be used; what it misses is recorded as
  // missing.
  async addEntered(path: string): Promise<void> {
    const classified = await this.classify(path, path)
    // A relocatable object or a core dump is nothing a loader opens.
    if (classified.type === 'elf' && !['executable', 'shared'].includes(classified.elf.identity.fileType)) return
    this.record.addFile(path, 'file', {foundVia: 'path'})
    await this.runExecutable(path, path, classified, 0, false)
  }

  // Whether a file is a #! script (false for what cannot be classified).
  async isScript(path: string): Promise<boolean> {
    return (await this.classify(path, path).catch(() => undefined))?.type === 'script'
  }

  // Whether a file would start a process of its own (an ELF program or a script), not be loaded
  // into one (a shared object); false for what cannot be classified.
  async startsProgram(path: string): Promise<boolean> {
    const classified = await this.classify(path, path).catch(() => undefined)
    return classified !== undefined && (classified.type === 'script' || startsAsProgram(classified.elf))
  }

  // addEntered for a data file, whose needs the caller judges: what it (or what it brought) misses,
  // one line each, taken out of the closure's missing libraries; none when it is closed.
  async closeEntered(path: string): Promise<Array<{path: string; missing: string}>> {
    const mark = this.record.missingMark()
    try {
      await this.addEntered(path)
    } catch (error) {
      if (!(error instanceof NsToolError)) throw error
      return [...this.record.takeMissingSince(mark).map(unmet), {path, missing: error.message.startsWith(`${path}: `) ? error.message.slice(path.length + 2) : error.message}]
    }
    return this.record.takeMissingSince(mark).map(unmet)
  }

  // Libraries `from` loads with dlopen (design §3 rule 8): searched as from's own DT_NEEDED names
  // would be, in a process of its own; the first of the alternatives found is taken, and none found
  // is no error (the caller sees no edge).
  async addDlopen(from: string, sonames: string[]): Promise<void> {
    const classified = await this.classify(from, from)
    if (classified.type !== 'elf' || classified.elf.linkage === 'static' || classified.elf.linkage === 'static-pie') return
    const {elf} = classified
    this.remember(await this.walker.walk(await this.processStart(from, from, classified.real, elf, elf.linkage === 'dynamic' ? elf.interpreter : undefined), sonames))
  }

  result(): Closure {
    const warnings = [...this.foreign].map(([why, paths]) => {
      const which = paths.length === 1 ? `${paths[0]} is` : `${paths.slice(0, 3).join(', ')}${paths.length > 3 ? ` and ${paths.length - 3} more` : ''} are`
      return `warning: ${which} ${why}`
    })
    return {...this.record.result(), muslPathFiles: [...this.musl.pathFilesUsed], warnings}
  }

  // ---- programs and interpreters ------------------------------------------------------------

  private classify(path: string, label: string): Promise<Classified> {
    return classifyFile(this.sysroot, this.elfSource, path, label)
  }

  // A program this host's kernel cannot execute is still built (the tree may be for another
  // machine), with a word on what `run` will need.
  private warnIfForeign(path: string, elf: ElfObject): void {
    const reason = cannotExecute(elf.identity)
    if (reason === undefined) return
    const emulator = findEmulator(elf.identity)
    const how = emulator ? `ns-tool run emulates them with ${emulator}` : 'install qemu-user-static for ns-tool run to emulate them'
    const why = `${describeMachine(elf.identity)}: ${reason} (${how})`
    this.foreign.set(why, [...(this.foreign.get(why) ?? []), path])
  }

  private async runExecutable(path: string, label: string, classified: Classified, depth: number, named = true): Promise<void> {
    if (this.processes.has(path)) return
    this.processes.add(path)
    if (classified.type === 'script') {
      await this.runScript(path, label, classified.shebang, depth)
      return
    }
    const {elf} = classified
    if (elf.linkage === 'static' || elf.linkage === 'static-pie') return
    const program = named || startsAsProgram(elf)
    const interpreter = elf.linkage === 'dynamic' && program ? elf.interpreter : undefined
    const start = await this.processStart(path, label, classified.real, elf, interpreter)
    if (program) this.remember(await this.walker.walk(start))
    else await this.walker.walk(start, [], [...this.programLoaded.values()])
  }

  private remember(loaded: LoadedObject[]): void {
    for (const object of loaded) if (!this.programLoaded.has(object.real)) this.programLoaded.set(object.real, object)
  }

  // `#!/usr/bin/env NAME` finds NAME on the tree's PATH, where the script will run (a shim first
  // on the caller's PATH is not what runs it there).
  private async runScript(path: string, label: string, shebang: Shebang, depth: number): Promise<void> {
    if (depth >= MAX_INTERPRETER_DEPTH) throw new NsToolError(`${label}: more than ${MAX_INTERPRETER_DEPTH} levels of #! interpreters`)
    for (const step of scriptSteps(this.sysroot, shebang, this.treePath, this.cwd)) {
      if (step.lookup) throw scriptStepError(label, step)
      const stepLabel = `${label}: ${step.label}`
      const stepClass = await this.classify(step.path!, stepLabel).catch((error: unknown) => {
        // For a path written on a #! line, "does not exist" says it better than "no such file".
        throw hasCode(error, 'not-found') ? new NsToolError(`${stepLabel}: does not exist`, 'not-found') : error
      })
      this.record.addInterpreter(path, path, step.name, step.path!)
      await this.runExecutable(step.path!, step.name, stepClass, depth + 1)
    }
  }

  // ---- one process: which loader, with which rules ------------------------------------------

  private async processStart(path: string, label: string, real: string, elf: ElfObject, interpreter: string | undefined): Promise<ProcessStart> {
    // The kernel gives the loader the executable's real path (/proc/self/exe): $ORIGIN follows
    // symlinks. `ld.so PROGRAM` (ldd) uses the path it was given instead.
    const origin = posix.dirname(this.loaderInvocation ? path : real)
    const start = {path, real, elf, origin}
    if (interpreter === undefined) {
      const musl = await this.muslLoaderFor(elf)
      if (musl) return {...start, rules: this.musl.rules(musl.name), interpreter: {...musl, asInterpreter: false}}
      return {...start, rules: this.glibcRules(elf, origin)}
    }
    const interpreterPath = this.sysroot.normalize(interpreter, this.cwd)
    const probe = await probeGlibc(this.sysroot, this.elfSource, interpreterPath, elf.identity)
    if (probe.status !== 'ok') throw this.interpreterError(label, elf, interpreter, probe)
    const loaded = {name: interpreter, path: interpreterPath, real: probe.real, elf: probe.elf, asInterpreter: true}
    if (muslArch(interpreter) !== undefined) return {...start, rules: this.musl.rules(interpreter), interpreter: loaded}
    return {...start, rules: this.glibcRules(elf, origin, interpreterPath), interpreter: loaded}
  }

  private glibcRules(elf: ElfObject, origin: string, interpreterPath?: string): LoaderRules {
    return this.glibc.rules(loaderProfile(this.sysroot, elf.identity, interpreterPath), origin)
  }

  // A library on its own (no PT_INTERP) that asks for musl's libc is loaded by musl's loader:
  // the sysroot's /lib/ld-musl-*.so.1 of its machine, when there is one.
  private async muslLoaderFor(elf: ElfObject): Promise<{name: string; path: string; real: string; elf: ElfObject} | undefined> {
    // musl's libc is libc.so (musl-gcc) or libc.musl-ARCH.so.1 (Alpine); glibc's is libc.so.6.
    if (!(elf.dynamic?.needed ?? []).some((name) => name === 'libc.so' || name.startsWith('libc.musl-'))) return undefined
    for (const path of globInSysroot(this.sysroot, '/lib/ld-musl-*.so.1')) {
      const probe = await probeGlibc(this.sysroot, this.elfSource, path, elf.identity)
      if (probe.status === 'ok') return {name: path, path, real: probe.real, elf: probe.elf}
    }
    return undefined
  }

  private interpreterError(label: string, elf: ElfObject, interpreter: string, probe: Probe): NsToolError {
    const where = this.sysroot.isHost ? 'this system' : this.sysroot.root
    const arch = elf.identity.machineName
    if (probe.status === 'absent') {
      const host = hostArchitecture()
      if (this.sysroot.isHost && host && architecture(elf.identity) !== host) {
        return new NsToolError(`${label}: an ${arch} program whose interpreter ${interpreter} is not on this ${host.name} system (use --sysroot with an ${arch} root)`)
      }
      return new NsToolError(`${label}: its interpreter ${interpreter} is missing from ${where}`)
    }
    if (probe.status === 'skip') return new NsToolError(`${label}: its interpreter ${interpreter} is not a ${describeMachine(elf.identity)} loader (${probe.why})`)
    return new NsToolError(`${label}: its interpreter ${interpreter} cannot be loaded (${probe.status === 'fatal' ? probe.message : ''})`)
  }
}

// A missing library as the line a data file's warning gives.
function unmet(missing: MissingLibrary): {path: string; missing: string} {
  return {path: missing.neededBy, missing: `${missing.soname} needed by ${missing.neededBy}: ${missing.error ?? 'not found'}`}
}
