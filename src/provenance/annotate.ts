// Provenance in the plan (called once by it, after every other entry is placed): each entry that
// copies a host file, or recreates a host link, gets the installed package that ships it; with
// `metadata`, the tree also gets what scanners read: the OS identity files, each present
// package's copyright file (/usr/share/doc/NAME/copyright, where licenses are read from) and a
// dpkg database of exactly the packages present (status.d).
import {posix} from 'node:path'
import {packageDatabase, type InstalledPackage, type PackageDatabase} from '../data/packages.js'
import {OS_IDENTITY_FILES} from './os-release.js'
import {statusFiles} from './status-d.js'
import type {PackageRef, ProvenanceEntry} from './types.js'

// The plan, as provenance adds to it.
export interface ProvenanceTree {
  entries(): Iterable<ProvenanceEntry>
  // Places a file of the sysroot at its own path, links on the way recreated (nothing when there).
  placeHost(path: string, reason: string): void
  // Adds a generated entry at its path unless one is there.
  add(entry: ProvenanceEntry): void
}

export interface ProvenanceOptions {
  sysroot: string
  // The OS identity files, copyright files and package database; off: only the annotations.
  metadata: boolean
  // Whether the OS identity files come from the sysroot (not when a --base brings its own).
  osIdentity: boolean
  // Whether a file exists in the sysroot (a path inside it).
  exists(path: string): boolean
}

// Links that ns-tool makes, not copies of a host link.
const MADE_LINKS = new Set(['merged /usr link', 'busybox applet', 'skeleton', 'file'])

export function addProvenance(tree: ProvenanceTree, options: ProvenanceOptions): void {
  const db = packageDatabase(options.sysroot)
  if (db.format === 'none') return
  if (options.metadata && options.osIdentity) {
    for (const path of OS_IDENTITY_FILES) if (options.exists(path)) tree.placeHost(path, 'os identity')
  }
  let present = annotate(tree, db, options.sysroot)
  if (!options.metadata) return
  // A copyright file may come from another package (/usr/share/doc/libgcc-s1 -> gcc-12-base),
  // which is then present too and needs its own.
  for (let placed = new Set<string>(); ; ) {
    const missing = [...present.keys()].filter((key) => !placed.has(key))
    if (missing.length === 0) break
    for (const key of missing) {
      placed.add(key)
      const copyright = posix.join('/usr/share/doc', present.get(key)!.pkg.name, 'copyright')
      if (options.exists(copyright)) tree.placeHost(copyright, 'copyright')
    }
    present = annotate(tree, db, options.sysroot)
  }
  for (const {pkg, paths} of [...present.values()].sort((a, b) => compareKeys(a.pkg, b.pkg))) {
    for (const file of statusFiles(db, pkg, paths)) tree.add({path: file.path, type: 'file', content: file.content, mode: 0o644, reason: 'package database', package: packageRef(pkg)})
  }
}

interface PresentPackage {
  pkg: InstalledPackage
  // Canonical host paths of its files in the tree.
  paths: Set<string>
}

// Sets `package` on every entry with a host origin; returns the packages present, by name:arch.
function annotate(tree: ProvenanceTree, db: PackageDatabase, sysroot: string): Map<string, PresentPackage> {
  const present = new Map<string, PresentPackage>()
  for (const entry of tree.entries()) {
    if (entry.reason === 'package database') continue
    const origin = hostOrigin(entry, sysroot)
    if (origin === undefined) continue
    const pkg = db.ownerOf(origin)
    if (!pkg) continue
    entry.package ??= packageRef(pkg)
    const key = `${pkg.name}:${pkg.architecture}`
    let found = present.get(key)
    if (!found) present.set(key, (found = {pkg, paths: new Set()}))
    found.paths.add(db.canonical(origin))
  }
  return present
}

// The path inside the sysroot an entry copies: a file's source, or a recreated host link's own path.
function hostOrigin(entry: ProvenanceEntry, sysroot: string): string | undefined {
  if (entry.type === 'file' && entry.source !== undefined) {
    if (sysroot === '/') return entry.source
    return entry.source.startsWith(sysroot + '/') ? entry.source.slice(sysroot.length) : undefined
  }
  if (entry.type === 'symlink' && !MADE_LINKS.has(entry.reason)) return entry.path
  return undefined
}

// The package of each path (inside the sysroot) that one ships: what `deps` shows.
export function packagesOf(paths: string[], sysroot: string): Map<string, PackageRef> {
  const db = packageDatabase(sysroot)
  const found = new Map<string, PackageRef>()
  for (const path of paths) {
    const pkg = db.ownerOf(path)
    if (pkg) found.set(path, packageRef(pkg))
  }
  return found
}

export function packageRef(pkg: InstalledPackage): PackageRef {
  return {name: pkg.name, version: pkg.version, architecture: pkg.architecture}
}

function compareKeys(a: InstalledPackage, b: InstalledPackage): number {
  const x = `${a.name}:${a.architecture}`
  const y = `${b.name}:${b.architecture}`
  return x < y ? -1 : x > y ? 1 : 0
}
