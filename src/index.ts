// The public API of ns-tool (`import {build, verify} from 'ns-tool'`): what the commands do, as
// functions. Each loads its module on first call, so importing the package costs next to nothing.
// Errors meant for users are NsToolError (exitCode 1) or UsageError (exitCode 2), with one clear message.
import type {Closure, ResolveOptions} from './loader/types.js'
import type {BuildOptions, BuildResult, Plan} from './rootfs/types.js'
import type {RunSpec} from './sandbox/spec.js'
import type {VerifyOptions, VerifyResult} from './verify/types.js'
import type {ExportOptions, ExportResult} from './export/index.js'

export {NsToolError, UsageError} from './errors.js'
export type {Closure, DependencyEdge, FileKind, FoundVia, MissingLibrary, ProgramInfo, ProgramType, ResolvedFile, ResolveOptions} from './loader/types.js'
export type {BuildOptions, BuildResult, BuildStats, CopyMode, Layout, Plan, PlanEntry} from './rootfs/types.js'
export type {Bind, RunSpec} from './sandbox/spec.js'
export type {ProblemKind, VerifyOptions, VerifyProblem, VerifyResult} from './verify/types.js'
export type {ExportFormat, ExportOptions, ExportResult} from './export/index.js'

/** Every file the programs need (interpreter, libraries, #! interpreters), why, and what is missing; nothing is executed. */
export async function resolve(programs: string[], options: ResolveOptions = {}): Promise<Closure> {
  const module = await import('./loader/index.js')
  return module.resolve(programs, options)
}

/** What a build would write (the manifest): every entry with its reason; writes nothing. */
export async function plan(programs: string[], options: BuildOptions = {}): Promise<Plan> {
  const module = await import('./rootfs/index.js')
  return module.plan(programs, options)
}

/** Builds or updates the rootfs at options.output (default ./rootfs) with the programs and all they load. */
export async function build(programs: string[], options: BuildOptions = {}): Promise<BuildResult> {
  const module = await import('./rootfs/index.js')
  return module.build(programs, options)
}

/** Checks that every ELF file and script in a rootfs finds its interpreter and libraries inside it alone. */
export async function verify(rootfs: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const module = await import('./verify/index.js')
  return module.verify(rootfs, options)
}

/** Runs spec.command (default /bin/sh) with spec.rootfs as / in fresh namespaces; resolves with its exit status. */
export async function run(spec: RunSpec): Promise<number> {
  const module = await import('./sandbox/supervise.js')
  return module.run(spec)
}

/** Writes a rootfs as a reproducible tarball, an OCI image layout or an OCI runtime bundle. */
export async function exportRootfs(rootfs: string, options: ExportOptions): Promise<ExportResult> {
  const module = await import('./export/index.js')
  return module.exportRootfs(rootfs, options)
}
