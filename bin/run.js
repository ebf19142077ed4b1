#!/usr/bin/env -S node --
// The entry point. Plain invocations of `run` and `build-rootfs` (called in loops by scripts) take
// a fast path that skips oclif (~100 ms of imports); their parser derives from the same option
// tables as oclif's flags and parses identically (test/cli/parity.test.ts). Help, errors of usage
// and the other commands go to oclif, whose commands come from oclif.manifest.json, so start-up
// imports only the command that runs. build-rootfs's fast path loads dist/fast/build-rootfs.js, its
// modules bundled into one file by scripts/setup.js (src/cli/fast-build.ts says why).
let args = process.argv.slice(2)

// Output to a pipe is written asynchronously: exiting before it drains would cut it (a --json
// plan is larger than a pipe's 64 KiB).
function flushed(streams = [process.stdout, process.stderr]) {
  return Promise.all(streams.map((stream) => new Promise((done) => stream.write('', done))))
}

// The table of the command being parsed, for the error's usage line and status.
let table
// The error report of the code that ran: the bundle's own for build-rootfs (its errors are the
// bundle's classes), dist/src's otherwise.
let report

async function fail(error) {
  const {reportError} = report ?? (await import('../dist/src/cli/report.js'))
  process.exitCode = reportError(error, {command: table?.id, usage: table?.usage, failedStatus: table?.failedStatus})
  await flushed([process.stderr])
  process.exit()
}

try {
  if (args[0] === 'run') {
    const [{parseArgv, oclifArgv, toApiCall, withConfigFile}, {RUN}, {run}] = await Promise.all([import('../dist/src/cli/argv.js'), import('../dist/src/cli/options/run.js'), import('../dist/src/sandbox/supervise.js')])
    table = RUN
    const parsed = await parseArgv(RUN, args.slice(1))
    if (parsed) {
      process.exitCode = await run(toApiCall(RUN, await withConfigFile(RUN, parsed)))
      // The command wrote to the inherited descriptors itself; ns-tool wrote nothing else.
      process.exit()
    }
    args = ['run', ...oclifArgv(RUN, args.slice(1))]
  } else if (args[0] === 'build-rootfs') {
    // The bundle is only faster: where it was not made (a checkout built by tsc alone), the same
    // module unbundled. A bundle that is there but fails is an error like any other.
    const bundle = new URL('../dist/fast/build-rootfs.js', import.meta.url)
    report = await import(bundle.href).catch((error) => {
      if (error?.code !== 'ERR_MODULE_NOT_FOUND' || error.url !== bundle.href) throw error
      return import('../dist/src/cli/fast-build.js')
    })
    const {parseArgv, withConfigFile, BUILD_ROOTFS, buildRootfsMain} = report
    table = BUILD_ROOTFS
    const parsed = await parseArgv(BUILD_ROOTFS, args.slice(1))
    if (parsed) {
      await buildRootfsMain(await withConfigFile(BUILD_ROOTFS, parsed))
      await flushed()
      process.exit()
    }
  } else if (args[0] === 'chroot') {
    const [{oclifArgv}, {CHROOT}] = await Promise.all([import('../dist/src/cli/argv.js'), import('../dist/src/cli/options/chroot.js')])
    table = CHROOT
    args = ['chroot', ...oclifArgv(CHROOT, args.slice(1))]
  }
} catch (error) {
  await fail(error)
}

const {execute} = await import('@oclif/core')
await execute({args, dir: import.meta.url})
