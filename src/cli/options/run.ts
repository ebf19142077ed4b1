// run's options; run() of the API takes the same ones, as a RunSpec (see index.ts).
import {statSync} from 'node:fs'
import {UsageError} from '../../errors.js'
import type {OptionTable} from './index.js'

export const RUN = {
  id: 'run',
  usage: 'run [FLAGS] ROOTFS [COMMAND [ARG...]]',
  apiName: 'run',
  command: {after: 1, description: 'the command to run, and its arguments (default: /bin/sh)'},
  args: {
    rootfs: {description: 'the rootfs directory', required: true, api: 'rootfs'},
  },
  flags: {
    userns: {type: 'string', choices: ['auto', 'always', 'never'], default: 'auto', description: 'user namespace: auto (when not root), always, never'},
    net: {type: 'string', choices: ['none', 'host'], default: 'none', description: 'none: own network namespace with loopback; host: the host network'},
    hostname: {type: 'string', default: 'ns-tool', value: 'NAME', description: 'hostname inside'},
    env: {type: 'string', char: 'e', multiple: true, value: 'KEY=VALUE', apiType: 'record', toApi: (values: string[]) => parseEnv(values), description: 'set a variable'},
    'clear-env': {type: 'boolean', description: 'start from an empty environment (then --env)'},
    workdir: {type: 'string', char: 'w', value: 'DIR', description: 'working directory inside'},
    user: {type: 'string', value: 'UID[:GID]', apiType: 'user', toApi: (value: string) => parseUser(value), description: 'run as UID[:GID] inside'},
    bind: {type: 'string', multiple: true, value: 'SRC:DEST[:ro]', api: 'binds', apiType: 'binds', toApi: (values: string[]) => values.map(parseBind), description: 'bind a host path into the rootfs'},
    tmpfs: {type: 'string', multiple: true, value: 'DEST', description: 'a tmpfs at DEST'},
    'read-only': {type: 'boolean', description: 'mount the root read-only'},
    ephemeral: {type: 'boolean', description: 'writes go to a throw-away overlay; ROOTFS stays untouched'},
    init: {type: 'boolean', description: 'a small reaper is PID 1 and forwards signals; COMMAND is PID 2'},
    pty: {type: 'boolean', allowNo: true, description: 'give COMMAND its own pseudo-terminal (default: when stdin and stdout are terminals)'},
  },
  api: {command: 'string', args: 'string[]'},
} as const satisfies OptionTable

// `--bind SRC:DEST[:ro]`
export function parseBind(value: string): {source: string; dest: string; readOnly: boolean} {
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
