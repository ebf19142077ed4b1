// What of the previous tree the new one keeps. Without --clean: everything the plan does not
// replace (linked, not copied); with it, nothing. Either way the list of what went is returned.
import {posix} from 'node:path'
import type {Manifest} from './manifest.js'
import {MANIFEST_DIRS} from './manifest.js'
import type {PinnedTree, WritableTree} from './beneath.js'

export interface CarryOver {
  // Entries linked or remade in the new tree.
  kept: number
  // Paths of the previous tree, not written by ns-tool, where the new plan put something else.
  replaced: string[]
  // Paths of the previous tree the new one does not have (--clean).
  removed: string[]
  // Directories remade here, with the modes to give them once everything below is in place.
  dirModes: Array<[string, number]>
}

export function carryOver(old: PinnedTree, tree: WritableTree, previous: Manifest | undefined, clean: boolean): CarryOver {
  // What ns-tool wrote there: a user's file at one of these paths is not "replaced" but updated.
  const own = new Set((previous?.entries ?? []).map((e) => e.path))
  // The cache is remade from the new ld.so.conf, never carried over.
  if (previous) own.add('/etc/ld.so.cache')
  const outcome: CarryOver = {kept: 0, replaced: [], removed: [], dirModes: []}
  const isRoot = process.getuid?.() === 0
  // Everything below an old directory that the new tree has something else in place of.
  const displaced = (dir: string, list: string[]) => {
    for (const name of old.readdir(dir).sort()) {
      const path = posix.join(dir, name)
      if (!own.has(path)) list.push(path)
      if (old.lstat(path)?.isDirectory()) displaced(path, list)
    }
  }
  const walk = (dir: string) => {
    for (const name of old.readdir(dir).sort()) {
      const path = posix.join(dir, name)
      if (MANIFEST_DIRS.some((dir) => path === `/${dir}`)) continue
      const stat = old.lstat(path)
      if (!stat) continue
      const staged = tree.lstat(path)
      if (stat.isDirectory()) {
        if (staged?.isDirectory()) walk(path)
        else if (staged) {
          if (!own.has(path)) outcome.replaced.push(path)
          displaced(path, outcome.replaced)
        } else if (clean) {
          outcome.removed.push(path)
          displaced(path, outcome.removed)
        } else {
          tree.mkdir(path, 0o700)
          if (isRoot) tree.lchown(path, stat.uid, stat.gid)
          outcome.dirModes.push([path, stat.mode & 0o7777])
          walk(path)
        }
        continue
      }
      if (staged || (previous && path === '/etc/ld.so.cache')) {
        if (staged && !own.has(path)) outcome.replaced.push(path)
      } else if (clean) {
        outcome.removed.push(path)
      } else {
        if (stat.isSymbolicLink()) tree.symlink(old.readlink(path), path)
        else tree.link(old.at(path)!, path)
        outcome.kept++
      }
    }
  }
  walk('/')
  return outcome
}
