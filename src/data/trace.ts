// --trace 'COMMAND LINE': the command runs with /bin/sh -c in the helper's sandbox, which sees the
// host read-only but for /tmp and the working directory (the host's, each under a throw-away
// writable layer), in the environment run gives (clean; -e and --env-file on top); every host path
// it and its descendants opened, executed, stat-ed or listed is kept, with what it was used as.
import {readFileSync} from 'node:fs'
import {constants} from 'node:os'
import {posix} from 'node:path'
import {DATA_FLAGS} from '../options/build-rootfs.js'
import {NsToolError} from '../errors.js'
import {helperPath} from '../helper/locate.js'
import {commandEnvironment} from '../environment/index.js'

export const DEFAULT_TRACE_TIMEOUT = Number(DATA_FLAGS['trace-timeout'].default)
// What the sandbox has of its own, not the host's: nothing there belongs in a tree (/tmp: what the
// command wrote there is in the throw-away layer, what it read is scratch of the host's).
const PRIVATE_DIRS = ['/proc', '/sys', '/dev', '/tmp', '/run']
// What a tree has of its own (the loader's cache, its users): never the host's copy.
const TREE_OWN = new Set(['/etc/ld.so.cache', '/etc/passwd', '/etc/group', '/etc/shadow', '/etc/gshadow'])
// The helper's exit status when the time was up.
const TIMED_OUT = 124

export type TraceUse = 'exec' | 'open' | 'list' | 'stat'

export interface TraceResult {
  command: string
  // Host paths (absolute, normalized, outside the sandbox's private directories), each with its
  // strongest use (exec > open > list > stat).
  paths: Map<string, TraceUse>
  status: number
}

export interface TraceOptions {
  timeout?: number
  // Where the command's own output goes (default: ns-tool's stderr, keeping stdout for --json).
  output?: 'inherit' | 'ignore'
  // Variables set over the clean environment, as run's -e and --env-file.
  env?: Record<string, string>
  envFile?: string[]
}

const RANK: Record<TraceUse, number> = {exec: 0, open: 1, list: 2, stat: 3}

// The helper's writable layers: /tmp, and the working directory unless it is / or below /tmp. An
// overlay shows one filesystem: a directory with mounts below it stays read-only instead, so that
// the trace sees them.
function overlays(cwd: string): string[] {
  const points = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((line) => line.split(' ')[4]).filter(Boolean)
  const dirs = ['/tmp']
  if (cwd !== '/' && cwd !== '/tmp' && !cwd.startsWith('/tmp/')) dirs.push(cwd)
  return dirs.filter((dir) => !points.some((point) => point.startsWith(`${dir}/`))).flatMap((dir) => ['--overlay', dir])
}

// Runs the command line; throws NsToolError when the sandbox could not start it or the time ran out.
export async function traceCommand(command: string, options: TraceOptions = {}): Promise<TraceResult> {
  const timeout = options.timeout ?? DEFAULT_TRACE_TIMEOUT
  // run's environment, so that the trace opens what a run of the tree will (the helper adds PATH).
  const env = await commandEnvironment({env: options.env, envFile: options.envFile})
  const setenv = Object.entries(env).flatMap(([key, value]) => ['--setenv', key, value])
  const cwd = process.cwd()
  // The helper's own argv (not run's spec: the traced view and its layers are all this needs); a
  // user namespace when not root, as run's userns auto.
  const userns = process.getuid?.() === 0 ? [] : ['--userns']
  const argv = ['--trace', '3', '--trace-timeout', String(timeout), ...userns, '--clearenv', ...setenv, ...overlays(cwd), '--chdir', cwd, '--no-pty', '--', '/', '/bin/sh', '-c', command]
  const out = options.output === 'ignore' ? 'ignore' : process.stderr
  // Loaded here: a build that traces nothing does not pay for child_process (~2.5 ms).
  const {spawn} = await import('node:child_process')
  const child = spawn(helperPath(), argv, {stdio: ['ignore', out, 'pipe', 'pipe']})
  const chunks: Buffer[] = []
  let stderr = ''
  child.stdio[3]!.on('data', (chunk: Buffer) => chunks.push(chunk))
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    if (out !== 'ignore') process.stderr.write(chunk)
  })
  const ended = await new Promise<{code: number | null; signal: NodeJS.Signals | null}>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve({code, signal}))
  })
  const status = ended.code ?? 128 + (ended.signal ? constants.signals[ended.signal] : 0)
  const records = Buffer.concat(chunks).toString('utf8').split('\0')
  const end = records.length >= 3 ? records[records.length - 3] : undefined
  if (end === 'timeout' || (status === TIMED_OUT && end !== 'exit')) {
    throw new NsToolError(`--trace '${command}': still running after ${timeout} s, killed (give it longer with --trace-timeout SECONDS)`)
  }
  if (end !== 'exit') {
    const said = stderr.trim().split('\n').filter((line) => line.startsWith('ns-tool-helper:')).pop()?.replace(/^ns-tool-helper: /, '')
    const why = said ?? (ended.signal ? `the helper was killed by ${ended.signal}, status ${status}` : `the helper exited with status ${status}`)
    throw new NsToolError(`--trace '${command}': the traced sandbox could not run it (${why})`)
  }
  return {command, paths: tracedPaths(records.slice(0, -3)), status}
}

// "KIND\0PATH\0" records -> host paths, each with its strongest use.
export function tracedPaths(records: string[]): Map<string, TraceUse> {
  const paths = new Map<string, TraceUse>()
  for (let i = 0; i + 1 < records.length; i += 2) {
    const use = records[i] as TraceUse
    if (!(use in RANK) || !records[i + 1].startsWith('/')) continue
    const path = posix.normalize(records[i + 1]).replace(/(.)\/$/, '$1')
    if (path === '/' || TREE_OWN.has(path) || PRIVATE_DIRS.some((dir) => path === dir || path.startsWith(dir + '/'))) continue
    const known = paths.get(path)
    if (known === undefined || RANK[use] < RANK[known]) paths.set(path, use)
  }
  return paths
}
