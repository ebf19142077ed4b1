// The data files (src/data: package files, data rules, traces) at their host paths, as the host
// layout places any file, with every link on the way.
import {posix} from 'node:path'
import type {DataFile} from '../../data/index.js'
import type {EntryMap} from './entries.js'
import {placeHostPath, type HostTree} from './host-layout.js'

export function placeData(map: EntryMap, tree: HostTree, data: DataFile[]): void {
  for (const file of data) {
    placeHostPath(map, tree, file.path, {reason: file.reason})
    // A directory already made as the parent of some file takes the data's reason and its mode.
    const entry = map.get(map.canonical(file.path))
    if (entry?.type === 'dir' && entry.reason === 'parent') {
      entry.reason = file.reason
      entry.mode = (tree.lstat(posix.join(tree.sysroot, entry.path))?.mode ?? 0o40755) & 0o7777
    }
  }
}
