// The one place that turns an error into what the user sees: `ns-tool COMMAND: what went wrong
// (the fix)` on stderr and the exit status; a stack trace only with NS_TOOL_DEBUG=1.
import {NsToolError} from '../errors.js'

export function reportError(command: string | undefined, error: unknown): number {
  const prefix = command ? `ns-tool ${command}: ` : 'ns-tool: '
  const known = error instanceof NsToolError
  const message = error instanceof Error ? error.message : String(error)
  process.stderr.write(`${prefix}${known ? message : `internal error: ${message} (set NS_TOOL_DEBUG=1 for details)`}\n`)
  if (process.env.NS_TOOL_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`)
  return known ? error.exitCode : 1
}
