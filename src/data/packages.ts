// The package database of a host or sysroot, as ns-tool needs it: which installed package owns a
// file, which files a package has, and its status paragraph. dpkg only for now (a host without one
// gets an empty database). Read lazily and at most once per sysroot and process. dpkg's files are
// UTF-8 (Debian policy 5.1), as are the paths the rest of ns-tool names and the files it writes.
import {lstatSync, readFileSync, readlinkSync} from 'node:fs'
import {posix} from 'node:path'
import {lineStart, lineValue, ownerIndex, type OwnerIndex} from './owner-index.js'

const DPKG_DIR = 'var/lib/dpkg'
// The top-level directories a merged-/usr system turns into links (/bin -> usr/bin): dpkg lists a
// file under the path its package shipped it at, which may be either side of such a link.
const TOP_LINK_CANDIDATES = ['bin', 'sbin', 'lib', 'lib32', 'lib64', 'libx32']

export interface InstalledPackage {
  name: string
  architecture: string
  version: string
  // The package's paragraph of dpkg's status file, as written there (for a tree's status.d entry).
  paragraph: string
  // Every field of that paragraph; continuation lines joined with '\n'.
  fields: Record<string, string>
}

export interface PackageDatabase {
  // 'none': the sysroot has no package database that ns-tool reads.
  readonly format: 'dpkg' | 'none'
  packages(): InstalledPackage[]
  get(name: string, architecture?: string): InstalledPackage | undefined
  // The installed package that ships path (a path inside the sysroot, as the loader or the plan
  // names it; either side of a merged-/usr link); undefined for a file no package owns.
  ownerOf(path: string): InstalledPackage | undefined
  // The paths a package ships (directories included), as its file list names them.
  filesOf(pkg: InstalledPackage): string[]
  // One of the package's control files in dpkg's info directory ('md5sums', 'conffiles', ...);
  // undefined when it has none.
  controlFile(pkg: InstalledPackage, name: string): string | undefined
  // The path with a top-level merged-/usr link (/bin -> usr/bin) replaced by its target: the one
  // key under which ownerOf knows /bin/ls and /usr/bin/ls.
  canonical(path: string): string
}

const databases = new Map<string, PackageDatabase>()

export function packageDatabase(sysroot = '/'): PackageDatabase {
  let database = databases.get(sysroot)
  if (!database) databases.set(sysroot, (database = openDatabase(sysroot)))
  return database
}

function openDatabase(sysroot: string): PackageDatabase {
  let status: Buffer
  try {
    status = readFileSync(posix.join(sysroot, DPKG_DIR, 'status'))
  } catch {
    return emptyDatabase
  }
  return new DpkgDatabase(sysroot, status)
}

const emptyDatabase: PackageDatabase = {
  format: 'none',
  packages: () => [],
  get: () => undefined,
  ownerOf: () => undefined,
  filesOf: () => [],
  controlFile: () => undefined,
  canonical: (path) => path,
}

// Parses one paragraph of a deb822 file (dpkg's status).
export function parseParagraph(paragraph: string): Record<string, string> {
  const fields: Record<string, string> = {}
  let key: string | undefined
  for (const line of paragraph.split('\n')) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && key !== undefined) {
      fields[key] += '\n' + line.slice(1)
      continue
    }
    const colon = line.indexOf(':')
    if (colon <= 0) continue
    key = line.slice(0, colon)
    fields[key] = line.slice(colon + 1).trim()
  }
  return fields
}

// A simple field's value (one line) of a paragraph, without parsing the rest.
function field(paragraph: string, name: string): string | undefined {
  return lineValue(paragraph, `${name}:`)?.trim()
}

// A paragraph's package, reading only the fields that choose it; the rest is parsed when asked
// for. Only what is really on disk: not a package removed with its conffiles kept, nor one
// half-installed.
function installedPackage(paragraph: string): InstalledPackage | undefined {
  const name = field(paragraph, 'Package')
  if (!name || !/ installed$/.test(field(paragraph, 'Status') ?? '')) return undefined
  let fields: Record<string, string> | undefined
  return {
    name,
    architecture: field(paragraph, 'Architecture') ?? 'all',
    version: field(paragraph, 'Version') ?? '',
    paragraph: paragraph.trim() + '\n',
    get fields() {
      return (fields ??= parseParagraph(paragraph))
    },
  }
}

const PACKAGE = 'Package:'

class DpkgDatabase implements PackageDatabase {
  readonly format = 'dpkg'
  // Where each name's Package lines are in the status file. A paragraph is read when its package
  // is asked for: a small build needs a dozen of the host's ~800, and reading them all cost it 8 ms.
  private readonly lines = new Map<string, number[]>()
  // By where their paragraph begins.
  private readonly read = new Map<number, InstalledPackage | undefined>()
  private owners?: OwnerIndex
  private readonly lists = new Map<InstalledPackage, string[]>()
  private readonly topLinks: Map<string, string>

  // The status file, one character per byte (latin1): positions in it are the bytes' and searching
  // it is cheap (decoding all of it as UTF-8 cost a small build 1 ms); a paragraph read is decoded as
  // UTF-8 from `bytes`. Package names are ASCII.
  private readonly status: string

  constructor(private readonly sysroot: string, private readonly bytes: Buffer) {
    const status = (this.status = bytes.toString('latin1'))
    // No line of a paragraph but its Package line begins with "Package:".
    for (let at = lineStart(status, PACKAGE); at >= 0; at = lineStart(status, PACKAGE, at + 1)) {
      const name = lineValue(status, PACKAGE, at)!.trim()
      const same = this.lines.get(name)
      if (same) same.push(at)
      else this.lines.set(name, [at])
    }
    this.topLinks = topLevelLinks(sysroot)
  }

