// build-rootfs's work once its command line is parsed, shared by the oclif command and by the
// start-up path of bin/run.js that skips oclif for plain invocations (start-up is most of a small
// build's time).
import {NsToolError, UsageError} from '../errors.js'
import {toApiOptions} from '../options/api.js'
import type {Parsed} from './argv.js'
import {BUILD_ROOTFS} from '../options/build-rootfs.js'

export async function buildRootfsMain(parsed: Parsed<typeof BUILD_ROOTFS>): Promise<void> {
  const {flags, args: programs} = parsed
  if (programs.length === 0 && !flags.file && flags.busybox === undefined && !flags.base) throw new UsageError('nothing to build: give programs, --file or --busybox', 'usage')
  // -q hides progress and summaries, never a warning: one may leave a program of the tree unable to run.
  const warn = (message: string) => process.stderr.write(`ns-tool build-rootfs: ${message}\n`)
  const options = {...toApiOptions(BUILD_ROOTFS, flags), warn}
  const rootfs = await import('../rootfs/index.js')
  if (flags['dry-run']) {
    const plan = await rootfs.plan(programs, options)
    if (flags.json) process.stdout.write(JSON.stringify(plan, null, 2) + '\n')
    // One write: a write per line costs a small plan ~3 ms.
    else process.stdout.write(plan.entries.map((entry) => describe(entry) + '\n').join(''))
    return
  }
  const progress = !flags.quiet && !flags.json && process.stderr.isTTY ? await (await import('./progress.js')).progressBar('copying', 'files', 50) : undefined
  progress?.status(programs.length === 0 ? 'planning the tree...' : `resolving ${programs.length} program${programs.length === 1 ? '' : 's'}...`)
  // SIGINT, SIGTERM, SIGHUP stop the build before its switch: the staging tree goes, the output stays.
  const interrupt = new AbortController()
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const
  const stop = (signal: NodeJS.Signals) => interrupt.abort(signal)
  for (const signal of signals) process.on(signal, stop)
  let result
  try {
    result = await rootfs.build(programs, {...options, progress: progress?.update, signal: interrupt.signal})
  } finally {
    progress?.stop()
    for (const signal of signals) process.off(signal, stop)
  }
  if (flags.json) {
    process.stdout.write(JSON.stringify(result, null, 2) + '\n')
  } else if (!flags.quiet) {
    const {stats} = result
    process.stderr.write(`${result.output}: ${result.entries.length} entries, ${humanBytes(stats.bytes)}; ${stats.copied} copied, ${stats.reused} unchanged, ${stats.linked} hard-linked${stats.kept ? `, ${stats.kept} kept` : ''}${stats.removed ? `, ${stats.removed} removed` : ''}${result.replaced.length ? `, ${result.replaced.length} replaced` : ''}\n`)
    for (const path of result.removed) process.stderr.write(`  removed ${path}\n`)
    for (const path of result.replaced) process.stderr.write(`  replaced ${path} (not written by ns-tool)\n`)
  }
  // Interrupted after the switch: the new tree is complete, and the status says a signal came.
  if (interrupt.signal.aborted) {
    const {constants} = await import('node:os')
    throw new NsToolError(`interrupted; ${result.output} is the new tree, complete`, 128 + (constants.signals as Record<string, number>)[interrupt.signal.reason as string])
  }
}

// 9.4 MB (9,871,234 bytes): the size at a glance, and the figure to compare builds by.
function humanBytes(bytes: number): string {
  const units = ['bytes', 'kB', 'MB', 'GB', 'TB']
  let unit = 0
  for (let size = bytes; size >= 1000 && unit < units.length - 1; size /= 1000) unit++
  const exact = `${bytes.toLocaleString('en-US')} bytes`
  return unit === 0 ? exact : `${(bytes / 1000 ** unit).toFixed(1)} ${units[unit]} (${exact})`
}

function describe(entry: {path: string; type: string; source?: string; target?: string; reason: string}): string {
  const what = entry.type === 'symlink' ? `-> ${entry.target}` : entry.source ? `<- ${entry.source}` : ''
  return `${entry.type.padEnd(7)} ${entry.path} ${what}  [${entry.reason}]`.replace(/ {2,}\[/, '  [')
}
