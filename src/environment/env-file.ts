// --env-file: docker's format (KEY=VALUE or KEY a line, # comments), read only when the flag is
// given, off run's common path.
import {readFileSync} from 'node:fs'
import {splitVariable} from '../options/run.js'
import {describeLookupFailure, UsageError} from '../errors.js'

// Every file's variables, a later file winning.
export function readEnvFiles(paths: string[]): Record<string, string> {
  return Object.assign({}, ...paths.map(readEnvFile))
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
