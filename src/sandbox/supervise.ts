// Supervision: starts the helper for a run spec, forwards the signals ns-tool receives, and
// resolves with the command's exit status.
import {spawn} from 'node:child_process'
import {statSync} from 'node:fs'
import {constants} from 'node:os'
import {NsToolError, UsageError} from '../errors.js'
import {helperPath} from '../helper/locate.js'
import {commandExecution} from '../loader/execution.js'
import {ROOT_PATH} from '../loader/program.js'
import {helperArgv, type RunSpec} from './spec.js'

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const

// Runs the command; resolves with its exit status (128+N when the helper died of signal N).
export function run(spec: RunSpec): Promise<number> {
  if (!statSync(spec.rootfs, {throwIfNoEntry: false})?.isDirectory()) {
    return Promise.reject(new UsageError(`${spec.rootfs}: no such directory (build one with: ns-tool build-rootfs -o ${spec.rootfs} bash)`))
  }
  let emulated: RunSpec
  try {
    emulated = withEmulation(spec)
  } catch (error) {
    return Promise.reject(error)
  }
  const helper = helperPath()
  return new Promise((resolve, reject) => {
    const child = spawn(helper, helperArgv(emulated), {stdio: 'inherit'})
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

// A command of an architecture this kernel does not execute runs under qemu, registered in the
// sandbox's own binfmt_misc (so a shell it starts runs that architecture's programs too); without
// qemu it is refused here, with what to install (exit 126: it exists but cannot be executed).
function withEmulation(spec: RunSpec): RunSpec {
  const inherited = spec.clearEnv ? undefined : process.env.PATH
  const execution = commandExecution(spec.rootfs, spec.command ?? '/bin/sh', spec.env?.PATH ?? inherited ?? ROOT_PATH, spec.workdir)
  if (execution.how === 'native') return spec
  if (execution.how === 'refused') throw new NsToolError(execution.reason, 126)
  if (spec.userns === 'never') throw new NsToolError(`${execution.program} runs under ${execution.emulator}, registered in a binfmt_misc of the sandbox's own, which needs a user namespace: drop --userns never`, 125)
  return {...spec, binfmt: [execution.registration]}
}

function osSignal(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0
}
