// run's command line -> a run spec, for the oclif command and for bin/run.js's fast path: ROOTFS
// and run's flags come first, COMMAND and its words after them reach COMMAND verbatim.
import type {RunSpec} from '../sandbox/spec.js'
import {oclifArgv, parseArgv, toApiOptions} from './argv.js'
import type {Values} from './options/index.js'
import {RUN} from './options/run.js'

export function runSpec(flags: Values<typeof RUN>, rootfs: string, command: string[]): RunSpec {
  return {rootfs, command: command[0], args: command.slice(1), ...toApiOptions(RUN, flags)}
}

// The spec of the command line, or undefined when it asks for help (oclif answers it); throws
// UsageError for a line that cannot work.
export async function fastRunSpec(argv: string[]): Promise<RunSpec | undefined> {
  const parsed = await parseArgv(RUN, argv)
  return parsed && runSpec(parsed.flags, parsed.args[0], parsed.command)
}

// What oclif gets for the same command line (see argv.ts).
export function oclifRunArgv(argv: string[]): string[] {
  return oclifArgv(RUN, argv)
}
