// A run spec (what `run` was asked for, in the API's terms) -> the helper's argv.
// The command line that produces a spec lives in src/cli/run.ts; running it in src/sandbox/supervise.ts.
import {RUN} from '../cli/options/run.js'

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
  userns?: (typeof RUN.flags.userns.choices)[number]
  net?: (typeof RUN.flags.net.choices)[number]
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
  // undefined: a pty exactly when stdin and stdout are terminals.
  pty?: boolean
  // binfmt_misc registrations for the sandbox's own instance (qemu for a foreign command).
  binfmt?: string[]
}

export function helperArgv(spec: RunSpec): string[] {
  const argv: string[] = []
  const userns = spec.userns ?? RUN.flags.userns.default
  if (userns === 'always' || (userns === 'auto' && process.getuid?.() !== 0)) argv.push('--userns')
  if (spec.user) argv.push('--uid', String(spec.user.uid), '--gid', String(spec.user.gid))
  argv.push('--hostname', spec.hostname ?? RUN.flags.hostname.default)
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
  for (const line of spec.binfmt ?? []) argv.push('--binfmt', line)
  argv.push('--', spec.rootfs, spec.command ?? '/bin/sh', ...(spec.args ?? []))
  return argv
}

