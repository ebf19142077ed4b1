// The one renderer of errors, for every entry point (bin/run.js's fast paths, the oclif commands,
// the not-found hook and help): `ns-tool COMMAND: what went wrong (the fix)` on stderr, then for a
// mistake in the command line the command's usage line; never a stack trace unless NS_TOOL_DEBUG=1.
// Returns the exit status: 2 for bad usage, the command's failed status (1; run: 125) otherwise.
import {NsToolError} from '../errors.js'

export interface Reporting {
  // The command's name and usage (without `ns-tool `), when the error is a command's.
  command?: string
  usage?: string
  failedStatus?: number
}

export function reportError(error: unknown, context: Reporting = {}): number {
  const prefix = context.command ? `ns-tool ${context.command}: ` : 'ns-tool: '
  const known = error instanceof NsToolError
  const message = error instanceof Error ? error.message : String(error)
  // Each line of a message that has several (one missing library a line) names the command too.
  const lines = (known ? message : `internal error: ${message} (NS_TOOL_DEBUG=1 shows where)`).split('\n').map((line) => prefix + line)
  if (known && error.code === 'usage' && context.usage) lines.push(`usage: ns-tool ${context.usage}  (ns-tool help ${context.command} for more)`)
  if (process.env.NS_TOOL_DEBUG && error instanceof Error && error.stack) lines.push(error.stack)
  process.stderr.write(lines.join('\n') + '\n')
  if (known && error.exitCode !== 1) return error.exitCode
  return context.failedStatus ?? 1
}
