// The plan (pure: reads the host, writes nothing): from programs to the list of entries the writer
// executes — closure placement by layout, --file additions, busybox, the skeleton, ld.so.cache.
import {lstatSync, readFileSync} from 'node:fs'
import {posix, resolve as resolvePath} from 'node:path'
import {NsToolError} from '../../errors.js'
import type {ResolvedWithData} from '../../data/index.js'
import type {Refusal} from '../../loader/classify.js'
import type {BuildOptions, Layout, Plan} from '../types.js'
import {placeBusybox} from './busybox.js'
import {closureReason, EntryMap} from './entries.js'
import {placeData} from './data.js'
import {FilePlacer, parseFileFlag, type FileRequest} from './files.js'
import {placeFlat} from './flat-layout.js'
import {HostTree, placeHostPath, placeTopLinks, placeTreeDir} from './host-layout.js'
import {ldCacheRecords, libraryDirs} from './ld-cache.js'
import {placeProvenance} from './provenance.js'
import {NSSWITCH_PATH, SKELETON_NSSWITCH, skeletonEntries} from './skeleton.js'
import {BUILD_ROOTFS} from '../../options/build-rootfs.js'

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
  const {closure, data, warnings: dataWarnings, notClosed, unmetRules, extraFiles} = await resolveClosure(await programsToResolve(programs, sysroot, options), requests, sysroot, options)
  // An ELF file a data rule or a trace brought, or a library a .note.dlopen names, keeps that reason.
  const dataReasons = new Map(data.map((file) => [file.path, file.reason]))
  const map = new EntryMap(layout)
  const tree = new HostTree(sysroot)
  if (layout === 'host') {
    for (const file of closure.files) {
      // A --file is placed where it was asked for (below), not at its source's path.
      if (file.kind === 'file' && extraFiles.has(file.path)) continue
      const reason = dataReasons.get(file.path)
      placeHostPath(map, tree, file.path, reason === undefined ? closureReason(file) : {reason})
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
  // After the skeleton, whose files (the tree's own users and hosts) a host file never replaces.
  placeData(map, tree, data)
  // A flat tree cannot run without the cache that points the loader at /lib64.
  if (layout === 'flat' && !map.has('/etc/ld.so.conf') && dirs.length > 0) {
    map.add({path: '/etc/ld.so.conf', type: 'file', content: dirs.map((d) => `${d}\n`).join(''), mode: 0o644, reason: 'ld.so.cache'})
  }
  await placeProvenance(map, tree, options)
  if (layout === 'host') placeTopLinks(map, tree)
  const needsLdCache = dirs.length > 0 && (layout === 'flat' || closure.needsLdCache !== false)
  const ldCache = needsLdCache ? ldCacheRecords(closure, layout) : undefined
  // Told again by a build that reuses the plan: what the programs are, what is left out or not closed.
  const told = [...(closure.warnings ?? []), ...dataWarnings]
  const warnings = told.length > 0 ? {warnings: told} : undefined
  const unclosed = notClosed.length > 0 ? {notClosed: notClosed.filter((file) => map.has(map.canonical(file.path)))} : undefined
  const unmet = unmetRules?.length ? {unmetRules} : undefined
  return {output, layout, programs: closure.programs, entries: map.sorted(), missing: closure.missing, libraryDirs: dirs, ...(ldCache && {ldCache}), ...warnings, ...unclosed, ...unmet}
}

// The PROGRAMs that are programs. Every missing one is named in one error; directories and files
// that are no programs among others are skipped with one warning (an error when nothing is left).
async function programsToResolve(programs: string[], sysroot: string, options: BuildOptions): Promise<string[]> {
  const [{sortPrograms}, {Sysroot}] = await Promise.all([import('../../loader/classify.js'), import('../../loader/sysroot.js')])
  if ((options.traces?.length ?? 0) > 0) (await import('../../data/index.js')).refuseTraceOutsideHost(new Sysroot(sysroot))
  if (programs.length === 0) return programs
  const {found, missing, notPrograms} = sortPrograms(new Sysroot(sysroot), programs)
  if (missing.length > 0) throw new NsToolError(byReason(missing), 'not-found')
  if (found.length === 0) throw new NsToolError(notPrograms.map(({name, reason}) => `${name}: ${reason}`).join('\n'))
  if (notPrograms.length > 0) options.warn?.(`warning: skipped ${notPrograms.length} of the PROGRAMs given: ${notPrograms.map(({name, reason}) => `${name} (${reason})`).join(', ')}`)
  return found
}

// `a, b: not found on PATH (...)`: the programs refused for one reason named in one line.
function byReason(refusals: Refusal[]): string {
  const names = new Map<string, string[]>()
  for (const {name, reason} of refusals) names.set(reason, [...(names.get(reason) ?? []), name])
  return [...names].map(([reason, named]) => `${named.join(', ')}: ${reason}`).join('\n')
}

// The closure of the programs and of the ELF files and scripts among the --file additions (placed
// after the programs, so that they never shadow one; learnt first, so the resolver includes their
// needs), with the data files and traced files (src/data) and their closures.
async function resolveClosure(programs: string[], requests: FileRequest[], sysroot: string, options: BuildOptions): Promise<ResolvedWithData & {extraFiles: Set<string>}> {
  const scratch = new EntryMap()
  const placer = new FilePlacer(scratch, (dir) => scratch.canonical(dir, true))
  for (const request of requests) placer.place(request)
  const extraHost = placer.closable
  const extraFiles = extraHost.map((host) => (sysroot === '/' ? host : host.startsWith(sysroot + '/') ? host.slice(sysroot.length) : host))
  let resolved: ResolvedWithData = {closure: {programs: [], files: [], missing: [], warnings: []}, data: [], warnings: [], notClosed: []}
  if (programs.length > 0 || extraFiles.length > 0 || (options.traces ?? []).length > 0) {
    const {resolveWithData} = await import('../../data/index.js')
    const nsswitch = treeNsswitch(requests, options)
    const data = {data: options.data, dlopen: options.dlopen, traces: options.traces, traceTimeout: options.traceTimeout, traceEnv: options.traceEnv, traceEnvFile: options.traceEnvFile, traceOutput: options.traceOutput, nsswitch, locales: options.locales, langs: options.langs, skipRules: options.skipRules}
    resolved = await resolveWithData(programs, {sysroot, resolver: options.sysroot ? 'elf' : options.resolver, extraFiles}, data)
  }
  const {closure} = resolved
  if (closure.missing.length > 0) {
    const {missingLine} = await import('../../loader/missing.js')
    if (!options.allowMissing) throw new NsToolError([...closure.missing.map(missingLine), 'add the library with --file, or pass --allow-missing'].join('\n'))
    for (const missing of closure.missing) options.warn?.(`warning: ${missingLine(missing)}`)
  }
  for (const warning of [...(closure.warnings ?? []), ...resolved.warnings]) options.warn?.(warning)
  return {...resolved, extraFiles: new Set(extraFiles)}
}

// The /etc/nsswitch.conf the tree will have: a --file one, else the skeleton's.
function treeNsswitch(requests: FileRequest[], options: BuildOptions): string {
  const given = requests.find((request) => request.dest === NSSWITCH_PATH)
  if (given) return readFileSync(given.source, 'utf8')
  return options.skeleton === false ? '' : SKELETON_NSSWITCH
}
