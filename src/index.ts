// The public API of ns-tool (`import {build, verify} from 'ns-tool'`): what the commands do, as
// functions. Each loads its module on first call, so importing the package costs next to nothing.
// Errors meant for users are NsToolError (exitCode 1) or UsageError (exitCode 2), with one clear message.
// Options are checked against the command's option table (src/options): an unknown name or a
// value of the wrong shape is a UsageError, and absent options take the command line's defaults.
import type {Closure, ResolveOptions} from './loader/types.js'
import type {BuildOptions, BuildResult, Plan} from './rootfs/types.js'
import type {RunSpec} from './sandbox/spec.js'
import type {VerifyOptions, VerifyResult} from './verify/types.js'
import type {ExportOptions, ExportResult} from './export/index.js'
import type {SbomOptions} from './export/sbom.js'
import type {OptionTable} from './options/index.js'

export {NsToolError, UsageError} from './errors.js'
export type {Closure, DependencyEdge, FileKind, FoundVia, MissingLibrary, ProgramInfo, ProgramType, ResolvedFile, ResolveOptions} from './loader/types.js'
export type {BuildOptions, BuildResult, BuildStats, CopyMode, Layout, Plan, PlanEntry} from './rootfs/types.js'
export type {Bind, RunSpec} from './sandbox/spec.js'
export type {ProblemKind, VerifyOptions, VerifyProblem, VerifyResult} from './verify/types.js'
export type {ExportFormat, ExportOptions, ExportResult} from './export/index.js'
export type {SbomOptions} from './export/sbom.js'
export type {PackageRef} from './provenance/types.js'

/** Every file the programs need (interpreter, libraries, #! interpreters), why, and what is missing; nothing is executed. */
export async function resolve(programs: string[], options: ResolveOptions = {}): Promise<Closure> {
  const [module, {DEPS}] = await Promise.all([import('./resolve/index.js'), import('./options/deps.js')])
  return module.resolve(programs, await checked(DEPS, options))
}

/** What a build would write (the manifest): every entry with its reason; writes nothing. */
export async function plan(programs: string[], options: BuildOptions = {}): Promise<Plan> {
  const [module, {BUILD_ROOTFS}] = await Promise.all([import('./rootfs/index.js'), import('./options/build-rootfs.js')])
  return module.plan(programs, await checked(BUILD_ROOTFS, options, 'plan'))
}

/** Builds or updates the rootfs at options.output (default ./rootfs) with the programs and all they load. */
export async function build(programs: string[], options: BuildOptions = {}): Promise<BuildResult> {
  const [module, {BUILD_ROOTFS}] = await Promise.all([import('./rootfs/index.js'), import('./options/build-rootfs.js')])
  return module.build(programs, await checked(BUILD_ROOTFS, options))
}

/** Checks that every ELF file and script in a rootfs finds its interpreter and libraries inside it alone. */
export async function verify(rootfs: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  const [module, {VERIFY}] = await Promise.all([import('./verify/index.js'), import('./options/verify.js')])
  return module.verify(rootfs, await checked(VERIFY, options))
}

/** Runs spec.command (default: the tree's /bin/sh, else the first shell it holds) with spec.rootfs as / in fresh namespaces; resolves with its exit status. */
export async function run(spec: RunSpec): Promise<number> {
  const [module, {RUN}] = await Promise.all([import('./sandbox/supervise.js'), import('./options/run.js')])
  return module.run(await checked(RUN, spec))
}

/** The SBOM of a rootfs ns-tool built (SPDX 2.3 or CycloneDX 1.5 JSON text): files, packages, licenses, relationships. */
export async function sbom(rootfs: string, options: SbomOptions = {}): Promise<string> {
  const [module, {SBOM}] = await Promise.all([import('./export/sbom.js'), import('./options/sbom.js')])
  return module.sbom(rootfs, await checked(SBOM, options))
}

/** Writes a rootfs as a reproducible tarball, an OCI image layout or an OCI runtime bundle. */
export async function exportRootfs(rootfs: string, options: ExportOptions): Promise<ExportResult> {
  const [module, {EXPORT}] = await Promise.all([import('./export/index.js'), import('./options/export.js')])
  return module.exportRootfs(rootfs, await checked(EXPORT, options))
}

async function checked<O extends object>(table: OptionTable, options: O, fn?: string): Promise<O> {
  const {checkApiOptions} = await import('./options/api.js')
  return checkApiOptions(table, options, fn)
}
