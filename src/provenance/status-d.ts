// A dpkg database of only the packages that have files in a tree, the way distroless ships one:
// /var/lib/dpkg/status.d/NAME holds the package's paragraph of the host's status file as is (so
// scanners report the host's versions), NAME.md5sums the lines of the host's md5sums for the
// files that are present (syft and newer trivy take a package's files from it). A package with
// files left out gets the field `X-Ns-Tool-Partial: yes`.
import {readdirSync, readFileSync} from 'node:fs'
import {join, posix} from 'node:path'
import {parseParagraph, type InstalledPackage, type PackageDatabase} from '../data/packages.js'
import {Sysroot} from '../loader/sysroot.js'

export const STATUS_DIR = '/var/lib/dpkg/status.d'
export const PARTIAL_FIELD = 'X-Ns-Tool-Partial'

// Named as dpkg names the package's files in its info directory: NAME:ARCH for a Multi-Arch: same
// package (libc6:amd64 and libc6:i386 may both be present), else NAME. The name depends on the
// package alone, so the same package gets the same entry in every tree.
export function statusName(pkg: InstalledPackage): string {
  return pkg.fields['Multi-Arch'] === 'same' ? `${pkg.name}:${pkg.architecture}` : pkg.name
}

export interface StatusFile {
  path: string
  content: string
}

// The status.d entries of one package whose files at the canonical host paths `present` are in the
// tree; partial when a regular file or conffile it ships is not among them.
export function statusFiles(db: PackageDatabase, pkg: InstalledPackage, present: Set<string>): StatusFile[] {
  const md5sums = db.controlFile(pkg, 'md5sums')
  const shipped = md5sums === undefined ? leaves(db.filesOf(pkg)) : md5sumsPaths(md5sums)
  shipped.push(...conffiles(pkg))
  const partial = shipped.some((path) => !present.has(db.canonical(path)))
  const name = statusName(pkg)
  const files = [{path: posix.join(STATUS_DIR, name), content: pkg.paragraph + (partial ? `${PARTIAL_FIELD}: yes\n` : '')}]
  if (md5sums !== undefined) {
    const kept = md5sums.split('\n').filter((line) => line.length > 34 && present.has(db.canonical('/' + line.slice(34))))
    files.push({path: posix.join(STATUS_DIR, `${name}.md5sums`), content: kept.map((line) => `${line}\n`).join('')})
  }
  return files
}

// md5sums lines are "<32 hex digits>  path/without/leading/slash".
function md5sumsPaths(md5sums: string): string[] {
  return md5sums.split('\n').filter((line) => line.length > 34).map((line) => '/' + line.slice(34))
}

// The Conffiles field: " /etc/x <md5> [obsolete|remove-on-upgrade]" per line; obsolete ones are gone.
function conffiles(pkg: InstalledPackage): string[] {
  return (pkg.fields.Conffiles ?? '').split('\n').map((line) => line.trim().split(/\s+/)).filter((words) => words[0]?.startsWith('/') && words.length === 2).map((words) => words[0])
}

// Without md5sums: the listed paths no other listed path lies below (directories have children).
function leaves(listed: string[]): string[] {
  const sorted = [...listed].sort()
  return sorted.filter((path, i) => !(sorted[i + 1] ?? '').startsWith(path + '/'))
}

// The status.d paragraphs of the tree at rootfs, by NAME:ARCH (none when it has no status.d). Read
// inside the tree: a link there cannot lead the reads out of it.
export function treeStatus(rootfs: string): Map<string, Record<string, string>> {
  const found = new Map<string, Record<string, string>>()
  let dir: string
  try {
    dir = join(rootfs, new Sysroot(rootfs).realpath(STATUS_DIR))
  } catch {
    return found
  }
  for (const file of readdirSync(dir, {withFileTypes: true})) {
    if (!file.isFile() || file.name.endsWith('.md5sums')) continue
    const fields = parseParagraph(readFileSync(join(dir, file.name), 'utf8'))
    if (fields.Package) found.set(`${fields.Package}:${fields.Architecture ?? 'all'}`, fields)
  }
  return found
}
