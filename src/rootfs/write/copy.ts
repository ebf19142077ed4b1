// The plan's files into the staging tree: the previous tree's very copy when unchanged, else a
// reflink, a copy or (--copy-mode hardlink) the host's own inode, up to COPY_CONCURRENCY at once.
import {constants, lstatSync, type Stats} from 'node:fs'
import {BUILD_ROOTFS} from '../../options/build-rootfs.js'
import {NsToolError} from '../../errors.js'
import type {BuildOptions, BuildStats, PlanEntry} from '../types.js'
import type {WritableTree} from './beneath.js'
import {checkAborted} from './faults.js'
import {sameFingerprint, type ManifestFile, type TreeInode} from './manifest.js'
import type {Stage} from './stage.js'
import {pausePoint} from './switch.js'

const COPY_CONCURRENCY = 8

export interface FileJob {
  entry: PlanEntry
  source: Stats
}

// Every file job done, in order; returns their manifest records.
export async function copyFiles(stage: Stage, jobs: FileJob[]): Promise<ManifestFile[]> {
  const before = new Map((stage.previous?.files ?? []).map((f) => [f.path, f]))
  const files: ManifestFile[] = []
  const copies: Array<FileJob & {record: ManifestFile}> = []
  for (const {entry, source} of jobs) {
    const record: ManifestFile = {path: entry.path, source: entry.source!, size: source.size, mtimeMs: source.mtimeMs, ino: source.ino, tree: {dev: 0, ino: 0, mtimeMs: 0}}
    files.push(record)
    const reused = reuse(stage, entry, record, before.get(entry.path))
    if (!reused) {
      copies.push({entry, source, record})
      continue
    }
    record.tree = reused.tree
    if (reused.hostInode) record.hostInode = true
    stage.stats.reused++
  }
  const total = copies.length
  let done = 0
  if (copies.length > 0) await pausePoint('copy', stage.options.signal)
  const worker = async () => {
    for (let job = copies.shift(); job; job = copies.shift()) {
      checkAborted(stage.plan.output, stage.options.signal)
      const copied = await copyOne(job, stage.tree, stage.options, stage.stats)
      job.record.tree = copied.tree
      if (copied.hostInode) job.record.hostInode = true
      stage.options.progress?.(++done, total)
    }
  }
  await Promise.all(Array.from({length: COPY_CONCURRENCY}, worker))
  return files
}

// The previous tree's copy of an unchanged source, linked into the staging tree — only when it is
// the very file ns-tool wrote: the inode the manifest recorded, untouched since, a regular file
// reached beneath the pinned tree (no link on the way). Anything else is copied afresh.
function reuse(stage: Stage, entry: PlanEntry, record: ManifestFile, old: ManifestFile | undefined): {tree: TreeInode; hostInode: boolean} | undefined {
  if (!old?.tree || !stage.old || old.source !== record.source || !sameFingerprint(old, record)) return undefined
  const name = stage.old.at(entry.path)
  if (name === undefined) return undefined
  try {
    stage.tree.link(name, entry.path)
  } catch {
    // Gone, or a name the kernel will not link: copy again.
    return undefined
  }
  const linked = stage.tree.lstat(entry.path)
  const same = linked?.isFile() && linked.dev === old.tree.dev && linked.ino === old.tree.ino && linked.mtimeMs === old.tree.mtimeMs
  if (same) return {tree: old.tree, hostInode: old.hostInode === true}
  stage.tree.unlink(entry.path)
  return undefined
}


// What was written: the tree's inode, and whether it is the host's own.
export interface Copied {
  tree: TreeInode
  hostInode: boolean
}

async function copyOne(job: FileJob, tree: WritableTree, options: BuildOptions, stats: BuildStats): Promise<Copied> {
  const {entry, source} = job
  const mode = options.keepSetuid ? source.mode & 0o7777 : source.mode & 0o1777
  const copyMode = options.copyMode ?? BUILD_ROOTFS.flags['copy-mode'].default
  if (copyMode === 'hardlink' && mode === (source.mode & 0o7777)) {
    try {
      tree.link(entry.source!, entry.path)
      stats.linked++
      return {tree: {dev: source.dev, ino: source.ino, mtimeMs: source.mtimeMs}, hostInode: true}
    } catch (error) {
      // Another filesystem, or protected_hardlinks: fall back to a copy. A tree refusing the
      // name is not something a copy would fix.
      if (!['EXDEV', 'EPERM', 'EACCES', 'EMLINK'].includes((error as NodeJS.ErrnoException).code ?? '')) throw error
    }
  }
  const flag = copyMode === 'reflink' ? constants.COPYFILE_FICLONE_FORCE : copyMode === 'copy' ? 0 : constants.COPYFILE_FICLONE
  try {
    await tree.copyFrom(entry.source!, entry.path, flag)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (copyMode === 'reflink' && (code === 'EOPNOTSUPP' || code === 'ENOTSUP' || code === 'EXDEV' || code === 'EINVAL' || code === 'ENOSYS')) {
      throw new NsToolError(`--copy-mode reflink: ${entry.source} cannot be cloned here (${code}); use --copy-mode auto`)
    }
    throw error
  }
  if (process.getuid?.() === 0) tree.lchown(entry.path, source.uid, source.gid)
  tree.chmod(entry.path, mode)
  stats.copied++
  stats.bytesCopied += source.size
  const copy = lstatSync(tree.resolve(entry.path))
  return {tree: {dev: copy.dev, ino: copy.ino, mtimeMs: copy.mtimeMs}, hostInode: false}
}
