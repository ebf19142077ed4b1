// Building a rootfs: plan (what goes where, and why; src/rootfs/plan) then write (staging, copies,
// the atomic switch; src/rootfs/write). The types both share are in types.ts.
import type {BuildOptions, BuildResult, Plan} from './types.js'
import {resolve as resolvePath} from 'node:path'
import {buildOutput, dataPolicyOf, keepPlan, reusedPlan} from './write/index.js'
import {BUILD_ROOTFS} from '../options/build-rootfs.js'

const defaults = BUILD_ROOTFS.flags

export type * from './types.js'
export {isNsToolRootfs, MANIFEST_DIR, readManifest, type DataPolicy, type Manifest} from './write/index.js'

// Plans and writes the rootfs at options.output (default ./rootfs). Throws NsToolError (exit 1)
// for a missing library (unless allowMissing), UsageError (exit 2) for unusable options.
export async function build(programs: string[], options: BuildOptions = {}): Promise<BuildResult> {
  const output = resolvePath(options.output ?? defaults.output.default)
  return buildOutput(output, requestOf(programs, options), () => makePlan(programs, options), options)
}

// What a build would write: the plan stored for the same request when nothing it was read from
// changed (its warnings told again), else a new one; the resolver and planner load only then.
export async function plan(programs: string[], options: BuildOptions = {}): Promise<Plan> {
  const output = resolvePath(options.output ?? defaults.output.default)
  const request = requestOf(programs, options)
  const reused = await reusedPlan(request, output, options)
  if (reused) return reused
  const made = await makePlan(programs, options)
  await keepPlan(made, request, options)
  return made
}

async function makePlan(programs: string[], options: BuildOptions): Promise<Plan> {
  const module = await import('./plan/index.js')
  return module.plan(programs, options)
}

// The request, in the terms that decide the plan; with unchanged inputs its plan is reused.
// plan: the plan's format (2: the ld.so.cache records are in the plan; 3: entries name their
// package; 4: data and traces; 5: package-aware data, locales and catalogues, the traces' environment;
// 6: the data rules the host could not meet).
function requestOf(programs: string[], options: BuildOptions): string {
  const data = {...dataPolicyOf(options), traces: options.traces ?? [], traceTimeout: options.traceTimeout ?? Number(defaults['trace-timeout'].default), traceEnv: options.traceEnv ?? {}, traceEnvFile: options.traceEnvFile ?? [], locales: options.locales ?? [], langs: options.langs ?? []}
  return JSON.stringify({plan: 6, programs, ...data, files: options.files ?? [], layout: options.layout ?? defaults.layout.default, resolver: options.resolver ?? defaults.resolver.default, sysroot: options.sysroot ?? '/', busybox: options.busybox ?? false, skeleton: options.skeleton ?? defaults.skeleton.default, allowMissing: options.allowMissing ?? false, path: process.env.PATH ?? '', cwd: process.cwd()})
}
