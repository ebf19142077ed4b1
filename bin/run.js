#!/usr/bin/env -S node --
// The entry point. Plain invocations of `run` and `build-rootfs` (called in loops by scripts) take
// a fast path that skips oclif (~100 ms of imports); their parser derives from the same option
// tables as oclif's flags and parses identically (test/cli/parity.test.ts). Help, errors of usage
// and the other commands go to oclif, whose commands come from oclif.manifest.json, so start-up
// imports only the command that runs. A fast path loads dist/fast/COMMAND.cjs, its modules bundled
// into one file by scripts/setup.js (src/cli/fast-build-rootfs.ts says why); build-rootfs's with
// V8's code cache of it (bin/code-cache.js).
//
// This file is CommonJS (bin/package.json says so): Node starts a CommonJS entry point ~7 ms
// sooner than an ES module, a tenth of a `run`.
'use strict'
const {join} = require('node:path')
const {loadFastPath} = require('./code-cache.js')

const packageRoot = join(__dirname, '..')
let args = process.argv.slice(2)

// Output to a pipe is written asynchronously: exiting before it drains would cut it (a --json
// plan is larger than a pipe's 64 KiB).
function flushed(streams = [process.stdout, process.stderr]) {
  return Promise.all(streams.map((stream) => new Promise((done) => stream.write('', done))))
}

// A fast path's module: its bundle, or where the bundle was not made (a checkout built by tsc
// alone) the same module unbundled. A bundle that is there but fails is an error like any other.
function fastPath(command) {
  return loadFastPath(packageRoot, command) ?? import(`../dist/src/cli/fast-${command}.js`)
}

// The table of the command being parsed, for the error's usage line and status.
let table
// The error report of the code that ran: a fast path's own (its errors are the bundle's classes),
// dist/src's otherwise.
let report

async function fail(error) {
  const {reportError} = report ?? (await import('../dist/src/cli/report.js'))
  process.exitCode = reportError(error, {command: table?.id, usage: table?.usage, failedStatus: table?.failedStatus})
  await flushed([process.stderr])
  process.exit()
}

async function main() {
  try {
    if (args[0] === 'run') {
      report = await fastPath('run')
      const {parseArgv, oclifArgv, toApiCall, withConfigFile, RUN, run} = report
      table = RUN
      const parsed = await parseArgv(RUN, args.slice(1))
      if (parsed) {
        process.exitCode = await run(toApiCall(RUN, await withConfigFile(RUN, parsed)))
        // The command wrote to the inherited descriptors itself; ns-tool wrote nothing else.
        process.exit()
      }
      args = ['run', ...oclifArgv(RUN, args.slice(1))]
    } else if (args[0] === 'build-rootfs') {
      report = await fastPath('build-rootfs')
      const {parseArgv, withConfigFile, BUILD_ROOTFS, buildRootfsMain} = report
      table = BUILD_ROOTFS
      const parsed = await parseArgv(BUILD_ROOTFS, args.slice(1))
      if (parsed) {
        await buildRootfsMain(await withConfigFile(BUILD_ROOTFS, parsed))
        await flushed()
        process.exit()
      }
    } else if (args[0] === 'chroot') {
      const [{oclifArgv}, {CHROOT}] = await Promise.all([import('../dist/src/cli/argv.js'), import('../dist/src/options/chroot.js')])
      table = CHROOT
      args = ['chroot', ...oclifArgv(CHROOT, args.slice(1))]
    }
  } catch (error) {
    await fail(error)
  }

  const {execute} = await import('@oclif/core')
  await execute({args, dir: packageRoot})
}

main()
