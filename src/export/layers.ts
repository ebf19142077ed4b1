// --layers N: the tree split into up to N layers by owning package, the way Nix's
// buildLayeredImage and apko's origin strategy do it: the most widely shared packages (those most
// other present packages depend on, directly or not; then the largest) get a layer each, in that
// order, and the last layer holds everything else. A package's layer holds its files and links,
// its status.d entries and the directories above them, and nothing that depends on the rest of the
// tree, so two images that hold the same files of a package share that layer's digest.
import {posix} from 'node:path'
import {treeStatus} from '../provenance/status-d.js'
import type {PackageRef} from '../provenance/types.js'
import type {LayerGroup} from './oci.js'
import type {TreeEntry} from './tree.js'

interface PackageFiles {
  key: string
  ref: PackageRef
  paths: string[]
  size: number
}

// owners: the package of each path of the tree, as the build recorded it.
export function layerGroups(rootfs: string, entries: TreeEntry[], owners: Map<string, PackageRef>, max: number): LayerGroup[] {
  const byPackage = new Map<string, PackageFiles>()
  for (const {path, stat} of entries) {
    const ref = stat.isDirectory() ? undefined : owners.get(path)
    if (!ref) continue
    const key = `${ref.name}:${ref.architecture}`
    let files = byPackage.get(key)
    if (!files) byPackage.set(key, (files = {key, ref, paths: [], size: 0}))
    files.paths.push(path)
    files.size += stat.size
  }
  if (max <= 1 || byPackage.size === 0) return [{entries, createdBy: 'ns-tool export'}]
  const shared = popularity(rootfs)
  const ranked = [...byPackage.values()].sort((a, b) => (shared.get(b.key) ?? 0) - (shared.get(a.key) ?? 0) || b.size - a.size || (a.key < b.key ? -1 : 1))
  const own = ranked.slice(0, max - 1)
  const groups: LayerGroup[] = own.map((files) => ({entries: [], createdBy: `ns-tool export: ${files.ref.name} ${files.ref.version} (${files.ref.architecture})`}))
  groups.push({entries: [], createdBy: 'ns-tool export: the rest'})
  const rest = groups.length - 1
  const layerOf = new Map<string, number>()
  // The directories each package layer needs above its files.
  const parents = own.map(() => new Set<string>())
  own.forEach((files, i) => {
    for (const path of files.paths) {
      layerOf.set(path, i)
      for (let dir = posix.dirname(path); dir !== '/' && !parents[i].has(dir); dir = posix.dirname(dir)) parents[i].add(dir)
    }
  })
  for (const entry of entries) {
    if (!entry.stat.isDirectory()) {
      groups[layerOf.get(entry.path) ?? rest].entries.push(entry)
      continue
    }
    parents.forEach((dirs, i) => dirs.has(entry.path) && groups[i].entries.push(entry))
    groups[rest].entries.push(entry)
  }
  return groups
}

// For each present package (NAME:ARCH), how many present packages need it, itself included, by
// the Depends and Pre-Depends of the tree's status.d entries; empty when the tree has none.
function popularity(rootfs: string): Map<string, number> {
  const paragraphs = treeStatus(rootfs)
  const providers = new Map<string, string[]>()
  const provide = (name: string, key: string) => providers.set(name, [...(providers.get(name) ?? []), key])
  for (const [key, fields] of paragraphs) {
    provide(fields.Package, key)
    for (const name of relationNames(fields.Provides)) provide(name, key)
  }
  const needs = new Map<string, string[]>()
  for (const [key, fields] of paragraphs) {
    needs.set(key, [...relationNames(fields.Depends), ...relationNames(fields['Pre-Depends'])].flatMap((name) => providers.get(name) ?? []))
  }
  const count = new Map<string, number>()
  for (const start of paragraphs.keys()) {
    const seen = new Set([start])
    for (const queue = [start]; queue.length > 0; ) {
      for (const next of needs.get(queue.pop()!) ?? []) if (!seen.has(next)) seen.add(next) && queue.push(next)
    }
    for (const key of seen) count.set(key, (count.get(key) ?? 0) + 1)
  }
  return count
}

// "libc6 (>= 2.34), libtinfo6 | libncurses6, python3:any" -> libc6, libtinfo6, libncurses6, python3
function relationNames(field: string | undefined): string[] {
  if (!field) return []
  return field.split(/[,|]/).map((part) => part.trim().split(/[\s(:]/)[0]).filter(Boolean)
}
