// The manifest a build leaves in OUT/var/lib/ns-tool/manifest.json: what it wrote (each file's own inode,
// and whether that inode is the host's), its plan, and the inputs that plan was read from.
import {lstatSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import type {DlopenLevel} from '../../data/dlopen.js'
import type {BuildOptions, BuildResult, BuildStats, NotClosed, Plan, PlanEntry} from '../types.js'
import {BUILD_ROOTFS} from '../../options/build-rootfs.js'
import {PinnedTree} from './beneath.js'
import {LEGACY_MANIFEST, MANIFEST, MANIFEST_DIR, MANIFEST_DIRS} from '../../manifest-path.js'

export {MANIFEST, MANIFEST_DIR, MANIFEST_DIRS}

// A file's contents as seen from outside: a changed file changes one of these.
export interface Fingerprint {
  path: string
  size: number
  mtimeMs: number
  ino: number
}

// The tree's own file as ns-tool left it: a rebuild reuses it only while it is still this inode,
// untouched, at its path (reached without a link).
export interface TreeInode {
  dev: number
  ino: number
  mtimeMs: number
}

// A copied file: its in-tree path, the host source with that source's fingerprint, and the tree's
// own inode. hostInode: the tree's file IS the host's file (--copy-mode hardlink): a command that
// writes to it writes the host's file.
export interface ManifestFile extends Omit<Fingerprint, 'path'> {
  path: string
  source: string
  tree: TreeInode
  hostInode?: true
}

export interface Manifest {
  tool: 'ns-tool'
  version: 1
  layout: string
  // How the files were written: a rebuild with other settings rewrites them.
  settings?: string
  // Some file of the tree shares its inode with the host (see ManifestFile.hostInode). (`run` keeps
  // a tree built with --copy-mode hardlink read-only: it reads `settings`, from the file's head.)
  sharesHostInodes: boolean
  files: ManifestFile[]
  entries: PlanEntry[]
  // Every directory of the tree with its mtime when the build ended: adding, removing or
  // replacing anything in one changes it, so an unchanged tree is told by a stat per directory.
  dirs?: Array<[string, number]>
  // The request and what its plan was read from, so that an unchanged rebuild can skip resolving.
  cache?: PlanCache
  // What the build added besides the ELF closure (--data, --dlopen): verify checks the tree for
  // what it was built to hold, not for what --no-data left out on purpose.
  data?: DataPolicy
  // Files the tree holds as they are, not closed (docs/data.md): verify does not check their needs.
  notClosed?: NotClosed[]
  // The data rules the host could not meet (Plan.unmetRules): verify does not ask for them.
  unmetRules?: string[]
}

export type {NotClosed}

export interface DataPolicy {
  data: boolean
  dlopen: DlopenLevel
  // The data rules left out (--skip-rule), when some were.
  skipRules?: string[]
}

export interface PlanCache {
  request: string
  // The plan but its output and entries (those are the manifest's own).
  plan: Omit<Plan, 'output' | 'entries'>
  inputs: Fingerprint[]
}

// Whether two fingerprints (size, mtime, inode) describe the same file contents.
export function sameFingerprint(a: Omit<Fingerprint, 'path'>, b: Omit<Fingerprint, 'path'>): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino
}

// An input as it is now. One that cannot be looked at (missing, or a PATH directory this user may
// not enter) is recorded as such, so that its appearing later is noticed too.
export function statInput(path: string): Fingerprint {
  let stat
  try {
    // No exception for a missing input: a thrown error costs more than the stat.
    stat = statSync(path, {throwIfNoEntry: false})
  } catch {
    // A directory this user may not enter, a loop.
  }
  return stat ? {path, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino} : {path, size: -1, mtimeMs: -1, ino: -1}
}

