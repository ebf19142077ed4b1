// --config FILE: a command's options as JSON or YAML, checked against a schema derived from its
// option table; errors name the file, the key and what was expected. Relative paths in the file
// are relative to the file. Flags given on the command line win.
import {readFileSync} from 'node:fs'
import {dirname, isAbsolute, resolve} from 'node:path'
import {UsageError} from '../errors.js'
import type {Flag, OptionTable} from '../options/index.js'
import type {Parsed} from './argv.js'

// Keys are the long flag names; a positional list has its own key (build-rootfs's `programs`).
export function configSchema(table: OptionTable): object {
  const properties: Record<string, object> = {}
  for (const [name, flag] of Object.entries(table.flags)) if (flag.config !== false) properties[name] = flagSchema(flag)
  for (const arg of Object.values(table.args)) if (arg.configKey) properties[arg.configKey] = {type: 'array', items: {type: 'string', minLength: 1}}
  return {type: 'object', additionalProperties: false, properties}
}

function flagSchema(flag: Flag): object {
  if (flag.type === 'boolean') return {type: 'boolean'}
  const one = flag.choices ? {enum: flag.choices} : {type: 'string', minLength: 1}
  if (flag.multiple) return {type: 'array', items: one}
  // A flag whose value may be left out: true is the bare flag, false its absence.
  if (flag.optionalValue) return {type: ['string', 'boolean']}
  return one
}

export async function loadConfig(table: OptionTable, file: string): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (error) {
    throw new UsageError(`--config ${file}: cannot read it (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`)
  }
  let value: unknown
  try {
    if (/\.json$/i.test(file) || /^\s*[{[]/.test(text)) value = JSON.parse(text)
    else value = (await import('yaml')).parse(text)
  } catch (error) {
    throw new UsageError(`--config ${file}: not valid ${/\.json$/i.test(file) ? 'JSON' : 'JSON or YAML'} (${(error as Error).message.split('\n')[0]})`)
  }
  const {default: Ajv} = (await import('ajv')) as unknown as {default: new (options: object) => {compile(schema: object): ((data: unknown) => boolean) & {errors?: Array<{instancePath: string; message?: string; params: Record<string, unknown>; keyword: string}> | null}}}
  const validate = new Ajv({allErrors: false, allowUnionTypes: true}).compile(configSchema(table))
  if (!validate(value)) {
    const error = validate.errors![0]
    const lists = Object.values(table.args).flatMap((arg) => (arg.configKey ? [`"${arg.configKey}"`] : []))
    const key = error.keyword === 'additionalProperties' ? `/${String(error.params.additionalProperty)}` : error.instancePath || '(the whole file)'
    const expected = error.keyword === 'additionalProperties' ? `no such option (keys are ${table.id}'s long flag names${lists.length ? `, and ${lists.join(', ')}` : ''})` : error.keyword === 'enum' ? `one of ${(error.params.allowedValues as string[]).join(', ')}` : error.message
    throw new UsageError(`--config ${file}: ${key}: ${expected}`)
  }
  return value as Record<string, unknown>
}

// The command line's values with the file's under them: a flag given on the command line wins;
// the file's positionals come first, then the command line's.
export async function withConfig<T extends OptionTable>(table: T, parsed: Parsed<T>, file: string): Promise<Parsed<T>> {
  const config = await loadConfig(table, file)
  const base = dirname(file)
  const flags: Record<string, unknown> = {...parsed.flags}
  for (const [name, flag] of Object.entries(table.flags)) {
    const value = config[name]
    if (value === undefined || parsed.given.has(name)) continue
    if (flag.optionalValue && typeof value === 'boolean') flags[name] = value ? '' : undefined
    else flags[name] = Array.isArray(value) ? value.map((one) => relative(base, flag, one)) : relative(base, flag, value)
  }
  const listed = Object.values(table.args).flatMap((arg) => (arg.configKey ? ((config[arg.configKey] as string[] | undefined) ?? []) : []))
  // A program given as a path (it has a /) is relative to the file; a name is looked up on PATH.
  const args = [...listed.map((word) => (word.includes('/') && !isAbsolute(word) ? resolve(base, word) : word)), ...parsed.args]
  return {...parsed, flags: flags as Parsed<T>['flags'], args}
}

function relative(base: string, flag: Flag, value: unknown): unknown {
  if (typeof value !== 'string' || !flag.path || flag.words?.includes(value)) return value
  if (flag.path === 'whole') return isAbsolute(value) ? value : resolve(base, value)
  // SRC[:DEST]: only SRC is a path on this machine.
  const colon = value.indexOf(':')
  const source = colon < 0 ? value : value.slice(0, colon)
  const resolved = isAbsolute(source) ? source : resolve(base, source)
  return colon < 0 ? resolved : `${resolved}${value.slice(colon)}`
}
