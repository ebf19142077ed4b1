// --trace 'COMMAND LINE': the command runs with /bin/sh -c in the helper's sandbox, which sees the
// host read-only (a private writable /tmp is HOME and the working directory); every host path it
// and its descendants opened, executed, stat-ed or listed is kept, with what it was used as.
import {posix} from 'node:path'
import {DATA_FLAGS} from '../options/build-rootfs.js'
import {NsToolError} from '../errors.js'
import {helperPath} from '../helper/locate.js'

export const DEFAULT_TRACE_TIMEOUT = Number(DATA_FLAGS['trace-timeout'].default)
// What the sandbox has of its own, not the host's: nothing there belongs in a tree.
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
}

const RANK: Record<TraceUse, number> = {exec: 0, open: 1, list: 2, stat: 3}

// Runs the command line; throws NsToolError when the sandbox could not start it or the time ran out.
export async function traceCommand(command: string, options: TraceOptions = {}): Promise<TraceResult> {
  const timeout = options.timeout ?? DEFAULT_TRACE_TIMEOUT
  // The caller's environment (the command runs as it would in their shell), but a home of its own.
  const env = {...process.env, HOME: '/tmp', PWD: '/tmp', TMPDIR: '/tmp'}
  // The helper's own argv (not run's spec: the traced view, its private /tmp and the caller's
  // environment are all this needs); a user namespace when not root, as run's userns auto.
  const userns = process.getuid?.() === 0 ? [] : ['--userns']
  const argv = ['--trace', '3', '--trace-timeout', String(timeout), ...userns, '--chdir', '/tmp', '--tmpfs', '/tmp', '--no-pty', '--', '/', '/bin/sh', '-c', command]
  const out = options.output === 'ignore' ? 'ignore' : process.stderr
  // Loaded here: a build that traces nothing does not pay for child_process (~2.5 ms).
  const {spawn} = await import('node:child_process')
  const child = spawn(helperPath(), argv, {stdio: ['ignore', out, 'pipe', 'pipe'], env})
  const chunks: Buffer[] = []
  let stderr = ''
  child.stdio[3]!.on('data', (chunk: Buffer) => chunks.push(chunk))
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
    if (out !== 'ignore') process.stderr.write(chunk)
  })
  const status = await new Promise<number>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code, signal) => resolve(code ?? 128 + (signal ? 9 : 0)))
  })
  const records = Buffer.concat(chunks).toString('utf8').split('\0')
  const end = records.length >= 3 ? records[records.length - 3] : undefined
  if (end === 'timeout' || (status === TIMED_OUT && end !== 'exit')) {
    throw new NsToolError(`--trace '${command}': still running after ${timeout} s, killed (give it longer with --trace-timeout SECONDS)`)
  }
  if (end !== 'exit') {
    const why = stderr.trim().split('\n').filter((line) => line.startsWith('ns-tool-helper:')).pop() ?? `the helper exited with status ${status}`
    throw new NsToolError(`--trace '${command}': the traced sandbox could not run it (${why.replace(/^ns-tool-helper: /, '')})`)
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
