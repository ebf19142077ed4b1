// What run must know about ROOTFS before it starts anything: that it is a directory, and whether
// its files are the host's own inodes (built with --copy-mode hardlink), which COMMAND must not change.
import {closeSync, constants, fstatSync, lstatSync, openSync, readFileSync, readSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {UsageError} from '../errors.js'

// The tree's manifest, as src/rootfs/write writes it: its `settings` (a JSON string) come before
// the long lists, so the first bytes of even a large tree's manifest say how its files were written.
const MANIFEST_DIR = '.ns-tool'
const MANIFEST = 'manifest.json'
const HEAD = 4096

export function checkRootfs(rootfs: string): void {
  const stat = statSync(rootfs, {throwIfNoEntry: false})
  if (!stat) throw new UsageError(`${rootfs}: no such directory (build one with: ns-tool build-rootfs -o ${rootfs} bash)`)
  if (!stat.isDirectory()) throw new UsageError(`${rootfs}: not a directory (ROOTFS is the directory of a tree, such as one ns-tool build-rootfs made)`)
}

// Whether ns-tool built the tree with --copy-mode hardlink. The manifest is read through no link
// and only when it is a regular file (a FIFO planted there must not block run).
export function sharesHostInodes(rootfs: string): boolean {
  const dir = join(rootfs, MANIFEST_DIR)
  if (!lstatSync(dir, {throwIfNoEntry: false})?.isDirectory()) return false
  let fd: number
  try {
    fd = openSync(join(dir, MANIFEST), constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch {
    return false
  }
  try {
    if (!fstatSync(fd).isFile()) return false
    const head = Buffer.alloc(HEAD)
    const settings = /"settings":("(?:[^"\\]|\\.)*")/.exec(head.toString('utf8', 0, readSync(fd, head, 0, HEAD, 0)))
    const text = settings ? (JSON.parse(settings[1]) as string) : wholeManifestSettings(fd)
    return (JSON.parse(text ?? '{}') as {copyMode?: string}).copyMode === 'hardlink'
  } catch {
    return false
  } finally {
    closeSync(fd)
  }
}

// A manifest whose settings are not in its first bytes (written by another version).
function wholeManifestSettings(fd: number): string | undefined {
  return (JSON.parse(readFileSync(fd, 'utf8')) as {settings?: string}).settings
}
