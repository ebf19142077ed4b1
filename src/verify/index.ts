// verify ROOTFS: every ELF file's interpreter and libraries, and every executable script's
// interpreter, must resolve inside ROOTFS alone — the loader's search emulated by src/loader with
// ROOTFS as the sysroot (its own ld.so.cache, ld.so.conf and default directories).
import {closeSync, openSync, readdirSync, readlinkSync, readSync, statSync} from 'node:fs'
import {posix} from 'node:path'
import {isElfMagic, startsAsProgram} from '../elf/ident.js'
import {describeMachine} from '../elf/machine.js'
import type {ElfObject} from '../elf/types.js'
import {describeLookupFailure, NsToolError, UsageError} from '../errors.js'
import {ClosureBuilder} from '../loader/closure.js'
import {ElfSource} from '../loader/elf-source.js'
import {searchedSummary} from '../loader/missing.js'
import {parseShebang, ROOT_PATH, scriptSteps} from '../loader/program.js'
import {Sysroot} from '../loader/sysroot.js'
import {DATA_FLAGS} from '../options/build-rootfs.js'
import {readManifest, type DataPolicy, type Manifest} from '../rootfs/write/manifest.js'
import type {VerifyOptions, VerifyProblem, VerifyResult} from './types.js'

export type * from './types.js'

// Kernel-provided trees: their contents are not the rootfs's.
const SKIPPED_DIRS = new Set(['/proc', '/dev', '/sys'])
// Enough for the ELF magic and a #! line (the kernel's BINPRM_BUF_SIZE).
const HEAD_SIZE = 256
const EMPTY = Buffer.alloc(0)

interface Candidate {
  path: string
  // A symlink (its target is checked to lead somewhere) or a file (ELF or #! script).
  link?: true
  head: Buffer
  mode: number
}

// Trees the kernel fills at run time: a link into one leads somewhere once the tree runs.
const KERNEL_TREES = /^\/(proc|sys|dev)(\/|$)/

// Checks ROOTFS; never throws for what is inside it (each fault is a problem). Throws UsageError
// when ROOTFS is not a directory.
export async function verify(rootfs: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const stats = statSync(rootfs, {throwIfNoEntry: false})
  if (!stats) throw new UsageError(`${rootfs}: no such directory (give the rootfs directory to check)`)
  if (!stats.isDirectory()) throw new UsageError(`${rootfs}: not a directory (give the rootfs directory to check)`)

  const sysroot = new Sysroot(rootfs)
  const elfSource = new ElfSource()
  const treePath = options.searchPath ?? ROOT_PATH
  const builder = new ClosureBuilder({sysroot: sysroot.root, searchPath: treePath, treePath}, elfSource)
  const problems: VerifyProblem[] = []
  const elfFiles: string[] = []
  const manifest = readManifest(rootfs)
  const policy = dataPolicy(manifest, options)
  // Files the build recorded as not closed (docs/data.md): their needs are not the tree's.
  const notClosed = new Set((manifest?.notClosed ?? []).map((file) => file.path))
  const programs: Array<{path: string; elf: ElfObject}> = []
  const modules: string[] = []
  let checked = 0

  for (const candidate of walk(sysroot)) {
    const {path, head} = candidate
    if (notClosed.has(path)) continue
    if (candidate.link) {
      const problem = checkLink(sysroot, path)
      if (problem) problems.push(problem)
    } else if (isElfMagic(head)) {
      const role = await elfRole(sysroot, elfSource, path)
      if (role === 'ignored') continue
      checked++
      if ('kind' in role) problems.push(role)
      else if (role.elf.linkage === 'static' || role.elf.linkage === 'static-pie') elfFiles.push(path)
      else if (startsAsProgram(role.elf)) programs.push({path, elf: role.elf})
      else modules.push(path)
    } else if (head[0] === 0x23 && head[1] === 0x21 && (candidate.mode & 0o111) !== 0) {
      // The kernel honours #! only on execve: a non-executable file with one is just text.
      checked++
      problems.push(...checkScript(sysroot, path, head, treePath))
    }
  }
  // Programs first: a module's names are matched against what they load (and load first).
  for (const {path, elf} of programs) {
    const problem = await checkProgram(sysroot, elfSource, builder, path, elf)
    if (problem) problems.push(problem)
    else elfFiles.push(path)
  }
  const check = policy.data ? await import('./data.js') : undefined
  await check?.loadFirst(sysroot, builder, elfFiles)
  for (const path of modules) {
    const problem = await closeIn(builder, path)
    if (problem) problems.push(problem)
    else elfFiles.push(path)
  }
  // The rules the build was told to leave out, and those the host could not meet.
  const notAsked = [...(policy.skipRules ?? []), ...(manifest?.unmetRules ?? [])]
  if (check) problems.push(...(await check.dataProblems(sysroot, builder, elfFiles, policy.dlopen, notAsked)))
  for (const entry of builder.result().missing) {
    const problem: VerifyProblem = {path: entry.neededBy, kind: 'library', name: entry.soname, searched: entry.searched}
    if (entry.error !== undefined) problem.error = entry.error
    problems.push(problem)
  }
  const own = problems.filter((problem) => !notClosed.has(problem.path))
  own.sort((a, b) => compare(a.path, b.path) || compare(a.name, b.name))
  return {ok: own.length === 0, checked, problems: own, ...policy, notClosed: notClosed.size}
}