  packages(): InstalledPackage[] {
    // Each paragraph once, though a malformed one may have two Package lines.
    const starts = new Set([...this.lines.values()].flat().sort((a, b) => a - b).map((at) => this.paragraphStart(at)))
    return [...starts].map((start) => this.paragraphAt(start)).filter((pkg) => pkg !== undefined)
  }

  get(name: string, architecture?: string): InstalledPackage | undefined {
    const lines = this.lines.get(name) ?? []
    const candidates = lines.map((at) => this.paragraphAt(this.paragraphStart(at))).filter((pkg): pkg is InstalledPackage => pkg?.name === name)
    return architecture === undefined ? candidates[0] : candidates.find((p) => p.architecture === architecture)
  }

  private paragraphStart(at: number): number {
    const blank = this.status.lastIndexOf('\n\n', at)
    return blank < 0 ? 0 : blank + 2
  }

  // The package of the paragraph that begins at `start`; undefined unless it is installed.
  private paragraphAt(start: number): InstalledPackage | undefined {
    if (this.read.has(start)) return this.read.get(start)
    const end = this.status.indexOf('\n\n', start)
    const pkg = installedPackage(this.bytes.toString('utf8', start, end < 0 ? undefined : end))
    this.read.set(start, pkg)
    return pkg
  }

  filesOf(pkg: InstalledPackage): string[] {
    let files = this.lists.get(pkg)
    if (!files) this.lists.set(pkg, (files = this.readList(pkg)))
    return files
  }

  ownerOf(path: string): InstalledPackage | undefined {
    this.owners ??= ownerIndex(this.sysroot, DPKG_DIR, () => this.indexOwners())
    const owner = this.owners.get(this.canonical(posix.normalize(path)))
    if (owner === undefined) return undefined
    const colon = owner.lastIndexOf(':')
    return this.get(owner.slice(0, colon), owner.slice(colon + 1))
  }

  // A package's control files are named NAME:ARCH.EXT when it is Multi-Arch: same, else NAME.EXT.
  // Tried by name: listing the info directory (thousands of files) cost a small build 9 ms.
  controlFile(pkg: InstalledPackage, ext: string): string | undefined {
    const info = posix.join(this.sysroot, DPKG_DIR, 'info')
    for (const name of [`${pkg.name}:${pkg.architecture}.${ext}`, `${pkg.name}.${ext}`]) {
      try {
        return readFileSync(posix.join(info, name), 'utf8')
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return undefined
      }
    }
    return undefined
  }

  private readList(pkg: InstalledPackage): string[] {
    const list = this.controlFile(pkg, 'list') ?? ''
    return list.split('\n').filter((line) => line.length > 2 && line.charCodeAt(0) === 47)
  }

  // Every listed path to its package (NAME:ARCH). Directories are listed by every package with
  // files in them: the first one keeps them (only files have one true owner).
  private indexOwners(): Map<string, string> {
    const owners = new Map<string, string>()
    const diverted = this.diversions()
    for (const pkg of this.packages()) {
      for (const listed of this.filesOf(pkg)) {
        const diversion = diverted.get(listed)
        const path = this.canonical(diversion && diversion.by !== pkg.name ? diversion.to : listed)
        if (!owners.has(path)) owners.set(path, `${pkg.name}:${pkg.architecture}`)
      }
    }
    return owners
  }

  // dpkg-divert: the file other packages ship at FROM lives at TO; the diverting package's own stays.
  private diversions(): Map<string, {to: string; by: string}> {
    let text: string
    try {
      text = readFileSync(posix.join(this.sysroot, DPKG_DIR, 'diversions'), 'utf8')
    } catch {
      return new Map()
    }
    const moved = new Map<string, {to: string; by: string}>()
    const lines = text.split('\n')
    for (let i = 0; i + 2 < lines.length; i += 3) moved.set(lines[i], {to: lines[i + 1], by: lines[i + 2]})
    return moved
  }

  canonical(path: string): string {
    const slash = path.indexOf('/', 1)
    const top = slash < 0 ? path.slice(1) : path.slice(1, slash)
    const target = this.topLinks.get(top)
    return target === undefined ? path : target + (slash < 0 ? '' : path.slice(slash))
  }
}

function topLevelLinks(sysroot: string): Map<string, string> {
  const links = new Map<string, string>()
  for (const top of TOP_LINK_CANDIDATES) {
    const host = posix.join(sysroot, top)
    try {
      if (!lstatSync(host).isSymbolicLink()) continue
      const target = readlinkSync(host)
      links.set(top, posix.normalize(target.startsWith('/') ? target : posix.join('/', target)))
    } catch {
      // Absent: nothing to alias.
    }
  }
  return links
}

// The relations of one kind a package declares (Depends, Pre-Depends, Recommends): each group of
// alternatives ("a | b") as package names, without version constraints nor architecture
// qualifiers ("python3:any").
export function relationsOf(pkg: InstalledPackage, field: string): string[][] {
  const value = pkg.fields[field] ?? ''
  return value
    .split(',')
    .map((group) => group.split('|').map((alternative) => alternative.trim().split(/[\s(:[]/)[0]).filter((name) => name.length > 0))
    .filter((group) => group.length > 0)
}

// The package that satisfies a group of alternatives as dpkg chose: the first one installed, of
// the depending package's architecture, or "all", or any other (a ":any" or foreign dependency).
export function firstInstalled(db: PackageDatabase, group: string[], architecture: string): InstalledPackage | undefined {
  for (const name of group) {
    const pkg = db.get(name, architecture) ?? db.get(name, 'all') ?? db.get(name)
    if (pkg) return pkg
  }
  return undefined
}

// Lets a test (or a long-lived API user) see a database changed on disk.
export function forgetPackageDatabases(): void {
  databases.clear()
}
