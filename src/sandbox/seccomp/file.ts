// `--seccomp FILE`: a profile in the OCI / Docker JSON format (or a bundle's config.json, whose
// linux.seccomp is used), checked against the subset ns-tool compiles; errors name the key at fault.
import {readFileSync} from 'node:fs'
import {constants} from 'node:os'
import {UsageError} from '../../errors.js'
import {ACTIONS, OPERATORS, type DockerSeccomp} from './profile.js'

const names = {type: 'array', items: {type: 'string', minLength: 1}}
const conditions = {type: 'object', additionalProperties: false, properties: {arches: names, caps: names, minKernel: {type: 'string', pattern: '^\\d+(\\.\\d+)*$'}}}
const u64 = {type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER}
const errno = {type: 'integer', minimum: 0, maximum: 4095}
// containers-common's profiles name the errno too ("errno": "EPERM"); errnoRet wins when both are given.
const errnoName = {enum: Object.keys(constants.errno)}

// What ns-tool compiles. Not supported: SCMP_ACT_TRACE and SCMP_ACT_NOTIFY (no tracer or agent
// listens), filter flags, listener paths.
export const PROFILE_SCHEMA = {
  type: 'object',
  required: ['defaultAction'],
  additionalProperties: false,
  properties: {
    defaultAction: {enum: ACTIONS},
    defaultErrnoRet: errno,
    defaultErrno: errnoName,
    architectures: names,
    archMap: {type: 'array', items: {type: 'object', required: ['architecture'], additionalProperties: false, properties: {architecture: {type: 'string'}, subArchitectures: names}}},
    flags: {type: 'array', maxItems: 0},
    comment: {type: 'string'},
    syscalls: {
      type: 'array',
      items: {
        type: 'object',
        required: ['action'],
        additionalProperties: false,
        properties: {
          names, name: {type: 'string', minLength: 1}, action: {enum: ACTIONS}, errnoRet: errno, errno: errnoName, comment: {type: 'string'},
          includes: conditions, excludes: conditions,
          args: {type: ['array', 'null'], items: {type: 'object', required: ['index', 'value', 'op'], additionalProperties: false, properties: {index: {type: 'integer', minimum: 0, maximum: 5}, value: u64, valueTwo: u64, op: {enum: OPERATORS}}}},
        },
      },
    },
  },
} as const

type Validator = ((data: unknown) => boolean) & {errors?: Array<{instancePath: string; message?: string; params: Record<string, unknown>; keyword: string}> | null}

export async function loadProfileFile(file: string): Promise<DockerSeccomp> {
  let value: unknown
  try {
    value = JSON.parse(readFileSync(file, 'utf8'))
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new UsageError(`--seccomp ${file}: ${code ? `cannot read it (${code})` : `not valid JSON (${(error as Error).message.split('\n')[0]})`}; give default, unconfined, or a profile in the OCI/Docker JSON format`)
  }
  const bundle = (value as {linux?: {seccomp?: unknown}} | null)?.linux?.seccomp
  if (bundle !== undefined) value = bundle
  const {default: Ajv} = (await import('ajv')) as unknown as {default: new (options: object) => {compile(schema: object): Validator}}
  const validate = new Ajv({allErrors: false, allowUnionTypes: true}).compile(PROFILE_SCHEMA)
  if (!validate(value)) {
    const error = validate.errors![0]
    const key = error.keyword === 'additionalProperties' ? `${error.instancePath}/${String(error.params.additionalProperty)}` : error.instancePath || '(the whole file)'
    const expected = error.keyword === 'additionalProperties' ? 'not supported' : error.keyword === 'enum' ? `one of ${(error.params.allowedValues as string[]).join(', ')}` : error.message
    throw new UsageError(`--seccomp ${file}: ${key}: ${expected} (docs/run.md: "What the sandbox refuses" lists the format ns-tool reads)`)
  }
  const profile = value as DockerSeccomp & {defaultErrno?: keyof typeof constants.errno}
  profile.defaultErrnoRet ??= profile.defaultErrno && constants.errno[profile.defaultErrno]
  for (const rule of profile.syscalls ?? []) {
    const named = (rule as {errno?: keyof typeof constants.errno}).errno
    rule.errnoRet ??= named && constants.errno[named]
  }
  if (profile.architectures && profile.archMap) throw new UsageError(`--seccomp ${file}: both architectures and archMap are given; use one`)
  profile.syscalls?.forEach((rule, i) => {
    if (rule.name && rule.names) throw new UsageError(`--seccomp ${file}: /syscalls/${i}: both name and names are given; use one`)
    if (!rule.name && !rule.names) throw new UsageError(`--seccomp ${file}: /syscalls/${i}: no names`)
  })
  return profile
}
