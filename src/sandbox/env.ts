// COMMAND's environment, as in containers: clean (PATH, which the helper sets, HOME, HOSTNAME, and
// TERM when COMMAND has a terminal), then the variables of --env-file, then those of -e; with
// envHost, the caller's whole environment instead of the clean one.
import {readFileSync} from 'node:fs'
import {isatty} from 'node:tty'
import {RUN, splitVariable} from '../cli/options/run.js'
import {describeLookupFailure, UsageError} from '../errors.js'
import type {RunSpec} from './spec.js'

// The variables to set; with envHost, on top of the caller's environment (else on an empty one).
export function commandEnvironment(spec: RunSpec): Record<string, string> {
  const base = spec.envHost ? {} : cleanEnvironment(spec)
  return {...base, ...Object.assign({}, ...(spec.envFile ?? []).map(readEnvFile)), ...spec.env}
}

function cleanEnvironment(spec: RunSpec): Record<string, string> {
  // HOME: docker's choice for a user the tree's /etc/passwd may not list.
  const env: Record<string, string> = {HOME: (spec.user?.uid ?? 0) === 0 ? '/root' : '/', HOSTNAME: spec.hostname ?? RUN.flags.hostname.default}
  // COMMAND writes to a terminal: its own pty, or the caller's when it has none.
  if (spec.pty === true || (spec.pty !== false && isatty(0) && isatty(1)) || isatty(1)) env.TERM = process.env.TERM || 'xterm'
  return env
}

// `KEY=VALUE` (the value verbatim, quotes included) or `KEY` (the caller's value, if it has one),
// as docker's --env-file reads them: one a line, blank lines and `#` comments skipped.
export function readEnvFile(path: string): Record<string, string> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch (error) {
    throw new UsageError(`--env-file ${path}: cannot read it (${describeLookupFailure(error)})`)
  }
  const env: Record<string, string> = {}
  text.split('\n').forEach((raw, index) => {
    const line = raw.replace(/\r$/, '').trimStart()
    if (line === '' || line.startsWith('#')) return
    const [key, value] = splitVariable(line)
    if (key === undefined) throw new UsageError(`--env-file ${path}, line ${index + 1}: "${line.split('=')[0]}" is not a variable name (KEY=VALUE or KEY)`)
    if (value !== undefined) env[key] = value
  })
  return env
}
