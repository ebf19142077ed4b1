// --config FILE for build-rootfs: the same options as the flags, as JSON or YAML, checked against
// a schema; errors name the file, the key and what was expected.
import {readFileSync} from 'node:fs'
import {UsageError} from '../errors.js'

// Keys are the long flag names of build-rootfs; `programs` is the positional list.
export interface BuildConfig {
  programs?: string[]
  output?: string
  file?: string[]
  layout?: 'host' | 'flat'
  resolver?: 'elf' | 'ldd'
  sysroot?: string
  base?: string
  busybox?: string | boolean
  'copy-mode'?: 'auto' | 'copy' | 'reflink' | 'hardlink'
  clean?: boolean
  force?: boolean
  'dry-run'?: boolean
  json?: boolean
  'allow-missing'?: boolean
  skeleton?: boolean
  'keep-setuid'?: boolean
  quiet?: boolean
}

const strings = {type: 'array', items: {type: 'string', minLength: 1}}
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    programs: strings,
    output: {type: 'string', minLength: 1},
    file: strings,
    layout: {enum: ['host', 'flat']},
    resolver: {enum: ['elf', 'ldd']},
    sysroot: {type: 'string', minLength: 1},
    base: {type: 'string', minLength: 1},
    busybox: {type: ['string', 'boolean']},
    'copy-mode': {enum: ['auto', 'copy', 'reflink', 'hardlink']},
    clean: {type: 'boolean'},
    force: {type: 'boolean'},
    'dry-run': {type: 'boolean'},
    json: {type: 'boolean'},
    'allow-missing': {type: 'boolean'},
    skeleton: {type: 'boolean'},
    'keep-setuid': {type: 'boolean'},
    quiet: {type: 'boolean'},
  },
} as const

export async function loadConfig(file: string): Promise<BuildConfig> {
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
  const validate = new Ajv({allErrors: false, allowUnionTypes: true}).compile(CONFIG_SCHEMA)
  if (!validate(value)) {
    const error = validate.errors![0]
    const key = error.keyword === 'additionalProperties' ? `/${String(error.params.additionalProperty)}` : error.instancePath || '(the whole file)'
    const expected = error.keyword === 'additionalProperties' ? 'no such option (keys are build-rootfs\'s long flag names, and "programs")' : error.keyword === 'enum' ? `one of ${(error.params.allowedValues as string[]).join(', ')}` : error.message
    throw new UsageError(`--config ${file}: ${key}: ${expected}`)
  }
  return value as BuildConfig
}

// Flags given on the command line win over the file; the file's programs come first, then the
// command line's.
export function mergeConfig<T extends Record<string, unknown>>(config: BuildConfig, flags: T, explicit: (name: string) => boolean, programs: string[]): {flags: T; programs: string[]} {
  const merged: Record<string, unknown> = {...flags}
  for (const [key, value] of Object.entries(config)) {
    if (key === 'programs') continue
    if (!explicit(key)) merged[key] = key === 'busybox' && value === true ? '' : value === false && key === 'busybox' ? undefined : value
  }
  return {flags: merged as T, programs: [...(config.programs ?? []), ...programs]}
}
