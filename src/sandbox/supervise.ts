// Supervision: starts the helper for a run spec, forwards the signals ns-tool receives, and
// resolves with the command's exit status.
import {spawn} from 'node:child_process'
import {statSync} from 'node:fs'
import {constants} from 'node:os'
import {UsageError} from '../errors.js'
import {helperPath} from '../helper/locate.js'
import {helperArgv, type RunSpec} from './spec.js'

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const

// Runs the command; resolves with its exit status (128+N when the helper died of signal N).
export function run(spec: RunSpec): Promise<number> {
  if (!statSync(spec.rootfs, {throwIfNoEntry: false})?.isDirectory()) {
    return Promise.reject(new UsageError(`${spec.rootfs}: no such directory (build one with: ns-tool build-rootfs -o ${spec.rootfs} bash)`))
  }
  const helper = helperPath()
  return new Promise((resolve, reject) => {
    const child = spawn(helper, helperArgv(spec), {stdio: 'inherit'})
    // The helper forwards these to the command; ns-tool itself must not die of them first.
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    for (const signal of FORWARDED) process.on(signal, forward)
    child.on('error', reject)
    child.on('exit', (code, signal) => {
      for (const s of FORWARDED) process.off(s, forward)
      resolve(code ?? 128 + (signal ? osSignal(signal) : 0))
    })
  })
}

function osSignal(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0
}
