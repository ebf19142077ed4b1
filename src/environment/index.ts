// COMMAND's environment, as run gives it: the one function run (src/sandbox) and build-rootfs
// --trace (src/data) build it with, so that a trace opens what a run of the tree will.
import {RUN} from '../options/run.js'

// What decides the environment: the run's user, hostname and -e/--env-file/--env-host.
export interface EnvironmentRequest {
  hostname?: string
  env?: Record<string, string>
  envFile?: string[]
  envHost?: boolean
  user?: {uid: number; gid: number}
}

// COMMAND's environment, as in containers: clean (HOME, HOSTNAME; the helper adds PATH, and TERM
// when COMMAND has a terminal, see termFor), then the variables of --env-file, then those of -e;
// with envHost, on top of the caller's whole environment instead of the clean one.
export async function commandEnvironment(spec: EnvironmentRequest): Promise<Record<string, string>> {
  // HOME: docker's choice for a user the tree's /etc/passwd may not list.
  const base: Record<string, string> = spec.envHost ? {} : {HOME: (spec.user?.uid ?? 0) === 0 ? '/root' : '/', HOSTNAME: spec.hostname ?? RUN.flags.hostname.default}
  const files = spec.envFile?.length ? (await import('./env-file.js')).readEnvFiles(spec.envFile) : {}
  return {...base, ...files, ...spec.env}
}
