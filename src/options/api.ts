// A table's options as the library takes them: flags under their API names, converted (toApi),
// with their defaults. The API's own calls are checked against the same table: an unknown name
// (`layot`) or a value of the wrong shape is a UsageError naming the function and the option;
// absent options get the table's defaults, so the library sees the same values as the command line.
import {UsageError} from '../errors.js'
import {didYouMean} from '../suggest.js'
import type {ApiType, Flag, OptionTable} from './index.js'

type Shape = ApiType | {oneOf: readonly string[]}

function shapes(table: OptionTable): Map<string, {shape: Shape; required: boolean}> {
  const known = new Map<string, {shape: Shape; required: boolean}>()
  for (const [name, flag] of Object.entries(table.flags)) {
    const key = apiName(name, flag)
    if (key === undefined) continue
    const shape: Shape = flag.apiType ?? (flag.type === 'boolean' ? 'boolean' : flag.multiple ? 'string[]' : flag.choices ? {oneOf: flag.choices} : 'string')
    known.set(key, {shape, required: Boolean(flag.required)})
  }
  for (const arg of Object.values(table.args)) if (arg.api) known.set(arg.api, {shape: 'string', required: Boolean(arg.required)})
  for (const [key, shape] of Object.entries(table.api ?? {})) known.set(key, {shape, required: false})
  return known
}

const CHECKS: Record<ApiType, [(value: unknown) => boolean, string]> = {
  string: [(v) => typeof v === 'string', 'a string'],
  boolean: [(v) => typeof v === 'boolean', 'true or false'],
  number: [(v) => typeof v === 'number' && Number.isFinite(v), 'a number'],
  function: [(v) => typeof v === 'function', 'a function'],
  'abort-signal': [(v) => v instanceof AbortSignal, 'an AbortSignal'],
  'string[]': [(v) => Array.isArray(v) && v.every((item) => typeof item === 'string'), 'an array of strings'],
  'string|boolean': [(v) => typeof v === 'string' || typeof v === 'boolean', 'a string or a boolean'],
  record: [(v) => typeof v === 'object' && v !== null && !Array.isArray(v) && Object.values(v).every((item) => typeof item === 'string'), 'an object of strings'],
  binds: [(v) => Array.isArray(v) && v.every((bind) => typeof bind?.source === 'string' && typeof bind?.dest === 'string'), 'an array of {source, dest, readOnly?}'],
  user: [(v) => typeof v === 'object' && v !== null && Number.isInteger((v as {uid?: unknown}).uid) && Number.isInteger((v as {gid?: unknown}).gid), 'a {uid, gid} object'],
}

// The options with the table's defaults filled in; throws UsageError for anything the table does
// not allow.
export function checkApiOptions<O extends object>(table: OptionTable, options: O | undefined, fn = table.apiName ?? table.id): O {
  if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) throw new UsageError(`${fn}(): options must be an object`)
  const known = shapes(table)
  const given = (options ?? {}) as Record<string, unknown>
  for (const [key, value] of Object.entries(given)) {
    const entry = known.get(key)
    if (!entry) throw new UsageError(`${fn}(): unknown option ${key}${didYouMean(key, known.keys())}`)
    if (value === undefined) continue
    const {shape} = entry
    if (typeof shape === 'object') {
      if (!shape.oneOf.includes(value as string)) throw new UsageError(`${fn}(): option ${key} must be one of ${shape.oneOf.join(', ')} (got ${JSON.stringify(value)})${typeof value === 'string' ? didYouMean(value, shape.oneOf) : ''}`)
    } else if (!CHECKS[shape][0](value)) {
      throw new UsageError(`${fn}(): option ${key} must be ${CHECKS[shape][1]} (got ${JSON.stringify(value) ?? typeof value})`)
    }
  }
  for (const [key, entry] of known) if (entry.required && given[key] === undefined) throw new UsageError(`${fn}(): option ${key} is required`)
  return {...apiDefaults(table), ...Object.fromEntries(Object.entries(given).filter(([, value]) => value !== undefined))} as O
}

// `copy-mode` -> `copyMode`
export function camelCase(name: string): string {
  return name.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase())
}

export function apiName(name: string, flag: Flag): string | undefined {
  return flag.api === false ? undefined : (flag.api ?? camelCase(name))
}

// The defaults of a table by flag name (command line) or by API name.
export function flagDefaults(table: OptionTable): Record<string, string | boolean> {
  const defaults: Record<string, string | boolean> = {}
  for (const [name, flag] of Object.entries(table.flags)) if (flag.default !== undefined) defaults[name] = flag.default
  return defaults
}

export function apiDefaults(table: OptionTable): Record<string, unknown> {
  return toApiOptions(table, flagDefaults(table))
}

// Parsed command-line values -> the API's options (renamed, converted by toApi).
export function toApiOptions(table: OptionTable, values: Record<string, unknown>): Record<string, unknown> {
  const options: Record<string, unknown> = {}
  for (const [name, flag] of Object.entries(table.flags)) {
    const key = apiName(name, flag)
    if (key === undefined || values[name] === undefined) continue
    options[key] = flag.toApi ? flag.toApi(values[name] as never) : values[name]
  }
  return options
}
