// The closure by running the host's ldd (--resolver ldd, the copy_exe.sh way). ldd lists what
// the loader loaded, not why: every library is `foundVia: 'ldd'` and needed by the program, and
// a missing one has no search list. Scripts are handled as by the elf resolver (their
// interpreters go through ldd in turn).
import {readFileSync} from 'node:fs'
import {posix} from 'node:path'
import {hasCode, NsToolError, UsageError} from '../errors.js'
import {ElfSource} from '../loader/elf-source.js'
import {muslArch} from '../loader/musl.js'
import {parsePreloadList, runLdd, runMuslList, type LddSection} from './parse.js'
import {classifyFile, type Classified} from '../loader/classify.js'
import {defaultSearchPath, findProgramIn, ROOT_PATH, scriptStepError, scriptSteps} from '../loader/program.js'
import {Sysroot} from '../loader/sysroot.js'
import {ClosureRecord} from '../loader/record.js'
import type {Closure, FoundVia, ProgramInfo, ResolveOptions} from '../loader/types.js'

interface Executable {
  path: string
  label: string
  classified: Classified
}

export async function resolveWithLdd(programs: string[], options: ResolveOptions = {}): Promise<Closure> {
  if (options.sysroot !== undefined && posix.resolve(options.sysroot) !== '/') {
    throw new UsageError('--resolver ldd runs the host loader and cannot look inside a --sysroot (use --resolver elf)')
  }
  const resolution = new LddResolution(options.searchPath ?? defaultSearchPath(), options.treePath ?? ROOT_PATH)
  for (const name of programs) await resolution.addProgram(name)
  for (const path of options.extraFiles ?? []) await resolution.addExtraFile(path)
  return resolution.finish({LD_LIBRARY_PATH: options.ldLibraryPath})
}

class LddResolution {
  private readonly sysroot = new Sysroot('/')
  private readonly elfSource = new ElfSource()
  private readonly record = new ClosureRecord()
  private readonly executables: Executable[] = []
  private readonly seen = new Set<string>()

  // treePath: where `#!/usr/bin/env NAME` finds NAME, as the elf resolver looks (the tree's PATH).
  constructor(
    private readonly searchPath: string,
    private readonly treePath: string,
  ) {}

  async addProgram(name: string): Promise<void> {
    const path = findProgramIn(this.sysroot, name, this.searchPath)
    const classified = await this.classify(path, name)
    const info: ProgramInfo = {name, path, type: classified.type === 'script' ? 'script' : classified.elf.linkage}
    const interpreter = classified.type === 'script' ? classified.shebang.interpreter : classified.elf.interpreter
    if (interpreter !== undefined) info.interpreter = interpreter
    this.record.programs.push(info)
    this.record.addFile(path, 'program', {})
    await this.visit(path, name, classified)
  }

  async addExtraFile(path: string): Promise<void> {
    this.record.addFile(path, 'file', {foundVia: 'path'})
    try {
      await this.visit(path, path, await this.classify(path, path))
    } catch (error) {
      // A data file added with --file has no dependencies; anything else wrong with it is an error.
      if (!hasCode(error, 'not-a-program')) throw error
    }
  }

  // ldd's answer for every dynamic executable met, as the closure's files, edges and missing.
  async finish(env: Record<string, string | undefined>): Promise<Closure> {
    const dynamic = this.executables.filter((e) => e.classified.type === 'elf' && (e.classified.elf.linkage === 'dynamic' || e.classified.elf.linkage === 'shared'))
    const sections = await lddSections(dynamic, env)
    const preloads = new Set(readPreloads())
    for (const [index, section] of sections.entries()) this.recordSection(dynamic[index], section, preloads)
    // ldd cannot tell whether a rootfs needs its own ld.so.cache: needsLdCache stays undefined.
    const {programs, files, missing, edges} = this.record.result()
    return {programs, files, missing, edges}
  }

  private classify(path: string, label: string): Promise<Classified> {
    return classifyFile(this.sysroot, this.elfSource, path, label)
  }

  // Programs and, through #! lines, the interpreters they need.
  private async visit(path: string, label: string, classified: Classified): Promise<void> {
    if (this.seen.has(path)) return
    this.seen.add(path)
    this.executables.push({path, label, classified})
    if (classified.type !== 'script') return
    for (const step of scriptSteps(this.sysroot, classified.shebang, this.treePath)) {
      if (step.lookup) throw scriptStepError(label, step)
      const stepClass = await this.classify(step.path!, `${label}: ${step.label}`)
      this.record.addInterpreter(path, path, step.name, step.path!)
      await this.visit(step.path!, step.name, stepClass)
    }
  }

  private recordSection({path, label, classified}: Executable, section: LddSection, preloads: Set<string>): void {
    const {record} = this
    const interpreter = classified.type === 'elf' ? classified.elf.interpreter : undefined
    const library = (name: string, found: string, foundVia: FoundVia, soname = name) => {
      record.addFile(found, 'library', {soname, foundVia, neededBy: path})
      record.edges.push({program: path, from: path, name, kind: 'library', path: found, foundVia})
    }
    for (const line of section.lines) {
      if (line.type === 'error') throw new NsToolError(`${label}: ldd: ${line.message.replace(`${path}: `, '')}`)
      if (line.type === 'path' && line.path === interpreter) record.addInterpreter(path, path, line.path, this.sysroot.normalize(line.path))
      else if (line.type === 'path' && !preloads.has(line.path)) library(line.path, line.path, 'path', posix.basename(line.path))
      else if (line.type === 'library' && !preloads.has(line.name) && !preloads.has(line.path)) library(line.name, line.path, 'ldd')
      else if (line.type === 'not-found' && !preloads.has(line.name)) record.addMissing(path, path, line.name, [])
    }
  }
}

// glibc's ldd for most programs; musl's loader in list mode for a program it loads (glibc's ldd
// would run musl's program with glibc's loader).
async function lddSections(dynamic: Executable[], env: Record<string, string | undefined>): Promise<LddSection[]> {
  const muslLoader = (e: Executable) => (e.classified.type === 'elf' && e.classified.elf.interpreter && muslArch(e.classified.elf.interpreter) ? e.classified.elf.interpreter : undefined)
  const glibc = dynamic.filter((e) => !muslLoader(e))
  const fromLdd = await runLdd(
    glibc.map((e) => e.path),
    {env},
  )
  return Promise.all(dynamic.map((e) => (muslLoader(e) ? runMuslList(muslLoader(e)!, e.path, env) : fromLdd[glibc.indexOf(e)])))
}

function readPreloads(): string[] {
  try {
    return parsePreloadList(readFileSync('/etc/ld.so.preload', 'utf8'))
  } catch {
    return []
  }
}
