// How a build that cannot finish ends: interrupted (its AbortSignal fired) or failed on a system
// error, it says so in one line naming the path and errno, and the output is left as it was.
import {constants} from 'node:os'
import {dirname} from 'node:path'
import {NsToolError} from '../../errors.js'

// The signal names the CLI aborts with, and their numbers (exit status 128+N).
function signalNumber(reason: unknown): number {
  return typeof reason === 'string' ? (constants.signals as Record<string, number>)[reason] ?? 2 : 2
}

// The build was stopped before its switch: the staging tree is gone, the output unchanged.
export class InterruptedError extends NsToolError {
  constructor(output: string, reason: unknown) {
    super(`interrupted; ${output} is unchanged`, 128 + signalNumber(reason))
  }
}

export function checkAborted(output: string, signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new InterruptedError(output, signal.reason)
}

const REASONS: Record<string, string> = {
  ENOSPC: 'no space left on device',
  EDQUOT: 'disk quota exceeded',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  EIO: 'input/output error',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
  EXDEV: 'not on the same file system',
}

// A system error met while writing the staging tree, as one line: the path (in the output's terms,
// not the staging directory's), the errno, and that the output is unchanged.
export function writeFailure(error: unknown, staging: string, output: string): Error {
  if (error instanceof NsToolError) return error
  const errno = error as NodeJS.ErrnoException & {dest?: string}
  if (typeof errno?.code !== 'string' || !/^E[A-Z0-9]+$/.test(errno.code)) return error as Error
  // A stream's error names its call only in the message ("ENOSPC: no space left on device, write").
  const syscall = errno.syscall ?? /^E[A-Z0-9]+: [^,]*, (\w+)/.exec(errno.message)?.[1] ?? 'write'
  const inOutput = (path: string) => (path.startsWith(staging) ? output + path.slice(staging.length) : path)
  // Writing fails at the destination; reading (EACCES on a source) at the source.
  const full = errno.code === 'ENOSPC' || errno.code === 'EDQUOT' || errno.code === 'EROFS'
  const path = errno.dest && (full || errno.path === undefined) ? errno.dest : errno.path
  const where = path ? inOutput(path) : output
  const reason = REASONS[errno.code] ?? errno.message.replace(/^[A-Z]+: /, '').split(',')[0]
  return new NsToolError(`${where}: ${syscall} failed (${errno.code}: ${reason}); ${output} is unchanged`)
}

// Why a build cannot create its lock (or staging tree) beside the output: one line naming the
// directory and the errno.
export function parentError(output: string, error: unknown): Error {
  const code = (error as NodeJS.ErrnoException).code
  if (!code) return error as Error
  const parent = dirname(output)
  const reason = code === 'EACCES' || code === 'EPERM' ? 'permission denied' : code === 'EROFS' ? 'read-only file system' : code === 'ENOSPC' ? 'no space left on device' : code === 'ENOTDIR' ? 'a component is not a directory' : code.toLowerCase()
  return new NsToolError(`--output ${output}: cannot write in ${parent} (${code}: ${reason}); choose an output in a directory you may write`)
}
