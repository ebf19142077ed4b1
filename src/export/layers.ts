// --layers N: the tree split into up to N layers by owning package, the way Nix's
// buildLayeredImage and apko's origin strategy do it: the packages most widely needed get a layer
// each, in that order, and the last layer holds everything else. "Most widely needed" is read from
// the package database the tree was built from, never from the tree, so every image of that host
// ranks two packages alike: images of overlapping program sets give their common packages layers of
// their own (with few layers too) and share them. A package's layer holds its files and links, its
// status.d entries and the directories above them, and nothing that depends on the rest of the tree,
// so two images that hold the same files of a package share that layer's digest.
import {posix} from 'node:path'
import type {PackageDatabase} from '../data/packages.js'
import type {PackageRef} from '../provenance/types.js'
import type {LayerGroup} from './oci.js'
import type {TreeEntry} from './tree.js'

interface PackageFiles {
  key: string
  ref: PackageRef
  paths: string[]
}

// owners: the package of each path of the tree, as the build recorded it; db: the package database
// it was built from.
export function layerGroups(entries: TreeEntry[], owners: Map<string, PackageRef>, db: PackageDatabase, max: number): LayerGroup[] {
  const byPackage = new Map<string, PackageFiles>()
  for (const {path, stat} of entries) {
    const ref = stat.isDirectory() ? undefined : owners.get(path)
    if (!ref) continue
    const key = `${ref.name}:${ref.architecture}`
    let files = byPackage.get(key)
    if (!files) byPackage.set(key, (files = {key, ref, paths: []}))
    files.paths.push(path)
  }
  if (max <= 1 || byPackage.size === 0) return [{entries, createdBy: 'ns-tool export'}]
  const rank = hostRanking(db)
  // A package the database does not have (any more) comes after those it has.
  const rankOf = (key: string) => rank.get(key) ?? rank.size
  const ranked = [...byPackage.values()].sort((a, b) => rankOf(a.key) - rankOf(b.key) || (a.key < b.key ? -1 : 1))
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

// Every installed package (NAME:ARCH) of the database by its rank, 0 first: the most packages
// needing it, directly or not, by Depends and Pre-Depends (Provides resolved), every package
// needing the essential ones, which Debian policy (3.8) lets them leave unsaid; then the most
// naming it themselves (all, for an essential one); then by name. Nothing of a tree counts.
function hostRanking(db: PackageDatabase): Map<string, number> {
  const packages = db.packages()
  const keyOf = (pkg: {name: string; architecture: string}) => `${pkg.name}:${pkg.architecture}`
  const providers = new Map<string, string[]>()
  const provide = (name: string, key: string) => providers.set(name, [...(providers.get(name) ?? []), key])
  for (const pkg of packages) {
    provide(pkg.name, keyOf(pkg))
    for (const name of relationNames(pkg.fields.Provides)) provide(name, keyOf(pkg))
  }
  const essential = packages.filter((pkg) => pkg.fields.Essential === 'yes').map(keyOf)
  const needs = new Map<string, Set<string>>()
  const direct = new Map<string, number>()
  for (const pkg of packages) {
    const named = [...relationNames(pkg.fields.Depends), ...relationNames(pkg.fields['Pre-Depends'])].flatMap((name) => providers.get(name) ?? [])
    for (const key of new Set(named)) direct.set(key, (direct.get(key) ?? 0) + 1)
    needs.set(keyOf(pkg), new Set([...named, ...essential]))
  }
  for (const key of essential) direct.set(key, packages.length)
  const needed = new Map<string, number>()
  for (const start of needs.keys()) {
    const seen = new Set([start])
    for (const queue = [start]; queue.length > 0; ) {
      for (const next of needs.get(queue.pop()!) ?? []) if (!seen.has(next)) seen.add(next) && queue.push(next)
    }
    for (const key of seen) needed.set(key, (needed.get(key) ?? 0) + 1)
  }
  const count = (map: Map<string, number>, key: string) => map.get(key) ?? 0
  const order = [...needs.keys()].sort((a, b) => count(needed, b) - count(needed, a) || count(direct, b) - count(direct, a) || (a < b ? -1 : 1))
  return new Map(order.map((key, i) => [key, i]))
}

// "libc6 (>= 2.34), libtinfo6 | libncurses6, python3:any" -> libc6, libtinfo6, libncurses6, python3
function relationNames(field: string | undefined): string[] {
  if (!field) return []
  return field.split(/[,|]/).map((part) => part.trim().split(/[\s(:]/)[0]).filter(Boolean)
}
