// Building a rootfs: plan (what goes where, and why) then write (staging, copies, atomic switch).
import {plan} from './plan.js'
import type {BuildOptions, BuildResult} from './types.js'
import {writePlan} from './write.js'

export type * from './types.js'
export {plan, parseFileFlag, findBusybox} from './plan.js'
export {isNsToolRootfs, MANIFEST_DIR} from './write.js'

// Plans and writes the rootfs at options.output (default ./rootfs). Throws NsToolError (exit 1)
// for a missing library (unless allowMissing), UsageError (exit 2) for unusable options.
export async function build(programs: string[], options: BuildOptions = {}): Promise<BuildResult> {
  return writePlan(await plan(programs, options), options)
}
