// run: the command line of `ns-tool run` -> a run spec -> the helper's argv -> the command's exit
// status. One module, so that run's fast path (bin/run.js) loads a single file of ours.
import {spawn} from 'node:child_process'
import {existsSync, statSync} from 'node:fs'
import {constants} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {NsToolError, UsageError} from '../errors.js'

export interface Bind {
  source: string
  dest: string
  readOnly?: boolean
}

export interface RunSpec {
  rootfs: string
  // Default /bin/sh.
  command?: string
  args?: string[]
  // auto: a user namespace exactly when not root.
  userns?: 'auto' | 'always' | 'never'
  net?: 'none' | 'host'
  hostname?: string
  env?: Record<string, string>
  clearEnv?: boolean
  workdir?: string
  user?: {uid: number; gid: number}
  binds?: Bind[]
  tmpfs?: string[]
  readOnly?: boolean
  ephemeral?: boolean
  init?: boolean
  // undefined: a pty exactly when stdin is a terminal.
  pty?: boolean
}

export function helperArgv(spec: RunSpec): string[] {
  const argv: string[] = []
  const userns = spec.userns ?? 'auto'
  if (userns === 'always' || (userns === 'auto' && process.getuid?.() !== 0)) argv.push('--userns')
  if (spec.user) argv.push('--uid', String(spec.user.uid), '--gid', String(spec.user.gid))
  argv.push('--hostname', spec.hostname ?? 'ns-tool')
  if (spec.net === 'host') argv.push('--net-host')
  if (spec.clearEnv) argv.push('--clearenv')
  for (const [key, value] of Object.entries(spec.env ?? {})) argv.push('--setenv', key, value)
  if (spec.workdir) argv.push('--chdir', spec.workdir)
  for (const bind of spec.binds ?? []) argv.push(bind.readOnly ? '--ro-bind' : '--bind', bind.source, bind.dest)
  for (const dest of spec.tmpfs ?? []) argv.push('--tmpfs', dest)
  if (spec.readOnly) argv.push('--read-only')
  if (spec.ephemeral) argv.push('--ephemeral')
  if (spec.init) argv.push('--init')
  if (spec.pty === true) argv.push('--pty')
  if (spec.pty === false) argv.push('--no-pty')
  argv.push('--', spec.rootfs, spec.command ?? '/bin/sh', ...(spec.args ?? []))
  return argv
}

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

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const

// Runs the command; resolves with its exit status (128+N when the helper died of signal N).
export function run(spec: RunSpec): Promise<number> {
  if (!statSync(spec.rootfs, {throwIfNoEntry: false})?.isDirectory()) {
    return Promise.reject(new UsageError(`${spec.rootfs}: no such directory (build one with: ns-tool build-rootfs -o ${spec.rootfs} bash)`))
  }
  const helper = helperPath()
  return new Promise((resolve, reject) => {
    const child = spawn(helper, helperArgv(spec), {stdio: 'inherit'})
    // The helper forwards these to the command; ns-tool itself must not die of them first.
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    for (const signal of FORWARDED) process.on(signal, forward)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward)
      resolve(code ?? 128 + (signal ? osSignal(signal) : 0))
    })
  })
}

function osSignal(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0
}

// ---- the command line, without oclif ------------------------------------------------------
// Which words are flags (and which take a value), where ROOTFS is, where COMMAND starts. bin/run.js
// uses it to put `--` before COMMAND (oclif looks for --help anywhere before a `--`) and to start
// `run` without loading oclif at all.

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

// ---- the helper ---------------------------------------------------------------------------
// The compiled C helper lives at dist/helper/ns-tool-helper in this package, built by
// scripts/setup.js (npm install / npm start / npm test run it).

function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

function builtHelper(): string {
  return join(packageRoot(), 'dist', 'helper', 'ns-tool-helper')
}

export function helperPath(): string {
  const path = optionalHelperPath()
  if (path === undefined) {
    throw new NsToolError(`the namespace helper is not built (${builtHelper()}): run \`node scripts/setup.js\` in ${packageRoot()} (it needs a C compiler: apt-get install gcc libc6-dev)`)
  }
  return path
}

// The helper when it is there, for optional uses (the rootfs writer's atomic exchange).
export function optionalHelperPath(): string | undefined {
  const path = builtHelper()
  return existsSync(path) ? path : undefined
}
