// The output directory: what may be built over — checked before anything else, a lock included
// (/ itself, a link, a file), and again under the lock — and what a build leaves beside it.
import {existsSync, lstatSync, readdirSync, realpathSync} from 'node:fs'
import {basename, dirname} from 'node:path'
import {UsageError} from '../../errors.js'
import type {BuildOptions, Plan} from '../types.js'
import type {Manifest} from './manifest.js'

// Refused before anything else, a lock included: / itself, a link, something not a directory.
export function checkOutputPath(output: string): void {
  if (output === '/' || realpathOrSelf(output) === '/') throw new UsageError('--output /: refusing to build a rootfs over the host\'s root; give a new directory', 'refused')
  const stat = lstatSync(output, {throwIfNoEntry: false})
  if (stat?.isSymbolicLink()) throw new UsageError(`--output ${output}: is a symbolic link; give the directory itself`, 'refused')
  if (stat && !stat.isDirectory()) throw new UsageError(`--output ${output}: exists and is not a directory`, 'refused')
}

// The output's previous manifest when it may be built over; throws when it may not.
export function checkOutput(plan: Plan, options: BuildOptions, manifest: Manifest | undefined): Manifest | undefined {
  const output = plan.output
  checkOutputPath(output)
  const real = realpathOrSelf(output)
  for (const entry of plan.entries) {
    if (entry.source && (entry.source === real || entry.source.startsWith(real + '/'))) {
      throw new UsageError(`--output ${output}: contains ${entry.source}, one of the sources; choose an output outside the source tree`, 'refused')
    }
  }
  if (!manifest && !options.force && lstatSync(output, {throwIfNoEntry: false}) && readdirSync(output).length > 0) {
    const force = options.clean ? 'pass --force too, and --clean removes everything in it that this build would not produce (listing it)' : 'pass --force to build into it (its files are kept)'
    throw new UsageError(`--output ${output}: is a non-empty directory that ns-tool did not make; ${force}, or choose another directory`, 'refused')
  }
  return manifest
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}


// The staging trees of builds of `output` are named so, beside it.
export const stagingPrefix = (output: string) => `${basename(output)}.ns-tool-staging-`

// Whether a killed build left something for recover() to clean up.
export function leftovers(output: string): boolean {
  if (existsSync(`${output}.ns-tool-old`)) return true
  try {
    return readdirSync(dirname(output)).some((entry) => entry.startsWith(stagingPrefix(output)))
  } catch {
    // No parent directory yet: nothing was left there.
    return false
  }
}

