// Finding a program the way execvp(3) would, inside the sysroot, and reading a #! line the way the
// kernel does (fs/binfmt_script.c).
import {posix} from 'node:path'
import {describeLookupFailure, NsToolError} from '../errors.js'
import type {Sysroot} from './sysroot.js'

// The kernel reads this much of a file to find the #! line (BINPRM_BUF_SIZE).
export const BINPRM_BUF_SIZE = 256

export interface Shebang {
  // The interpreter path as written.
  interpreter: string
  // The optional single argument (the kernel passes the rest of the line as one word).
  argument?: string
}

// Parses the first bytes of a file; undefined when it does not start with "#!".
export function parseShebang(head: Buffer): Shebang | undefined {
  if (head.length < 2 || head[0] !== 0x23 || head[1] !== 0x21) return undefined
  const window = head.subarray(0, BINPRM_BUF_SIZE)
  const newline = window.indexOf(0x0a)
  const line = window.toString('latin1', 2, newline === -1 ? window.length : newline)
  const trimmed = line.replace(/^[ \t]+/, '').replace(/[ \t\r]+$/, '')
  if (trimmed === '') return undefined
  const split = trimmed.search(/[ \t]/)
  if (split === -1) {
    // The kernel refuses an interpreter path cut off by the end of its buffer.
    if (newline === -1 && head.length >= BINPRM_BUF_SIZE) return undefined
    return {interpreter: trimmed}
  }
  const argument = trimmed.slice(split).replace(/^[ \t]+/, '')
  return {interpreter: trimmed.slice(0, split), argument: argument === '' ? undefined : argument}
}

// The program `env ARG` runs: options and NAME=VALUE assignments skipped, "-S" split.
// undefined when env runs nothing (it then prints the environment).
export function envCommand(argument: string | undefined): string | undefined {
  if (argument === undefined) return undefined
  let words: string[]
  if (/^-S[ \t]?|^--split-string[= \t]/.test(argument)) words = argument.replace(/^(-S|--split-string=?)[ \t]*/, '').split(/[ \t]+/)
  // Without -S the whole argument is one word, spaces included, as env receives it.
  else words = [argument]
  for (let i = 0; i < words.length; i++) {
    const word = words[i]
    if (word === '') continue
    if (word === '--') return words[i + 1]
    if (word === '-u' || word === '--unset' || word === '-C' || word === '--chdir') {
      i++
      continue
    }
    if (word.startsWith('-')) continue
    if (/^[^=/]+=/.test(word)) continue
    return word
  }
  return undefined
}

// What running a #! script execs, as the kernel and env(1) do: the interpreter (its path as
// written, relative to cwd), then for `#!/.../env NAME` NAME: a path, or looked up on PATH as env's
// execvp does. label says what the step is, for messages that start with the script's name. A
// NAME not on PATH comes with the lookup's error and the candidates tried.
export interface ScriptStep {
  name: string
  label: string
  path?: string
  lookup?: NsToolError
  searched?: string[]
}

export function scriptSteps(sysroot: Sysroot, shebang: Shebang, searchPath: string, cwd = '/'): ScriptStep[] {
  const {interpreter} = shebang
  const steps: ScriptStep[] = [{name: interpreter, label: `interpreter ${interpreter} (from its #! line)`, path: sysroot.normalize(interpreter, cwd)}]
  if (posix.basename(interpreter) !== 'env') return steps
  const name = envCommand(shebang.argument)
  if (name === undefined) return steps
  const label = `${name} (run by ${interpreter} from its #! line)`
  if (name.includes('/')) return [...steps, {name, label, path: sysroot.normalize(name, cwd)}]
  try {
    return [...steps, {name, label, path: findProgramIn(sysroot, name, searchPath)}]
  } catch (error) {
    if (!(error instanceof NsToolError)) throw error
    const searched = searchPath.split(':').filter((dir) => dir.startsWith('/')).map((dir) => posix.join(dir, name))
    return [...steps, {name, label, lookup: error, searched}]
  }
}

// The error of a step whose NAME is not on PATH, for the script `scriptLabel`.
export function scriptStepError(scriptLabel: string, step: ScriptStep): NsToolError {
  const reason = step.lookup!.message.startsWith(`${step.name}: `) ? step.lookup!.message.slice(step.name.length + 2) : step.lookup!.message
  return new NsToolError(`${scriptLabel}: ${step.label}: ${reason}`, step.lookup!.code)
}

// The PATH a root shell starts with inside a rootfs (Debian's /etc/profile for uid 0), which the
// helper gives a command whose environment has none.
export const ROOT_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export function defaultSearchPath(): string {
  return process.env.PATH || '/usr/local/bin:/usr/bin:/bin'
}

// A path the user typed, as an in-sysroot absolute path. Relative paths are relative to the
// current directory, which must then be inside the sysroot.
export function userPathInSysroot(sysroot: Sysroot, path: string): string | undefined {
  if (path.startsWith('/')) return sysroot.normalize(path)
  if (sysroot.isHost) return sysroot.normalize(path, process.cwd())
  return sysroot.fromHostPath(posix.resolve(process.cwd(), path))
}

// The in-sysroot path of a program: NAME looked up on PATH (execvp: the first executable regular
// file wins), or a path. Throws NsToolError naming NAME when there is no such program.
export function findProgramIn(sysroot: Sysroot, name: string, searchPath = defaultSearchPath()): string {
  if (name === '') throw new NsToolError('an empty program name was given')
  const where = sysroot.isHost ? '' : ` in ${sysroot.root}`
  if (name.includes('/')) {
    const path = userPathInSysroot(sysroot, name)
    if (!path) throw new NsToolError(`${name}: outside the sysroot ${sysroot.root} (give its path inside the sysroot, e.g. /usr/bin/${posix.basename(name)})`)
    checkExecutable(sysroot, name, path)
    return path
  }
  let rejected: {path: string; reason: string} | undefined
  for (const dir of searchPath.split(':')) {
    // An empty PATH element is the current directory, which has no meaning inside a sysroot.
    if (dir === '' || !dir.startsWith('/')) continue
    const candidate = posix.join(dir, name)
    try {
      const file = sysroot.file(candidate)
      if (!file) {
        if (!rejected && sysroot.isDirectory(candidate)) rejected = {path: candidate, reason: 'is a directory'}
        continue
      }
      if ((file.stats.mode & 0o111) === 0) {
        rejected ??= {path: candidate, reason: 'is not executable'}
        continue
      }
      return candidate
    } catch (error) {
      rejected ??= {path: candidate, reason: describeLookupFailure(error)}
    }
  }
  if (rejected) throw new NsToolError(`${name}: ${rejected.path}${where} ${rejected.reason}, and no other ${name} is on PATH (${searchPath})`)
  throw new NsToolError(`${name}: not found on PATH (${searchPath})${where}`, 'not-found')
}

function checkExecutable(sysroot: Sysroot, name: string, path: string): void {
  const where = sysroot.isHost ? '' : ` (in ${sysroot.root})`
  let file
  try {
    file = sysroot.file(path)
  } catch (error) {
    throw new NsToolError(`${name}: ${describeLookupFailure(error)}${where}`)
  }
  if (!file) {
    if (sysroot.isDirectory(path)) throw new NsToolError(`${name}: is a directory, not a program${where}`)
    throw new NsToolError(`${name}: no such file${where}`, 'not-found')
  }
  if ((file.stats.mode & 0o111) === 0) throw new NsToolError(`${name}: not executable (mode ${(file.stats.mode & 0o7777).toString(8).padStart(4, '0')}; chmod +x it if it is a program)${where}`)
}
