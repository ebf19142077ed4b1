// Executing a plan safely: under a lock, the tree is built in a private staging
// directory beside the output and switched in whole; nothing is written through a symlink.
import type {BuildOptions, BuildResult, Plan} from '../types.js'
import {cachedPlan, readManifest, settingsOf, unchanged, untouched} from './manifest.js'
import {checkOutput, checkOutputPath, leftovers} from './output.js'

export {dataPolicyOf, isNsToolRootfs, MANIFEST_DIR, readManifest, type DataPolicy, type Manifest} from './manifest.js'

// Builds output for a request: the previous build's plan when it was made for the same request
// and nothing it was read from changed, else makePlan()'s.
export async function buildOutput(output: string, request: string, makePlan: () => Promise<Plan>, options: BuildOptions = {}): Promise<BuildResult> {
  checkOutputPath(output)
  // A rebuild that would change nothing writes nothing, so it needs no lock: the tree it checks
  // is replaced only by a whole-tree rename, and a tree that looks changed takes the locked path.
  if (!options.base && !options.clean && !leftovers(output)) {
    const manifest = readManifest(output)
    const reused = cachedPlan(manifest, output, request)
    if (reused) {
      const previous = checkOutput(reused, options, manifest)
      if (previous && unchanged(previous, reused, settingsOf(options), true)) {
        await warnMissing(reused, options)
        return untouched(reused, previous)
      }
    }
  }
  const [{acquireLock}, {checkAborted}, {recover}, {writeLocked}] = await Promise.all([import('./lock.js'), import('./faults.js'), import('./switch.js'), import('./stage.js')])
  const lock = await acquireLock(output, options)
  try {
    recover(output)
    const manifest = readManifest(output)
    const reused = options.base ? undefined : cachedPlan(manifest, output, request)
    if (reused) await warnMissing(reused, options)
    const plan = reused ?? (await reusedPlan(request, output, options)) ?? (await makePlan())
    checkAborted(output, options.signal)
    return await writeLocked(plan, manifest, {...options, request}, reused !== undefined)
  } finally {
    lock.release()
  }
}

// The plan stored for `request` by an earlier build into any output (plan-store.ts), placed at
// `output`, with its warnings told again; undefined when there is none or an input changed.
export async function reusedPlan(request: string, output: string, options: BuildOptions): Promise<Plan | undefined> {
  const {storable, storedPlan} = await import('./plan-store.js')
  const plan = storable(options) ? storedPlan(request, output) : undefined
  if (plan) await warnMissing(plan, options)
  return plan
}

// Keeps a plan made without a build (--dry-run) for later builds of the same request.
export async function keepPlan(plan: Plan, request: string, options: BuildOptions): Promise<void> {
  const [{storable, storePlan}, {planCache}] = await Promise.all([import('./plan-store.js'), import('./manifest.js')])
  if (storable(options)) storePlan(planCache(plan, [], request, options.sysroot), plan.entries, options)
}

// A reused plan's missing libraries and warnings are told again, as a fresh plan's would be.
async function warnMissing(plan: Plan, options: BuildOptions): Promise<void> {
  if (plan.missing.length > 0) {
    const {missingLine} = await import('../../loader/missing.js')
    for (const missing of plan.missing) options.warn?.(`warning: ${missingLine(missing)}`)
  }
  for (const warning of plan.warnings ?? []) options.warn?.(warning)
}

