// The plan (pure: reads the host, writes nothing): from programs to the list of entries the writer
// executes — closure placement by layout, --file additions, busybox, the skeleton, ld.so.cache.
import {lstatSync} from 'node:fs'
import {posix, resolve as resolvePath} from 'node:path'
import {NsToolError} from '../../errors.js'
import type {Closure} from '../../loader/types.js'
import type {BuildOptions, Layout, Plan} from '../types.js'
import {placeBusybox} from './busybox.js'
import {closureReason, EntryMap} from './entries.js'
import {FilePlacer, parseFileFlag, type FileRequest} from './files.js'
import {placeFlat} from './flat-layout.js'
import {HostTree, placeHostPath, placeTopLinks, placeTreeDir} from './host-layout.js'
import {ldCacheRecords, libraryDirs} from './ld-cache.js'
import {placeProvenance} from './provenance.js'
import {skeletonEntries} from './skeleton.js'
import {BUILD_ROOTFS} from '../../cli/options/build-rootfs.js'

export {findBusybox} from './busybox.js'
export {parseFileFlag, type FileRequest} from './files.js'

export async function plan(programs: string[], options: BuildOptions = {}): Promise<Plan> {
  const layout: Layout = options.layout ?? BUILD_ROOTFS.flags.layout.default
  const sysroot = options.sysroot ? resolvePath(options.sysroot) : '/'
  const output = resolvePath(options.output ?? BUILD_ROOTFS.flags.output.default)
  const requests = (options.files ?? []).map(parseFileFlag)
  for (const request of requests) {
    if (!lstatSync(request.source, {throwIfNoEntry: false})) throw new NsToolError(`--file ${request.source}: no such file or directory`)
  }
  const closure = await resolveClosure(programs, requests, sysroot, options)
  const map = new EntryMap(layout)
  const tree = new HostTree(sysroot)
  if (layout === 'host') {
    for (const file of closure.files) {
      placeHostPath(map, tree, file.path, closureReason(file))
      for (const variant of file.variants ?? []) if (variant !== file.path) placeHostPath(map, tree, variant, {reason: 'library (hwcaps variant)'})
    }
    // musl's loader reads its directories from the sysroot's path file, where there is one.
    for (const pathFile of closure.muslPathFiles ?? []) if (tree.lstat(posix.join(sysroot, pathFile))) placeHostPath(map, tree, pathFile, {reason: 'musl loader path'})
  } else {
    placeFlat(map, sysroot, closure)
    // musl's loader does not search /lib64 by default.
    for (const pathFile of closure.muslPathFiles ?? []) map.add({path: map.canonical(pathFile), type: 'file', content: '/lib64\n', mode: 0o644, reason: 'musl loader path'})
  }
  // Where an in-rootfs directory really is: the host's links on the way recreated (host layout).
  const dirOf = (dir: string) => (layout === 'host' ? placeTreeDir(map, tree, dir) : map.canonical(dir, true))
  const files = new FilePlacer(map, dirOf, options.warn)
  for (const request of requests) files.place(request)
  if (options.busybox) await placeBusybox(map, options.busybox, dirOf)

  const dirs = libraryDirs(map.entries.values())
  if (options.skeleton !== false) {
    for (const entry of skeletonEntries(dirs)) {
      const path = map.canonical(entry.path)
      if (!map.has(path)) map.add({...entry, path})
    }
  }
  // A flat tree cannot run without the cache that points the loader at /lib64.
  if (layout === 'flat' && !map.has('/etc/ld.so.conf') && dirs.length > 0) {
    map.add({path: '/etc/ld.so.conf', type: 'file', content: dirs.map((d) => `${d}\n`).join(''), mode: 0o644, reason: 'ld.so.cache'})
  }
  await placeProvenance(map, tree, options)
  if (layout === 'host') placeTopLinks(map, tree)
  const needsLdCache = dirs.length > 0 && (layout === 'flat' || closure.needsLdCache !== false)
  const ldCache = needsLdCache ? ldCacheRecords(closure, layout) : undefined
  const warnings = closure.warnings?.length ? {warnings: closure.warnings} : undefined
  return {output, layout, programs: closure.programs, entries: map.sorted(), missing: closure.missing, libraryDirs: dirs, ...(ldCache && {ldCache}), ...warnings}
}

// The closure of the programs and of the ELF files among the --file additions (placed after the
// programs, so that they never shadow one; learnt first, so the resolver includes their needs).
async function resolveClosure(programs: string[], requests: FileRequest[], sysroot: string, options: BuildOptions): Promise<Closure> {
  const scratch = new EntryMap()
  const placer = new FilePlacer(scratch, (dir) => scratch.canonical(dir, true))
  for (const request of requests) placer.place(request)
  const extraHost = placer.elfFiles
  const extraFiles = extraHost.map((host) => (sysroot === '/' ? host : host.startsWith(sysroot + '/') ? host.slice(sysroot.length) : host))
  let closure: Closure = {programs: [], files: [], missing: []}
  if (programs.length > 0 || extraFiles.length > 0) {
    const {resolve} = await import('../../resolve/index.js')
    closure = await resolve(programs, {sysroot, resolver: options.sysroot ? 'elf' : options.resolver, extraFiles})
  }
  if (closure.missing.length > 0) {
    const {missingLine} = await import('../../loader/missing.js')
    if (!options.allowMissing) throw new NsToolError([...closure.missing.map(missingLine), 'add the library with --file, or pass --allow-missing'].join('\n'))
    for (const missing of closure.missing) options.warn?.(`warning: ${missingLine(missing)}`)
  }
  for (const warning of closure.warnings ?? []) options.warn?.(warning)
  return closure
}
