#!/usr/bin/env node
// The oclif entry point: commands and their flags come from oclif.manifest.json, so start-up
// imports only the command that runs.
let args = process.argv.slice(2)

// Output to a pipe is written asynchronously: exiting before it drains would cut it (a --json
// plan is larger than a pipe's 64 KiB).
function flushed(streams = [process.stdout, process.stderr]) {
  return Promise.all(streams.map((stream) => new Promise((done) => stream.write('', done))))
}

// `run` is called in loops: its common path skips oclif (~100 ms of imports) and goes straight to
// the runner. Anything unusual (help, a bad flag, an error) takes the oclif path below, which also
// puts a `--` where COMMAND starts, so `run R /bin/ls --help` reaches ls.
if (args[0] === 'run') {
  const [{fastRunSpec, splitRunArgv}, {run}] = await Promise.all([import('../dist/src/cli/run.js'), import('../dist/src/sandbox/supervise.js')])
  let spec
  try {
    spec = fastRunSpec(args.slice(1))
  } catch {
    spec = undefined
  }
  if (spec) {
    try {
      process.exitCode = await run(spec)
    } catch (error) {
      process.stderr.write(`ns-tool run: ${error.message}\n`)
      process.exitCode = error.exitCode ?? 1
      await flushed([process.stderr])
    }
    // The command wrote to the inherited descriptors itself; ns-tool wrote nothing else.
    process.exit()
  }
  const {flagWords, rootfs, command} = splitRunArgv(args.slice(1))
  if (rootfs !== undefined && command.length > 0) args = ['run', ...flagWords, rootfs, '--', ...command]
}

// build-rootfs, called in loops by scripts, takes the same kind of path for plain invocations.
if (args[0] === 'build-rootfs' && !args.includes('--help') && !args.includes('-h')) {
  const {fastBuildArgs, buildRootfsMain} = await import('../dist/src/cli/build-rootfs.js')
  const parsed = fastBuildArgs(args.slice(1))
  if (parsed) {
    try {
      await buildRootfsMain(parsed.flags, parsed.programs)
    } catch (error) {
      if (typeof error?.exitCode !== 'number') throw error
      process.stderr.write(`ns-tool build-rootfs: ${error.message}\n`)
      process.exitCode = error.exitCode
    }
    await flushed()
    process.exit()
  }
}

const {execute} = await import('@oclif/core')
await execute({args, dir: import.meta.url})
