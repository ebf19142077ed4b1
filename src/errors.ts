// Errors that reach the user. Each has a message that names the thing at fault and, where there
// is one, the fix, and a code for the callers that must tell failures apart (they test the code,
// never the wording). Anything else escaping a command is a bug, reported as an internal error.

// failed: the operation was tried and failed (exit 1). not-found: a program, file or directory
// that was named does not exist. not-a-program: a file is neither an ELF file nor a #! script.
// usage: the command line's shape is wrong (an unknown flag, a missing argument, a value not
// among a flag's choices; exit 2, and the command's usage line follows the message). invalid: a
// value that cannot work (a --bind source that does not exist, a key of a --config file, an API
// option; exit 2). refused: a well-formed request that ns-tool will not
// carry out as given, such as building over / or into someone else's directory without --force
// (exit 2: the fix is a change to the command line).
export type ErrorCode = 'failed' | 'not-found' | 'not-a-program' | 'usage' | 'invalid' | 'refused'

const EXIT_STATUS: Record<ErrorCode, number> = {failed: 1, 'not-found': 1, 'not-a-program': 1, usage: 2, invalid: 2, refused: 2}

// bin/run.js's fast paths are bundles (dist/fast) holding their own copy of this module, and a
// bundle may load a rarely used module from dist/src, whose errors are built by dist/src's copy:
// an NsToolError of either copy is an NsToolError for both. (Its subclasses' instanceof stays
// plain: each is tested only by the code that throws it.)
const BRAND = Symbol.for('ns-tool.NsToolError')

export class NsToolError extends Error {
  readonly code: ErrorCode
  readonly exitCode: number
  readonly [BRAND] = true

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this !== NsToolError) return Function.prototype[Symbol.hasInstance].call(this, value)
    return typeof value === 'object' && value !== null && (value as {[BRAND]?: unknown})[BRAND] === true
  }

  // A number instead of a code is an exit status of the command's own (run's 126: COMMAND cannot
  // be executed), with the code failed.
  constructor(message: string, code: ErrorCode | number = 'failed', options?: {cause?: unknown}) {
    super(message, options)
    this.name = new.target.name
    this.code = typeof code === 'number' ? 'failed' : code
    this.exitCode = typeof code === 'number' ? code : EXIT_STATUS[code]
  }
}

// Bad usage (exit 2): a value that can never work, the command line's shape (code usage), or a
// request that needs another flag or another path (code refused).
export class UsageError extends NsToolError {
  constructor(message: string, code: 'usage' | 'invalid' | 'refused' = 'invalid') {
    super(message, code)
  }
}

// Whether an error is ns-tool's, with this code.
export function hasCode(error: unknown, code: ErrorCode): error is NsToolError {
  return error instanceof NsToolError && error.code === code
}

const LOOKUP_FAILURES: Record<string, string> = {
  ENOENT: 'no such file',
  ENOTDIR: 'a component of the path is not a directory',
  ELOOP: 'symlink loop (too many levels of symbolic links)',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
}

// A failed file lookup (a node error or a sysroot lookup, by its errno code) in the words every
// message uses; anything else by its own message.
export function describeLookupFailure(error: unknown): string {
  const code = (error as {code?: unknown} | undefined)?.code
  if (typeof code === 'string' && Object.hasOwn(LOOKUP_FAILURES, code)) return LOOKUP_FAILURES[code]
  return error instanceof Error ? error.message : String(error)
}