// What a plan depends on, cheaply checkable: every source file (with the fingerprint it had when
// it was copied), the directories they and the programs' PATH live in (a new file there changes
// the directory's mtime), the loader's cache and configuration, dpkg's status file (what the data
// rules read of packages) and the directories a missing library was looked for in. Not covered: a
// library dropped, without ldconfig being run, into a directory searched before the one that
// provided it.
function planInputs(plan: Plan, files: ManifestFile[], sysroot = '/'): Fingerprint[] {
  const inputs = new Map<string, Fingerprint>(files.map((f) => [f.source, {path: f.source, size: f.size, mtimeMs: f.mtimeMs, ino: f.ino}]))
  // The package database too: a package installed or removed changes what the data rules bring.
  const paths = new Set<string>([join(sysroot, 'etc/ld.so.cache'), join(sysroot, 'etc/ld.so.conf'), join(sysroot, 'var/lib/dpkg/status')])
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) paths.add(join(sysroot, dir))
  // Where a missing library was looked for: one put there later is noticed.
  for (const missing of plan.missing) for (const path of missing.searched) paths.add(dirname(path))
  for (const entry of plan.entries) {
    if (!entry.source) continue
    if (!inputs.has(entry.source)) paths.add(entry.source)
    paths.add(dirname(entry.source))
  }
  for (const path of paths) if (!inputs.has(path)) inputs.set(path, statInput(path))
  return [...inputs.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

export function planCache(plan: Plan, files: ManifestFile[], request: string, sysroot?: string): PlanCache {
  const {output: _output, entries: _entries, ...body} = plan
  return {request, plan: body, inputs: planInputs(plan, files, sysroot)}
}

// The plan of the previous build, when it was made for the same request and none of its inputs
// changed since; undefined otherwise.
export function cachedPlan(manifest: Manifest | undefined, output: string, request: string): Plan | undefined {
  return manifest?.cache && plansReused() ? freshPlan(manifest.cache, manifest.entries, request, output) : undefined
}

// NS_TOOL_PLAN_STORE=off: every build plans afresh, and keeps no plan for others.
export function plansReused(): boolean {
  return process.env.NS_TOOL_PLAN_STORE !== 'off'
}

// The plan of `cache` with its entries placed at `output`, when it was made for `request` and none
// of its inputs changed since (a rebuild's own plan, or one stored for any output: plan-store.ts).
export function freshPlan(cache: PlanCache, entries: PlanEntry[], request: string, output: string): Plan | undefined {
  if (cache.request !== request) return undefined
  for (const input of cache.inputs) {
    if (!sameFingerprint(statInput(input.path), input)) return undefined
  }
  return {...cache.plan, entries, output}
}

// The manifest of the tree at `output`, read without following a link on the way (the tree may
// have been changed by whoever used it); undefined when there is none or it is not ns-tool's.
export function readManifest(output: string): Manifest | undefined {
  const tree = PinnedTree.open(output)
  if (!tree) return undefined
  try {
    const bytes = tree.readFile(`/${MANIFEST}`) ?? tree.readFile(`/${LEGACY_MANIFEST}`)
    const manifest = bytes && (JSON.parse(bytes.toString('utf8')) as Manifest)
    return manifest && manifest.tool === 'ns-tool' ? manifest : undefined
  } catch {
    return undefined
  } finally {
    tree.close()
  }
}

export function isNsToolRootfs(dir: string): boolean {
  return readManifest(dir) !== undefined
}

// Writes the manifest into a staging tree (ours alone) as a new file.
export function writeManifest(root: string, manifest: Manifest): void {
  writeFileSync(join(root, MANIFEST), JSON.stringify(manifest) + '\n', {flag: 'wx', mode: 0o644})
}

// Replaces the manifest of the tree in place at `output` (a tree others may use: written beneath
// its pinned manifest directory, then renamed over the old one).
export function replaceManifest(output: string, manifest: Manifest): void {
  const tree = PinnedTree.open(output)
  if (!tree) return
  try {
    tree.replaceFile(`/${MANIFEST}`, JSON.stringify(manifest) + '\n')
  } finally {
    tree.close()
  }
}

export function dataPolicyOf(options: BuildOptions): DataPolicy {
  const skipped = options.skipRules?.length ? {skipRules: [...new Set(options.skipRules)].sort()} : {}
  return {data: options.data ?? BUILD_ROOTFS.flags.data.default, dlopen: options.dlopen ?? BUILD_ROOTFS.flags.dlopen.default, ...skipped}
}

export function settingsOf(options: BuildOptions): string {
  return JSON.stringify({copyMode: options.copyMode ?? BUILD_ROOTFS.flags['copy-mode'].default, keepSetuid: options.keepSetuid ?? false, root: process.getuid?.() === 0})
}

// Whether the tree at plan.output is still what the manifest says, for this plan and settings.
export function unchanged(previous: Manifest, plan: Plan, settings: string, reused: boolean): boolean {
  if (previous.settings !== settings || previous.layout !== plan.layout) return false
  // A reused plan is the previous one, its sources already checked.
  if (!reused) {
    if (JSON.stringify(previous.entries) !== JSON.stringify(plan.entries)) return false
    if (!previous.files.every((file) => sameFingerprint(statInput(file.source), file))) return false
  }
  // Every entry still in the tree: a file deleted from it is put back. Told by the directories'
  // mtimes (the manifest of every build since the plan cache has them).
  const root = plan.output
  return previous.dirs !== undefined && previous.dirs.every(([path, mtimeMs]) => lstatSync(root + path, {throwIfNoEntry: false})?.mtimeMs === mtimeMs)
}

export function emptyStats(): BuildStats {
  return {copied: 0, reused: 0, linked: 0, removed: 0, kept: 0, bytesCopied: 0, bytes: 0}
}

// The bytes of a tree's files: those brought from the host (files) and those the plan writes.
export function treeBytes(plan: Plan, files: ManifestFile[]): number {
  let bytes = 0
  for (const file of files) bytes += file.size
  for (const entry of plan.entries) if (entry.content !== undefined) bytes += Buffer.byteLength(entry.content)
  return bytes
}

// The result of a build that left the tree as it was.
export function untouched(plan: Plan, previous: Manifest): BuildResult {
  return {...plan, stats: {...emptyStats(), reused: previous.files.length, bytes: treeBytes(plan, previous.files)}, removed: [], replaced: []}
}
