// run's options; run() of the API takes the same ones, as a RunSpec (see index.ts).
import {statSync} from 'node:fs'
import {availableParallelism} from 'node:os'
import {UsageError} from '../errors.js'
import type {OptionTable} from './index.js'

export const RUN = {
  id: 'run',
  usage: 'run [FLAGS] ROOTFS [COMMAND [ARG...]]',
  apiName: 'run',
  command: {after: 1, description: "the command to run, and its arguments (default: ROOTFS's /bin/sh, else the first shell it holds: bash, zsh, ash, dash...)"},
  exits: {0: 'COMMAND exited 0', N: "COMMAND's own exit status", '128+N': 'COMMAND died of signal N', 125: 'the sandbox could not be set up', 126: 'COMMAND exists but cannot be executed', 127: 'COMMAND does not exist in ROOTFS'},
  failedStatus: 125,
  args: {
    rootfs: {description: 'the rootfs directory', required: true, api: 'rootfs'},
  },
  flags: {
    userns: {type: 'string', choices: ['auto', 'always', 'never'], default: 'auto', description: 'user namespace: auto (when not root), always, never'},
    // No default here: -p and --host-loopback choose private, anything else none (src/sandbox/network.ts).
    net: {type: 'string', choices: ['none', 'host', 'private'], value: 'none|host|private', description: 'none (default): own network namespace, loopback only; host: the host\'s network; private: own namespace with outbound access through slirp4netns, run as you (default with -p)'},
    publish: {type: 'string', char: 'p', multiple: true, value: '[IP:]HOSTPORT:PORT[/tcp|/udp]', description: 'forward HOSTPORT on the host (IP default 127.0.0.1, not docker\'s 0.0.0.0) to PORT in the sandbox; HOSTPORT 0: a free one, printed; implies --net private'},
    dns: {type: 'string', multiple: true, value: 'IP', description: 'a nameserver for the sandbox\'s /etc/resolv.conf, instead of the host\'s (--net host) or slirp4netns\'s 10.0.2.3 (--net private)'},
    'add-host': {type: 'string', multiple: true, value: 'NAME:IP', description: 'a line of the sandbox\'s /etc/hosts (IP host-gateway: the host, 10.0.2.2, with --net private)'},
    'host-loopback': {type: 'boolean', description: 'let the sandbox reach the host\'s 127.0.0.1 at 10.0.2.2 (off by default, as in podman: services there often trust any local caller); implies --net private'},
    hostname: {type: 'string', default: 'ns-tool', value: 'NAME', description: 'hostname inside'},
    env: {type: 'string', char: 'e', multiple: true, value: 'KEY[=VALUE]', apiType: 'record', toApi: (values: string[]) => parseEnv(values), description: 'set a variable (KEY alone: the caller\'s value, if it has one); the environment is otherwise clean: PATH, HOME, HOSTNAME, TERM with a terminal'},
    'env-file': {type: 'string', multiple: true, value: 'FILE', path: 'whole', description: 'set the variables of FILE, one KEY=VALUE or KEY a line (docker\'s format); -e wins'},
    'env-host': {type: 'boolean', description: 'pass the caller\'s whole environment (then --env-file and -e)'},
    workdir: {type: 'string', char: 'w', value: 'DIR', description: 'working directory inside'},
    user: {type: 'string', value: 'UID[:GID]', apiType: 'user', toApi: (value: string) => parseUser(value), description: 'run as UID[:GID] inside'},
    bind: {type: 'string', multiple: true, value: 'SRC:DEST[:ro]', path: 'source', api: 'binds', apiType: 'binds', toApi: (values: string[]) => values.map(parseBind), description: 'bind a host path into the rootfs'},
    tmpfs: {type: 'string', multiple: true, value: 'DEST', description: 'a tmpfs at DEST'},
    'read-only': {type: 'boolean', description: 'mount the root read-only'},
    writable: {type: 'boolean', description: 'let COMMAND write to a tree built with --copy-mode hardlink (its files are the host\'s own; read-only without this)'},
    ephemeral: {type: 'boolean', description: 'writes go to a throw-away overlay; ROOTFS stays untouched'},
    init: {type: 'boolean', description: 'a small reaper is PID 1 and forwards signals; COMMAND is PID 2'},
    pty: {type: 'boolean', allowNo: true, description: 'give COMMAND its own pseudo-terminal (default: when stdin and stdout are terminals)'},
    seccomp: {type: 'string', default: 'default', value: 'default|unconfined|FILE', path: 'whole', words: ['default', 'unconfined'], description: 'system call filter: default (see docs/run.md: What the sandbox refuses), unconfined, or a profile in the OCI/Docker JSON format'},
    'cap-add': {type: 'string', multiple: true, value: 'CAP', description: 'add a capability to Docker\'s default set (CAP_ optional, any case)'},
    'cap-drop': {type: 'string', multiple: true, value: 'CAP|ALL', description: 'drop a capability from the default set, or ALL'},
    memory: {type: 'string', value: 'SIZE', apiType: 'number', toApi: (value: string) => parseMemory(value), description: 'memory limit, RAM and swap (512m, 2g); a command OOM-killed exits 137 (API: bytes)'},
    'pids-limit': {type: 'string', value: 'N', apiType: 'number', toApi: (value: string) => parsePidsLimit(value), description: 'most processes and threads at once, PID 1 included'},
    cpus: {type: 'string', value: 'N', apiType: 'number', toApi: (value: string) => parseCpus(value), description: 'CPU time, in CPUs (0.5, 2)'},
    config: {type: 'string', value: 'FILE', api: false, config: false, description: 'read run\'s flags from a JSON or YAML file (keys: the long flag names; paths relative to the file); flags given here win'},
  },
  api: {command: 'string', args: 'string[]'},
} as const satisfies OptionTable

