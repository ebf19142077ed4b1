// The host layout: each file at the path it has on the host (or in the sysroot), with every
// symlink met on the way recreated, so /bin/bash works whether /bin is a directory or a link.
import type {Stats} from 'node:fs'
import {lstatSync, readlinkSync} from 'node:fs'
import {posix} from 'node:path'
import {NsToolError} from '../../errors.js'
import {MAX_LINK_DEPTH, type EntryMap, type EntryReason} from './entries.js'

// The host as the host layout reads it: each path lstat-ed and each link read once per plan, and
// each directory placed once (the libraries of a thousand programs share a handful of them).
export class HostTree {
  private readonly stats = new Map<string, Stats | undefined>()
  private readonly links = new Map<string, string>()
  // In-rootfs directory as written -> its real path, every link on the way already placed.
  readonly dirs = new Map<string, string>([['/', '/']])

  constructor(readonly sysroot: string) {}

  lstat(path: string): Stats | undefined {
    if (!this.stats.has(path)) this.stats.set(path, lstatSync(path, {throwIfNoEntry: false}))
    return this.stats.get(path)
  }

  readlink(path: string): string {
    let target = this.links.get(path)
    if (target === undefined) this.links.set(path, (target = readlinkSync(path)))
    return target
  }
}

// A clean absolute path's parent placed (its real directory in the rootfs), the path under that
// directory, and what the host has there.
function placeParent(map: EntryMap, tree: HostTree, path: string, depth: number): {parent: string; placed: string; host: string; stat: Stats} {
  const slash = path.lastIndexOf('/')
  const parent = placeDir(map, tree, slash === 0 ? '/' : path.slice(0, slash), depth)
  const placed = parent === '/' ? path.slice(slash) : parent + path.slice(slash)
  const host = posix.join(tree.sysroot, placed)
  const stat = tree.lstat(host)
  if (!stat) throw new NsToolError(`${host}: no such file`)
  return {parent, placed, host, stat}
}

// The real path of directory `dir` in the rootfs, having placed every symlink met on the way
// (the link and what it points to), so /bin/bash works whether /bin is a directory or a link to
// usr/bin. Paths are clean and absolute; `..` in a link target is taken lexically from the real
// directory the link sits in, as the kernel does.
export function placeDir(map: EntryMap, tree: HostTree, dir: string, depth = 0): string {
  const known = tree.dirs.get(dir)
  if (known !== undefined) return known
  if (depth > MAX_LINK_DEPTH) throw new NsToolError(`${dir}: too many levels of symbolic links`)
  const {parent, placed: path, host, stat} = placeParent(map, tree, dir, depth)
  let real: string
  if (stat.isSymbolicLink()) {
    const target = tree.readlink(host)
    // A merged-/usr link is one whoever meets it first (a program's path, a data file's).
    map.add({path, type: 'symlink', target, reason: MERGED_USR_LINKS.includes(path) ? 'merged /usr link' : 'link on the way'})
    real = placeDir(map, tree, posix.normalize(target.startsWith('/') ? target : posix.join(parent, target)), depth + 1)
  } else if (stat.isDirectory()) {
    real = path
  } else {
    throw new NsToolError(`${host}: not a directory`)
  }
  tree.dirs.set(dir, real)
  return real
}

// What a path placed by placeHostPath finally is (after its links): where it is in the rootfs, the
// host path it comes from, and the host's stat of it.
export interface Placed {
  path: string
  host: string
  stat: Stats
}

// Host layout: the file at its host path, with every symlink on the way recreated.
export function placeHostPath(map: EntryMap, tree: HostTree, path: string, entry: EntryReason, depth = 0): Placed {
  if (depth > MAX_LINK_DEPTH) throw new NsToolError(`${path}: too many levels of symbolic links`)
  const {parent, placed, host, stat} = placeParent(map, tree, posix.normalize(path), depth)
  if (stat.isSymbolicLink()) {
    const target = tree.readlink(host)
    map.add({path: placed, type: 'symlink', target, reason: entry.reason})
    return placeHostPath(map, tree, target.startsWith('/') ? target : posix.join(parent, target), entry, depth + 1)
  }
  if (stat.isDirectory()) map.add({path: placed, type: 'dir', mode: stat.mode & 0o7777, reason: entry.reason})
  else map.add({...entry, path: placed, type: 'file', source: host, mode: stat.mode & 0o7777})
  return {path: placed, host, stat}
}

// The real directory in the rootfs for in-rootfs directory `dir` as written: where the host (or
// sysroot) has a link on the way, the link is placed and followed (so `-f x:/bin/x` lands in
// /usr/bin beside the programs, with /bin -> usr/bin); where it has none, the path stays.
export function placeTreeDir(map: EntryMap, tree: HostTree, dir: string): string {
  if (dir === '/') return '/'
  const path = posix.join(placeTreeDir(map, tree, posix.dirname(dir)), posix.basename(dir))
  const placed = map.get(path)
  if (placed) return placed.type === 'symlink' ? map.canonical(path, true) : path
  if (tree.lstat(posix.join(tree.sysroot, path))?.isSymbolicLink()) return placeDir(map, tree, path)
  return path
}

const MERGED_USR_LINKS = ['/bin', '/sbin', '/lib', '/lib32', '/lib64', '/libx32']

// Merged /usr: the host's top-level links (/bin -> usr/bin ...) come too, so /bin/bash works for a
// program found at /usr/bin/bash, as on the host — each only when the directory it names holds
// something in the rootfs (a link to nothing would dangle). Placed last, once that is known.
export function placeTopLinks(map: EntryMap, tree: HostTree): void {
  for (const top of MERGED_USR_LINKS) {
    const host = posix.join(tree.sysroot, top)
    if (map.has(top) || !tree.lstat(host)?.isSymbolicLink()) continue
    const target = tree.readlink(host)
    if (map.get(map.canonical(posix.join('/', target), true))?.type === 'dir') map.add({path: top, type: 'symlink', target, reason: 'merged /usr link'})
  }
}
