// run's command line without oclif: which words are flags (and which take a value), where ROOTFS
// is, where COMMAND starts, and the values of -e, --bind and --user. bin/run.js uses it to put `--`
// before COMMAND (oclif looks for --help anywhere before a `--`) and to start `run` without oclif.
import {statSync} from 'node:fs'
import {UsageError} from '../errors.js'
import type {Bind, RunSpec} from '../sandbox/spec.js'

// `--bind SRC:DEST[:ro]`
export function parseBind(value: string): Bind {
  const parts = value.split(':')
  const readOnly = parts.length === 3 && parts[2] === 'ro'
  if (parts.length < 2 || parts.length > 3 || (parts.length === 3 && !readOnly) || !parts[0] || !parts[1]) {
    throw new UsageError(`--bind ${value}: expected SRC:DEST or SRC:DEST:ro`)
  }
  if (!parts[1].startsWith('/')) throw new UsageError(`--bind ${value}: DEST must be an absolute path inside the rootfs`)
  if (!statSync(parts[0], {throwIfNoEntry: false})) throw new UsageError(`--bind ${value}: ${parts[0]} does not exist`)
  return {source: parts[0], dest: parts[1], readOnly}
}

// `-e KEY=VALUE`
export function parseEnv(values: string[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const value of values) {
    const eq = value.indexOf('=')
    if (eq <= 0) throw new UsageError(`--env ${value}: expected KEY=VALUE`)
    env[value.slice(0, eq)] = value.slice(eq + 1)
  }
  return env
}

// `--user UID[:GID]`
export function parseUser(value: string): {uid: number; gid: number} {
  const match = /^(\d+)(?::(\d+))?$/.exec(value)
  if (!match) throw new UsageError(`--user ${value}: expected numeric UID or UID:GID`)
  const uid = Number(match[1])
  return {uid, gid: match[2] === undefined ? uid : Number(match[2])}
}


interface FlagShape {
  value: boolean
  char?: string
  multiple?: boolean
  allowNo?: boolean
  options?: string[]
}

// Must match commands/run.ts (a test checks that they agree).
export const RUN_FLAGS: Record<string, FlagShape> = {
  userns: {value: true, options: ['auto', 'always', 'never']},
  net: {value: true, options: ['none', 'host']},
  hostname: {value: true},
  env: {value: true, char: 'e', multiple: true},
  'clear-env': {value: false},
  workdir: {value: true, char: 'w'},
  user: {value: true},
  bind: {value: true, multiple: true},
  tmpfs: {value: true, multiple: true},
  'read-only': {value: false},
  ephemeral: {value: false},
  init: {value: false},
  pty: {value: false, allowNo: true},
}

export interface SplitArgv {
  // Flags as `--name=value` or `--name` words, in order.
  flagWords: string[]
  rootfs?: string
  command: string[]
  // A word before COMMAND that is no flag of run (for oclif to report).
  unknown?: string
}

function lookup(word: string): {name: string; shape: FlagShape; negated: boolean} | undefined {
  if (word.startsWith('--')) {
    const bare = word.slice(2).split('=')[0]
    if (RUN_FLAGS[bare]) return {name: bare, shape: RUN_FLAGS[bare], negated: false}
    if (bare.startsWith('no-') && RUN_FLAGS[bare.slice(3)]?.allowNo) return {name: bare.slice(3), shape: RUN_FLAGS[bare.slice(3)], negated: true}
    return undefined
  }
  const char = word.slice(1, 2)
  for (const [name, shape] of Object.entries(RUN_FLAGS)) if (shape.char === char && word.length >= 2) return {name, shape, negated: false}
  return undefined
}

export function splitRunArgv(argv: string[]): SplitArgv {
  const flagWords: string[] = []
  let rootfs: string | undefined
  let unknown: string | undefined
  let i = 0
  for (; i < argv.length; i++) {
    const word = argv[i]
    if (word === '--') {
      i++
      if (rootfs === undefined) rootfs = argv[i++]
      break
    }
    if (word.startsWith('-') && word.length > 1) {
      const flag = lookup(word)
      if (!flag) {
        if (rootfs !== undefined) break
        unknown ??= word
        flagWords.push(word)
        continue
      }
      if (!flag.shape.value) {
        flagWords.push(flag.negated ? `--no-${flag.name}` : `--${flag.name}`)
        continue
      }
      // One word per flag (--name=value): oclif lets a multiple-value flag swallow later words.
      let value: string | undefined
      if (word.startsWith('--') && word.includes('=')) value = word.slice(word.indexOf('=') + 1)
      else if (!word.startsWith('--') && word.length > 2) value = word.slice(2).replace(/^=/, '')
      else if (i + 1 < argv.length) value = argv[++i]
      flagWords.push(value === undefined ? `--${flag.name}` : `--${flag.name}=${value}`)
      continue
    }
    if (rootfs === undefined) {
      rootfs = word
      continue
    }
    break
  }
  return {flagWords, rootfs, command: argv.slice(i), unknown}
}

// The run spec straight from the split words, for the fast path; undefined when anything needs
// oclif's parser (help, an unknown flag, a bad option value): oclif then reports it properly.
export function fastRunSpec(argv: string[]): RunSpec | undefined {
  const {flagWords, rootfs, command, unknown} = splitRunArgv(argv)
  if (unknown !== undefined || rootfs === undefined) return undefined
  const values: Record<string, string[]> = {}
  const switches: Record<string, boolean> = {}
  for (const word of flagWords) {
    const eq = word.indexOf('=')
    const name = word.slice(2, eq < 0 ? undefined : eq)
    if (name.startsWith('no-')) {
      switches[name.slice(3)] = false
      continue
    }
    const shape = RUN_FLAGS[name]
    if (!shape) return undefined
    if (!shape.value) {
      switches[name] = true
      continue
    }
    if (eq < 0) return undefined
    const value = word.slice(eq + 1)
    if (shape.options && !shape.options.includes(value)) return undefined
    if (!shape.multiple && values[name]) return undefined
    ;(values[name] ??= []).push(value)
  }
  return {
    rootfs,
    command: command[0],
    args: command.slice(1),
    userns: (values.userns?.[0] ?? 'auto') as RunSpec['userns'],
    net: (values.net?.[0] ?? 'none') as RunSpec['net'],
    hostname: values.hostname?.[0] ?? 'ns-tool',
    env: parseEnv(values.env ?? []),
    clearEnv: switches['clear-env'] ?? false,
    workdir: values.workdir?.[0],
    user: values.user ? parseUser(values.user[0]) : undefined,
    binds: (values.bind ?? []).map(parseBind),
    tmpfs: values.tmpfs ?? [],
    readOnly: switches['read-only'] ?? false,
    ephemeral: switches.ephemeral ?? false,
    init: switches.init ?? false,
    pty: switches.pty,
  }
}
