#!/usr/bin/env node
// The oclif entry point: commands and their flags come from oclif.manifest.json, so start-up
// imports only the command that runs.
import {execute} from '@oclif/core'

let args = process.argv.slice(2)
// `run`: everything after COMMAND belongs to COMMAND, but oclif looks for --help anywhere before a
// `--`. Put the `--` where COMMAND starts, so `run R /bin/ls --help` reaches ls.
if (args[0] === 'run') {
  const {default: Run, splitArgv} = await import('../dist/commands/run.js')
  const {flagWords, rootfs, command} = splitArgv(args.slice(1), Run.flags)
  if (rootfs !== undefined && command.length > 0) args = ['run', ...flagWords, rootfs, '--', ...command]
}

await execute({args, dir: import.meta.url})
