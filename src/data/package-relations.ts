// The packages a tree's files bring besides their own (the data rules' package-aware part): the
// packages of its programs and libraries, the data-only packages those depend on or recommend,
// and the translation packages of their sources.
import {isElfFile} from '../elf/ident.js'
import type {Sysroot} from '../loader/sysroot.js'
import {shipsPrograms} from './package-files.js'
import {firstInstalled, relationsOf, type InstalledPackage} from './packages.js'
import type {RuleContext} from './rules.js'

// The packages of the programs (named, and the file each leads to) and of the libraries.
function treePackages(context: RuleContext): InstalledPackage[] {
  const db = context.packages
  if (!db) return []
  const paths = [...context.programs.flatMap((program) => [program.path, program.real]), ...context.libraries]
  return [...new Set(paths.map((path) => db.ownerOf(path)).filter((pkg) => pkg !== undefined))]
}

export function libraryPackages(context: RuleContext): Array<{pkg: InstalledPackage; library: string}> {
  const db = context.packages
  if (!db) return []
  const found = new Map<InstalledPackage, string>()
  for (const library of context.libraries) {
    const pkg = db.ownerOf(library)
    if (pkg && !found.has(pkg)) found.set(pkg, library)
  }
  return [...found].map(([pkg, library]) => ({pkg, library}))
}

// The data-only packages the tree's packages depend on or recommend, with the relation that
// brings each; packages of the same source are one program split in parts, and are followed.
const DATA_FIELDS = ['Pre-Depends', 'Depends', 'Recommends']
export function dataPackages(context: RuleContext): Array<{pkg: InstalledPackage; why: string}> {
  const db = context.packages
  if (!db) return []
  const queue = treePackages(context)
  const seen = new Set(queue)
  const found: Array<{pkg: InstalledPackage; why: string}> = []
  for (let i = 0; i < queue.length; i++) {
    const from = queue[i]
    for (const field of DATA_FIELDS) {
      for (const group of relationsOf(from, field)) {
        const pkg = firstInstalled(db, group, from.architecture)
        if (!pkg || seen.has(pkg)) continue
        seen.add(pkg)
        if (isDataOnly(context, pkg)) found.push({pkg, why: `${field} of ${from.name}`})
        else if (sourceOf(pkg) === sourceOf(from)) queue.push(pkg)
      }
    }
  }
  return found
}

// Known per package: the rules run again on every library the closure gains, and telling means
// reading the head of each of the package's files (tzdata has 1,800).
const dataOnly = new WeakMap<InstalledPackage, boolean>()
function isDataOnly(context: RuleContext, pkg: InstalledPackage): boolean {
  if (pkg.architecture !== 'all') return false
  let known = dataOnly.get(pkg)
  if (known === undefined) dataOnly.set(pkg, (known = !shipsPrograms(context.packages!, pkg, (path) => isElfIn(context.sysroot, path))))
  return known
}

function isElfIn(sysroot: Sysroot, path: string): boolean {
  try {
    return isElfFile(sysroot.hostPath(sysroot.realpath(path)))
  } catch {
    return false
  }
}

// The source package a binary package was built from ("glibc" of "Source: glibc (2.36-9)").
function sourceOf(pkg: InstalledPackage): string {
  return pkg.fields.Source?.split(' ')[0] || pkg.name
}

// The tree's packages and the translation packages of their sources (NAME-l10n, NAME-locales).
export function translatedPackages(context: RuleContext): InstalledPackage[] {
  const own = treePackages(context)
  const sources = new Set(own.map(sourceOf))
  const translations = context.packages!.packages().filter((pkg) => /-(l10n|locales)$/.test(pkg.name) && sources.has(sourceOf(pkg)))
  return [...new Set([...own, ...translations])]
}