// `--bind SRC:DEST[:ro]`
export function parseBind(value: string): {source: string; dest: string; readOnly: boolean} {
  const parts = value.split(':')
  const readOnly = parts.length === 3 && parts[2] === 'ro'
  if (parts.length < 2 || parts.length > 3 || (parts.length === 3 && !readOnly) || !parts[0] || !parts[1]) {
    throw new UsageError(`--bind ${value}: expected SRC:DEST or SRC:DEST:ro`, 'usage')
  }
  if (!parts[1].startsWith('/')) throw new UsageError(`--bind ${value}: DEST must be an absolute path inside the rootfs`, 'usage')
  if (!statSync(parts[0], {throwIfNoEntry: false})) throw new UsageError(`--bind ${value}: ${parts[0]} does not exist`)
  return {source: parts[0], dest: parts[1], readOnly}
}

// `-e KEY=VALUE` and `-e KEY` (the caller's value; not set when the caller has none, as docker does)
export function parseEnv(values: string[]): Record<string, string> {
  const env: Record<string, string> = {}
  for (const value of values) {
    const [key, setting] = splitVariable(value)
    if (key === undefined) throw new UsageError(`--env ${value}: expected KEY=VALUE or KEY`, 'usage')
    if (setting !== undefined) env[key] = setting
  }
  return env
}

// KEY=VALUE -> [KEY, VALUE]; KEY -> [KEY, the caller's value or undefined]; not a name -> [].
export function splitVariable(word: string): [string?, string?] {
  const eq = word.indexOf('=')
  const key = eq < 0 ? word : word.slice(0, eq)
  if (!/^[^\s=]+$/.test(key)) return []
  return [key, eq < 0 ? process.env[key] : word.slice(eq + 1)]
}

// `--user UID[:GID]`
export function parseUser(value: string): {uid: number; gid: number} {
  const match = /^(\d+)(?::(\d+))?$/.exec(value)
  if (!match) throw new UsageError(`--user ${value}: expected numeric UID or UID:GID`, 'usage')
  const uid = Number(match[1])
  return {uid, gid: match[2] === undefined ? uid : Number(match[2])}
}

const UNITS: Record<string, number> = {'': 1, b: 1, k: 2 ** 10, m: 2 ** 20, g: 2 ** 30, t: 2 ** 40}
// Docker's minimum: below it not even a shell starts.
const MIN_MEMORY = 6 * 2 ** 20

// `--memory 64m`, `1.5g`, `512MiB`, `1073741824` (bytes): binary units, as docker reads them.
export function parseMemory(value: string | number): number {
  const match = /^(\d+(?:\.\d+)?)\s*([bkmgt]?)(?:i?b)?$/i.exec(String(value).trim())
  const bytes = match ? Math.floor(Number(match[1]) * UNITS[match[2].toLowerCase()]) : Number.NaN
  if (!Number.isSafeInteger(bytes)) throw new UsageError(`--memory ${value}: expected a size such as 512m or 2g (units b, k, m, g, t)`)
  if (bytes < MIN_MEMORY) throw new UsageError(`--memory ${value}: below the minimum of 6m`)
  return bytes
}

// `--pids-limit N`
export function parsePidsLimit(value: string | number): number {
  const n = Number(value)
  if (!/^\d+$/.test(String(value).trim()) || !Number.isSafeInteger(n) || n < 1) throw new UsageError(`--pids-limit ${value}: expected a whole number of processes, 1 or more`)
  return n
}

// `--cpus N`, at most the machine's CPUs (as docker checks).
export function parseCpus(value: string | number): number {
  const n = Number(value)
  const cpus = availableParallelism()
  if (!/^\d*\.?\d+$/.test(String(value).trim()) || !(n >= 0.01)) throw new UsageError(`--cpus ${value}: expected a number of CPUs such as 0.5 or 2`)
  if (n > cpus) throw new UsageError(`--cpus ${value}: this machine has ${cpus} CPU${cpus === 1 ? '' : 's'}`)
  return n
}
