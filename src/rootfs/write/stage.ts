// The plan executed into a private staging tree beside the output — directories, links, generated
// files, copies, the reuse of unchanged files, what is kept of the old tree — then switched in.
import {existsSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {NsToolError} from '../../errors.js'
import type {BuildOptions, BuildResult, BuildStats, Plan} from '../types.js'
import {PinnedTree, removeTree, WritableTree} from './beneath.js'
import {carryOver, type CarryOver} from './carry-over.js'
import {copyFiles, type FileJob} from './copy.js'
import {checkAborted, writeFailure} from './faults.js'
import {dataPolicyOf, emptyStats, treeBytes, MANIFEST_DIR, planCache, replaceManifest, settingsOf, unchanged, untouched, writeManifest, type Manifest, type ManifestFile} from './manifest.js'
import {checkOutput} from './output.js'
import {createStaging, pausePoint, switchIn} from './switch.js'

export type Request = BuildOptions & {request?: string}

export interface Stage {
  plan: Plan
  tree: WritableTree
  // The previous tree (pinned) and its manifest, for reusing unchanged files.
  old?: PinnedTree
  previous?: Manifest
  options: BuildOptions
  stats: BuildStats
  // The staging tree holds only what this build made (no base was extracted into it).
  fresh: boolean
}

// Writes every entry; returns the files copied (for the manifest) and the directory modes, which
// the caller applies last (a 0555 /proc must not stop anything from being made below it).
export async function writeEntries(stage: Stage): Promise<{files: ManifestFile[]; dirModes: Array<[string, number]>}> {
  const {plan, tree} = stage
  const jobs: FileJob[] = []
  const dirModes: Array<[string, number]> = []
  for (const entry of plan.entries) {
    const existing = stage.fresh ? (tree.knownDirectory(entry.path) ? 'dir' : undefined) : kind(tree, entry.path)
    if (entry.type === 'dir') {
      if (!existing) tree.mkdir(entry.path)
      else if (existing !== 'dir') throw new NsToolError(`${entry.path}: the base has a file where a directory is needed`)
      if (entry.mode !== undefined) dirModes.push([entry.path, entry.mode])
      continue
    }
    if (existing === 'dir') {
      // A base tree's real directory stands where the host has a link (Alpine's /bin): keep it.
      if (entry.type === 'symlink') continue
      throw new NsToolError(`${entry.path}: the base has a directory where a file is needed`)
    }
    if (existing) tree.unlink(entry.path)
    if (entry.type === 'symlink') tree.symlink(entry.target!, entry.path)
    else if (entry.content !== undefined) tree.writeFile(entry.path, entry.content, entry.mode ?? 0o644)
    else jobs.push({entry, source: statSync(entry.source!)})
  }
  const files = await copyFiles(stage, jobs)
  return {files, dirModes}
}

function kind(tree: WritableTree, path: string): 'dir' | 'other' | undefined {
  const stat = tree.lstat(path)
  return stat ? (stat.isDirectory() ? 'dir' : 'other') : undefined
}

// The mtime of every directory of the plan in the staging tree.
export function directoryTimes(tree: WritableTree, plan: Plan): Array<[string, number]> {
  return ['/', ...plan.entries.filter((e) => e.type === 'dir').map((e) => e.path)].map((path) => [path, tree.lstat(path)!.mtimeMs])
}

// Directory modes, deepest first.
export function applyDirModes(tree: WritableTree, dirModes: Array<[string, number]>): void {
  for (const [path, mode] of [...dirModes].reverse()) tree.chmod(path, mode)
}

// /etc/ld.so.cache, where the loader needs one. The plan lists what it holds; a base tree brings
// libraries of its own, which only ldconfig's scan of the tree knows: then the host's ldconfig,
// chrooted into the staging tree (-X: leave the library links as planned), makes it from the
// tree's /etc/ld.so.conf. ldconfig -r needs chroot(): as a normal user it runs in a user
// namespace where it is root.
export async function makeLdCache(plan: Plan, tree: WritableTree, options: BuildOptions): Promise<void> {
  if (!options.base) {
    if (!plan.ldCache) return
    const {serializeLdCache} = await import('../../loader/ld-cache.js')
    tree.writeFile('/etc/ld.so.cache', serializeLdCache(plan.ldCache), 0o644)
    return
  }
  if (plan.libraryDirs.length === 0 || !plan.entries.some((e) => e.path === '/etc/ld.so.conf')) return
  const ldconfig = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => existsSync(p))
  if (!ldconfig) {
    options.warn?.('warning: no ldconfig on this host: the rootfs has no /etc/ld.so.cache (libraries outside the loader\'s default directories will not be found)')
    return
  }
  const {spawnSync} = await import('node:child_process')
  const argv = ['-X', '-r', tree.root]
  const run = process.getuid?.() === 0 ? spawnSync(ldconfig, argv, {encoding: 'utf8'}) : spawnSync('unshare', ['--user', '--map-root-user', ldconfig, ...argv], {encoding: 'utf8'})
  if (run.status !== 0 || !existsSync(join(tree.root, 'etc', 'ld.so.cache'))) {
    const detail = (run.stderr || run.error?.message || '').trim().split('\n')[0]
    if (plan.layout === 'flat') throw new NsToolError(`ldconfig could not make /etc/ld.so.cache for the flat layout (${detail}); run as root or enable user namespaces, or use --layout host`)
    options.warn?.(`warning: ldconfig could not make /etc/ld.so.cache (${detail})`)
  }
}

