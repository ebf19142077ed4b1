// The plan's provenance step (src/provenance does the work): each entry copied from the host gets
// its package; unless --no-skeleton, the files scanners read are placed like any host file.
import {Sysroot} from '../../loader/sysroot.js'
import type {BuildOptions} from '../types.js'
import type {EntryMap} from './entries.js'
import {placeHostPath, type HostTree} from './host-layout.js'

export async function placeProvenance(map: EntryMap, tree: HostTree, options: BuildOptions): Promise<void> {
  const {addProvenance} = await import('../../provenance/annotate.js')
  const sysroot = new Sysroot(tree.sysroot)
  addProvenance(
    {
      entries: () => map.entries.values(),
      placeHost: (path, reason) => placeHostPath(map, tree, path, {reason}),
      add: (entry) => {
        const path = map.canonical(entry.path)
        if (!map.has(path)) map.add({...entry, path})
      },
    },
    {sysroot: tree.sysroot, metadata: options.skeleton !== false, osIdentity: !options.base, exists: (path) => sysroot.openable(path) !== undefined},
  )
}
