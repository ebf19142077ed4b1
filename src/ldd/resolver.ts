// The closure by running the host's ldd (--resolver ldd, the copy_exe.sh way). ldd lists what
// the loader loaded, not why: every library is `foundVia: 'ldd'` and needed by the program, and
// a missing one has no search list. Scripts are handled as by the elf resolver (their
// interpreters go through ldd in turn).
import {readFileSync} from 'node:fs'
import {posix} from 'node:path'
import {NsToolError, UsageError} from '../errors.js'
import {ElfSource} from '../loader/elf-source.js'
import {muslArch} from '../loader/musl.js'
import {parsePreloadList, runLdd, runMuslList, type LddSection} from './parse.js'
import {classifyFile, type Classified} from '../loader/classify.js'
import {defaultSearchPath, envCommand, findProgramIn} from '../loader/program.js'
import {Sysroot} from '../loader/sysroot.js'
import type {Closure, DependencyEdge, FileKind, FoundVia, MissingLibrary, ProgramInfo, ResolvedFile, ResolveOptions} from '../loader/types.js'

const KIND_RANK: Record<FileKind, number> = {program: 0, interpreter: 1, library: 2, file: 3}

interface Executable {
  path: string
  label: string
  classified: Classified
}

export async function resolveWithLdd(programs: string[], options: ResolveOptions = {}): Promise<Closure> {
  if (options.sysroot !== undefined && posix.resolve(options.sysroot) !== '/') {
    throw new UsageError('--resolver ldd runs the host loader and cannot look inside a --sysroot (use --resolver elf)')
  }
  const sysroot = new Sysroot('/')
  const elfSource = new ElfSource()
  const searchPath = options.searchPath ?? defaultSearchPath()
  const files = new Map<string, ResolvedFile>()
  const missing: MissingLibrary[] = []
  const edges: DependencyEdge[] = []
  const infos: ProgramInfo[] = []
  const executables: Executable[] = []
  const seen = new Set<string>()

  const addFile = (path: string, kind: FileKind, extra: {soname?: string; foundVia?: FoundVia; neededBy?: string}): void => {
    let entry = files.get(path)
    if (!entry) {
      entry = {path, kind}
      if (extra.soname !== undefined) entry.soname = extra.soname
      if (extra.foundVia !== undefined) entry.foundVia = extra.foundVia
      files.set(path, entry)
    } else if (KIND_RANK[kind] < KIND_RANK[entry.kind]) entry.kind = kind
    if (extra.neededBy !== undefined) {
      entry.neededBy ??= []
      if (!entry.neededBy.includes(extra.neededBy)) entry.neededBy.push(extra.neededBy)
    }
  }

  // Programs and, through #! lines, the interpreters they need.
  const visit = async (path: string, label: string, classified: Classified): Promise<void> => {
    if (seen.has(path)) return
    seen.add(path)
    executables.push({path, label, classified})
    if (classified.type !== 'script') return
    const {interpreter, argument} = classified.shebang
    const interpreterPath = sysroot.normalize(interpreter)
    const interpreterClass = await classifyFile(sysroot, elfSource, interpreterPath, `${label}: interpreter ${interpreter} (from its #! line)`)
    addFile(interpreterPath, 'interpreter', {foundVia: 'path', neededBy: path})
    edges.push({program: path, from: path, name: interpreter, kind: 'interpreter', path: interpreterPath, foundVia: 'path'})
    await visit(interpreterPath, interpreter, interpreterClass)
    const command = posix.basename(interpreter) === 'env' ? envCommand(argument) : undefined
    if (command === undefined) return
    let commandPath: string
    try {
      commandPath = command.includes('/') ? sysroot.normalize(command) : findProgramIn(sysroot, command, searchPath)
    } catch (error) {
      throw new NsToolError(`${label}: ${command}, run by ${interpreter} from its #! line: ${(error as Error).message.replace(`${command}: `, '')}`)
    }
    const commandClass = await classifyFile(sysroot, elfSource, commandPath, `${label}: ${command} (run by ${interpreter} from its #! line)`)
    addFile(commandPath, 'interpreter', {foundVia: 'path', neededBy: path})
    edges.push({program: path, from: path, name: command, kind: 'interpreter', path: commandPath, foundVia: 'path'})
    await visit(commandPath, command, commandClass)
  }

  for (const name of programs) {
    const path = findProgramIn(sysroot, name, searchPath)
    const classified = await classifyFile(sysroot, elfSource, path, name)
    const info: ProgramInfo = {name, path, type: classified.type === 'script' ? 'script' : classified.elf.linkage}
    const interpreter = classified.type === 'script' ? classified.shebang.interpreter : classified.elf.interpreter
    if (interpreter !== undefined) info.interpreter = interpreter
    infos.push(info)
    addFile(path, 'program', {})
    await visit(path, name, classified)
  }
  for (const path of options.extraFiles ?? []) {
    addFile(path, 'file', {foundVia: 'path'})
    try {
      await visit(path, path, await classifyFile(sysroot, elfSource, path, path))
    } catch (error) {
      // A data file added with --file has no dependencies; anything else wrong with it is an error.
      if (!(error instanceof NsToolError && /not an ELF file or a #! script$/.test(error.message))) throw error
    }
  }

  const dynamic = executables.filter((e) => e.classified.type === 'elf' && (e.classified.elf.linkage === 'dynamic' || e.classified.elf.linkage === 'shared'))
  const env: Record<string, string | undefined> = {LD_LIBRARY_PATH: options.ldLibraryPath}
  const sections = await lddSections(dynamic, env)
  const preloads = new Set(readPreloads())

  for (const [index, section] of sections.entries()) {
    const {path, label, classified} = dynamic[index]
    const interpreter = classified.type === 'elf' ? classified.elf.interpreter : undefined
    for (const line of section.lines) {
      if (line.type === 'error') throw new NsToolError(`${label}: ldd: ${line.message.replace(`${path}: `, '')}`)
      if (line.type === 'path') {
        if (line.path === interpreter) {
          const interpreterPath = sysroot.normalize(line.path)
          addFile(interpreterPath, 'interpreter', {foundVia: 'path', neededBy: path})
          edges.push({program: path, from: path, name: line.path, kind: 'interpreter', path: interpreterPath, foundVia: 'path'})
        } else if (!preloads.has(line.path)) {
          addFile(line.path, 'library', {soname: posix.basename(line.path), foundVia: 'path', neededBy: path})
          edges.push({program: path, from: path, name: line.path, kind: 'library', path: line.path, foundVia: 'path'})
        }
      } else if (line.type === 'library') {
        if (preloads.has(line.name) || preloads.has(line.path)) continue
        addFile(line.path, 'library', {soname: line.name, foundVia: 'ldd', neededBy: path})
        edges.push({program: path, from: path, name: line.name, kind: 'library', path: line.path, foundVia: 'ldd'})
      } else if (line.type === 'not-found') {
        if (preloads.has(line.name)) continue
        missing.push({soname: line.name, neededBy: path, searched: []})
        edges.push({program: path, from: path, name: line.name, kind: 'library'})
      }
    }
  }
  return {programs: infos, files: [...files.values()], missing, edges}
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
