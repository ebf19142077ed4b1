// A run spec (what `run` was asked for, in the API's terms) -> COMMAND's environment and the helper's
// argv. The command line that produces a spec lives in src/cli/run.ts; running it in supervise.ts.
import {MANIFEST_DIRS} from '../manifest-path.js'
import {parseCpus, parseMemory, parsePidsLimit, RUN} from '../options/run.js'
import {parseCapability} from './capabilities.js'

export interface Bind {
  source: string
  dest: string
  readOnly?: boolean
}

export interface RunSpec {
  rootfs: string
  // Default: the tree's /bin/sh, else the first shell it holds (src/sandbox/shell.ts).
  command?: string
  args?: string[]
  // auto: a user namespace exactly when not root.
  userns?: (typeof RUN.flags.userns.choices)[number]
  // Default: private with publish or hostLoopback, else none (see network.ts).
  net?: (typeof RUN.flags.net.choices)[number]
  // docker's -p syntax, '[IP:]HOSTPORT:PORT[/tcp|/udp]' (IP default 127.0.0.1).
  publish?: string[]
  dns?: string[]
  // 'NAME:IP' lines for the sandbox's /etc/hosts.
  addHost?: string[]
  hostLoopback?: boolean
  hostname?: string
  // Set in COMMAND's environment, over envFile's variables; that is all it gets (and PATH, HOME,
  // HOSTNAME, TERM with a terminal) unless envHost passes the caller's environment too.
  env?: Record<string, string>
  envFile?: string[]
  envHost?: boolean
  workdir?: string
  user?: {uid: number; gid: number}
  binds?: Bind[]
  tmpfs?: string[]
  readOnly?: boolean
  // A tree built with --copy-mode hardlink is mounted read-only unless this is set.
  writable?: boolean
  ephemeral?: boolean
  init?: boolean
  // undefined: a pty exactly when stdin and stdout are terminals.
  pty?: boolean
  // binfmt_misc registrations for the sandbox's own instance (qemu for a foreign command).
  binfmt?: string[]
  // Set by run(): the helper's options for the network and its /etc files (network.ts).
  network?: string[]
  // Set by run(): TERM for COMMAND if its stdout turns out to be a terminal (see env.ts).
  term?: string
  // default: the table in src/sandbox/seccomp/table.ts; unconfined: none; else a profile file
  // in the OCI/Docker JSON format.
  seccomp?: 'default' | 'unconfined' | (string & {})
  // Over Docker's default set; docker's spelling (CAP_ optional, any case); capDrop may say ALL.
  capAdd?: string[]
  capDrop?: string[]
  // Limits, in a cgroup made for the run: bytes (the command line's --memory 64m is 67108864),
  // processes and threads, CPUs.
  memory?: number
  pidsLimit?: number
  cpus?: number
}

// The fd on which supervise.ts hands the helper a compiled seccomp filter.
export const SECCOMP_FD = 3

// Capabilities, filter and limits: drops before adds (an added capability wins, as in docker). The
// API's values are checked here too.
function defenceArgv(spec: RunSpec, compiledFilter: boolean): string[] {
  const argv: string[] = []
  for (const cap of spec.capDrop ?? []) argv.push('--cap-drop', parseCapability(cap, '--cap-drop'))
  for (const cap of spec.capAdd ?? []) argv.push('--cap-add', parseCapability(cap, '--cap-add'))
  if (compiledFilter) argv.push('--seccomp-bpf', String(SECCOMP_FD))
  else if (spec.seccomp === 'unconfined') argv.push('--seccomp', 'unconfined')
  if (spec.memory !== undefined) argv.push('--memory', String(parseMemory(spec.memory)))
  if (spec.pidsLimit !== undefined) argv.push('--pids-limit', String(parsePidsLimit(spec.pidsLimit)))
  if (spec.cpus !== undefined) argv.push('--cpus', String(parseCpus(spec.cpus)))
  return argv
}

// spec.env is the complete set of variables to set (commandEnvironment); readOnly is final.
// compiledFilter: a seccomp filter goes to the helper on SECCOMP_FD.
export function helperArgv(spec: RunSpec, compiledFilter = false): string[] {
  const argv: string[] = []
  const userns = spec.userns ?? RUN.flags.userns.default
  if (userns === 'always' || (userns === 'auto' && process.getuid?.() !== 0)) argv.push('--userns')
  if (spec.user) argv.push('--uid', String(spec.user.uid), '--gid', String(spec.user.gid))
  argv.push('--hostname', spec.hostname ?? RUN.flags.hostname.default)
  argv.push(...(spec.network ?? []))
  if (!spec.envHost) argv.push('--clearenv')
  for (const [key, value] of Object.entries(spec.env ?? {})) argv.push('--setenv', key, value)
  if (spec.term) argv.push('--term', spec.term)
  if (spec.workdir) argv.push('--chdir', spec.workdir)
  // The tree's manifest is ns-tool's, not COMMAND's to read or change.
  for (const dir of MANIFEST_DIRS) argv.push('--hide', `/${dir}`)
  for (const bind of spec.binds ?? []) argv.push(bind.readOnly ? '--ro-bind' : '--bind', bind.source, bind.dest)
  for (const dest of spec.tmpfs ?? []) argv.push('--tmpfs', dest)
  if (spec.readOnly) argv.push('--read-only')
  if (spec.ephemeral) argv.push('--ephemeral')
  if (spec.init) argv.push('--init')
  if (spec.pty === true) argv.push('--pty')
  if (spec.pty === false) argv.push('--no-pty')
  for (const line of spec.binfmt ?? []) argv.push('--binfmt', line)
  argv.push(...defenceArgv(spec, compiledFilter))
  // run() has chosen the shell when no command was given.
  argv.push('--', spec.rootfs, spec.command!, ...(spec.args ?? []))
  return argv
}

// The TERM COMMAND gets if its stdout is a terminal (only the helper knows: its own pty, or the
// caller's terminal): the caller's, where docker -t gives xterm. None with envHost (the caller's
// own TERM, if any, is passed then).
export function termFor(spec: RunSpec): string | undefined {
  return spec.envHost ? undefined : process.env.TERM || 'xterm'
}