// What the tree was built to hold besides its ELF closure: a --no-data tree is not faulted for the
// data it left out on purpose. The options win; a tree without a manifest is held to the defaults.
function dataPolicy(manifest: Manifest | undefined, options: VerifyOptions): DataPolicy {
  const built = manifest?.data
  const data = options.data ?? built?.data ?? DATA_FLAGS.data.default
  const skipped = built?.skipRules?.length ? {skipRules: built.skipRules} : {}
  return {data, dlopen: data ? (options.dlopen ?? built?.dlopen ?? DATA_FLAGS.dlopen.default) : 'none', ...skipped}
}

// One problem in one line, as deps and build-rootfs say a missing library.
export function problemLine(problem: VerifyProblem): string {
  const searched = searchedSummary(problem.searched ?? [], problem.name)
  if (problem.kind === 'elf') return `${problem.path}: not a usable ELF file (${problem.error ?? 'unreadable'})`
  if (problem.kind === 'link') return `link ${problem.path} -> ${problem.name}: leads nowhere in the rootfs (${problem.error ?? 'no such file'})`
  if (problem.kind === 'dlopen') return `${problem.name} needed by ${problem.path}: not found (${problem.error})`
  if (problem.kind === 'data') {
    const paths = problem.searched ?? []
    return `${problem.name} needed by ${problem.path}: missing (${problem.error}: ${paths.slice(0, 4).join(' ')}${paths.length > 4 ? ` and ${paths.length - 4} more` : ''})`
  }
  const what = problem.kind === 'interpreter' ? `interpreter ${problem.name}` : problem.name
  const reason = problem.error ? `cannot be used: ${problem.error}` : 'not found'
  return `${what} needed by ${problem.path}: ${reason}${searched}`
}

// Regular files under the root with their first bytes, in sorted order; symlinks are not
// followed (whatever they reach inside the rootfs is walked at its own path).
function* walk(sysroot: Sysroot): Generator<Candidate> {
  const pending: string[] = ['/']
  const head = Buffer.alloc(HEAD_SIZE)
  while (pending.length > 0) {
    const dir = pending.pop()!
    let entries
    try {
      entries = readdirSync(sysroot.hostPath(dir), {withFileTypes: true})
    } catch {
      // An unreadable directory holds nothing the loader could open either.
      continue
    }
    entries.sort((a, b) => compare(b.name, a.name))
    for (const entry of entries) {
      const path = dir === '/' ? `/${entry.name}` : `${dir}/${entry.name}`
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(path)) pending.push(path)
        continue
      }
      if (entry.isSymbolicLink()) {
        yield {path, link: true, head: EMPTY, mode: 0}
        continue
      }
      if (!entry.isFile()) continue
      let fd: number
      try {
        fd = openSync(sysroot.hostPath(path), 'r')
      } catch {
        continue
      }
      try {
        const read = readSync(fd, head, 0, HEAD_SIZE, 0)
        if (read < 4) continue
        const isElf = isElfMagic(head)
        const isScript = head[0] === 0x23 && head[1] === 0x21
        if (!isElf && !isScript) continue
        yield {path, head: Buffer.from(head.subarray(0, read)), mode: isScript ? statSync(sysroot.hostPath(path)).mode : 0}
      } finally {
        closeSync(fd)
      }
    }
  }
}

// A symlink must lead to something inside the rootfs (its absolute target taken from the
// rootfs's root, as in the running tree); one into /proc, /sys or /dev is filled at run time.
function checkLink(sysroot: Sysroot, path: string): VerifyProblem | undefined {
  let target: string
  try {
    target = readlinkSync(sysroot.hostPath(path))
  } catch {
    return undefined
  }
  if (KERNEL_TREES.test(posix.normalize(target.startsWith('/') ? target : posix.join(posix.dirname(path), target)))) return undefined
  try {
    sysroot.realpath(path)
    return undefined
  } catch (error) {
    return {path, kind: 'link', name: target, error: describeLookupFailure(error)}
  }
}

