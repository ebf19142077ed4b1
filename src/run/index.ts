// run: a run spec (the flags of `ns-tool run`) -> the helper's argv -> the command's exit status.
import {spawn} from 'node:child_process'
import {statSync} from 'node:fs'
import {constants} from 'node:os'
import {UsageError} from '../errors.js'
import {helperPath} from './helper-path.js'

export {helperPath} from './helper-path.js'

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