// reused: the plan is the previous build's, whose inputs (every source among them) were just
// found unchanged.
export async function writeLocked(plan: Plan, manifest: Manifest | undefined, options: Request, reused: boolean): Promise<BuildResult> {
  const output = plan.output
  const previous = checkOutput(plan, options, manifest)
  // Nothing changed (same plan, same settings, every source as it was, every file still there):
  // leave the tree alone, without even a new staging directory.
  if (previous && !options.clean && !options.base && unchanged(previous, plan, settingsOf(options), reused)) {
    // A plan made afresh (another request, an input touched) is recorded for the next rebuild,
    // with what this build was asked to hold (--data, --dlopen: verify's measure); the manifest is
    // replaced by rename, the tree is not touched.
    if (!reused && options.request) {
      replaceManifest(output, {...previous, cache: planCache(plan, previous.files, options.request, options.sysroot), data: dataPolicyOf(options), notClosed: plan.notClosed, unmetRules: plan.unmetRules})
    }
    return untouched(plan, previous)
  }
  const staging = createStaging(output)
  let switched = false
  try {
    const {stats, outcome} = await stageTree(plan, staging, previous, options, reused)
    await pausePoint('staged', options.signal)
    checkAborted(output, options.signal)
    await switchIn(staging, output, () => (switched = true), options.signal)
    return {...plan, stats, removed: outcome.removed, replaced: outcome.replaced}
  } catch (error) {
    if (!switched) removeTree(staging)
    throw writeFailure(error, staging, output)
  }
}

// Everything of the new tree, in the staging directory: the base, the plan's entries, what is
// kept of the previous tree, the loader's cache, the manifest; a plan just made is also stored
// for later builds of the same request (plan-store.ts).
async function stageTree(plan: Plan, staging: string, previous: Manifest | undefined, options: Request, reused: boolean): Promise<{stats: BuildStats; outcome: CarryOver}> {
  const stats = emptyStats()
  const tree = new WritableTree(staging)
  if (options.base) {
    const {extractBase} = await import('./base.js')
    await extractBase(options.base, tree, {root: process.getuid?.() === 0, warn: options.warn})
  }
  const old = PinnedTree.open(plan.output)
  let outcome: CarryOver = {kept: 0, replaced: [], removed: [], dirModes: []}
  try {
    const {files, dirModes} = await writeEntries({plan, tree, old, previous, options, stats, fresh: !options.base})
    stats.bytes = treeBytes(plan, files)
    await makeLdCache(plan, tree, options)
    checkAborted(plan.output, options.signal)
    if (old) outcome = carryOver(old, tree, previous, options.clean === true)
    applyDirModes(tree, [...dirModes, ...outcome.dirModes])
    stats.kept = outcome.kept
    stats.removed = outcome.removed.length
    const cache = options.request ? planCache(plan, files, options.request, options.sysroot) : undefined
    tree.mkdir(`/${MANIFEST_DIR}`)
    // After the last change to the tree's directories (renames keep a directory's mtime).
    const dirs = directoryTimes(tree, plan)
    const sharesHostInodes = files.some((f) => f.hostInode)
    writeManifest(staging, {tool: 'ns-tool', version: 1, layout: plan.layout, settings: settingsOf(options), sharesHostInodes, files, entries: plan.entries, dirs, cache, data: dataPolicyOf(options), notClosed: plan.notClosed, unmetRules: plan.unmetRules})
    if (cache && !reused) (await import('./plan-store.js')).storePlan(cache, plan.entries, options)
  } finally {
    old?.close()
  }
  return {stats, outcome}
}