// One ELF file: a problem, 'ignored' when it is not a loadable object (a relocatable .o, a core
// dump) and so has nothing to resolve, else what it is.
async function elfRole(sysroot: Sysroot, elfSource: ElfSource, path: string): Promise<VerifyProblem | 'ignored' | {elf: ElfObject}> {
  const elf = await elfSource.read(sysroot.hostPath(path))
  if (!('identity' in elf)) return {path, kind: 'elf', name: path, error: `${elf.code}: ${stripPrefix(elf.message, sysroot.hostPath(path))}`}
  const {fileType} = elf.identity
  if (fileType !== 'executable' && fileType !== 'shared') return 'ignored'
  return {elf}
}

// A program: its PT_INTERP must be usable, and its link map resolve.
async function checkProgram(sysroot: Sysroot, elfSource: ElfSource, builder: ClosureBuilder, path: string, elf: ElfObject): Promise<VerifyProblem | undefined> {
  if (elf.linkage === 'dynamic' && elf.interpreter !== undefined) {
    const problem = await checkInterpreter(sysroot, elfSource, path, elf, elf.interpreter)
    if (problem) return problem
  }
  return closeIn(builder, path)
}

// Each executable and each library is closed as the build closed it (ClosureBuilder.addEntered):
// a library's own needs are checked even when no program in the tree loads it.
async function closeIn(builder: ClosureBuilder, path: string): Promise<VerifyProblem | undefined> {
  try {
    await builder.addEntered(path)
  } catch (error) {
    if (!(error instanceof NsToolError)) throw error
    return {path, kind: 'elf', name: path, error: stripPrefix(error.message, path)}
  }
  return undefined
}

// PT_INTERP must be a loader of the program's own class and machine (the kernel runs it as is).
async function checkInterpreter(sysroot: Sysroot, elfSource: ElfSource, path: string, elf: ElfObject, interpreter: string): Promise<VerifyProblem | undefined> {
  const wanted = sysroot.normalize(interpreter)
  let file
  try {
    file = sysroot.file(wanted)
  } catch (error) {
    return {path, kind: 'interpreter', name: interpreter, error: describeLookupFailure(error)}
  }
  if (!file) return {path, kind: 'interpreter', name: interpreter, searched: [wanted]}
  const loader = await elfSource.read(sysroot.hostPath(file.real))
  if (!('identity' in loader)) return {path, kind: 'interpreter', name: interpreter, error: `not a valid ELF file (${loader.code})`}
  const {elfClass, machine, endian} = loader.identity
  if (elfClass !== elf.identity.elfClass || machine !== elf.identity.machine || endian !== elf.identity.endian) {
    return {path, kind: 'interpreter', name: interpreter, error: `it is ${describeMachine(loader.identity)}, the program is ${describeMachine(elf.identity)}`}
  }
  return undefined
}

// A #! script: its interpreter must be an executable file in the rootfs, and for
// `#!/usr/bin/env NAME`, NAME must be on the rootfs's PATH.
function checkScript(sysroot: Sysroot, path: string, head: Buffer, searchPath: string): VerifyProblem[] {
  const shebang = parseShebang(head)
  if (!shebang) return [{path, kind: 'interpreter', name: '', error: 'its #! line names no interpreter'}]
  const [interpreter, command] = scriptSteps(sysroot, shebang, searchPath)
  let file
  try {
    file = sysroot.file(interpreter.path!)
  } catch (error) {
    return [{path, kind: 'interpreter', name: interpreter.name, error: describeLookupFailure(error)}]
  }
  if (!file) return [{path, kind: 'interpreter', name: interpreter.name, searched: [interpreter.path!]}]
  if ((file.stats.mode & 0o111) === 0) return [{path, kind: 'interpreter', name: interpreter.name, error: 'not executable'}]

  if (command === undefined) return []
  if (command.lookup) {
    const problem: VerifyProblem = {path, kind: 'interpreter', name: command.name, searched: command.searched}
    // "not found on PATH" is what `searched` says; anything else (not executable, a loop) is news.
    if (command.lookup.code !== 'not-found') problem.error = stripPrefix(command.lookup.message, command.name)
    return [problem]
  }
  // A path is exec'd as it is; a name was found on PATH by the lookup itself.
  if (command.name.includes('/') && !sysroot.openable(command.path!)) return [{path, kind: 'interpreter', name: command.name, searched: [command.path!]}]
  return []
}

function stripPrefix(message: string, prefix: string): string {
  return message.startsWith(`${prefix}: `) ? message.slice(prefix.length + 2) : message
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}
