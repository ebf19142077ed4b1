// What an SBOM of a tree says, before it is written as SPDX or CycloneDX: every regular file with
// its digests, the packages present (from the build's manifest and the tree's own status.d,
// os-release and copyright files), which file needs which (program -> library, from the plan's
// neededBy), the tool and the build's inputs. Everything is read inside the tree: a link there
// cannot lead a read out of it.
import {createHash} from 'node:crypto'
import {constants, createReadStream, openSync, readFileSync} from 'node:fs'
import {join, posix} from 'node:path'
import {Sysroot} from '../../loader/sysroot.js'
import {packageLicense, type PackageLicense} from '../license.js'
import {parseOsRelease} from '../os-release.js'
import {PARTIAL_FIELD, treeStatus} from '../status-d.js'
import type {ProvenanceEntry} from '../types.js'

export interface SbomFile {
  path: string
  sha256: string
  sha1: string
  size: number
  // The key (NAME:ARCH) of the package that ships it, and why the build put it there.
  package?: string
  reason?: string
}

export interface SbomPackage {
  key: string
  name: string
  version: string
  architecture: string
  purl?: string
  sourceName?: string
  maintainer?: string
  homepage?: string
  summary?: string
  license?: PackageLicense
  // Only some of its files are in the tree (undefined: the tree does not say).
  partial?: boolean
  files: string[]
}

export interface SbomModel {
  name: string
  created: string
  tool: {name: string; version: string}
  // The build's request as the manifest recorded it (programs, files, layout, sysroot, ...).
  inputs: Record<string, unknown>
  os?: {id: string; versionId?: string; prettyName?: string}
  packages: SbomPackage[]
  files: SbomFile[]
  // Tree paths: `from` needs `to` (a program or library its library or interpreter).
  needs: Array<{from: string; to: string}>
  // Package keys: a file of `from` needs a file of `to`.
  packageNeeds: Array<{from: string; to: string}>
  // A digest of everything above but `created`: the documents' ids derive from it.
  digest: string
}

export interface SbomInput {
  rootfs: string
  // Tree paths of the tree's regular files, sorted.
  files: string[]
  // The build's plan entries and request, and the sysroot its sources were read from.
  entries: Array<ProvenanceEntry & {neededBy?: string[]}>
  sysroot: string
  inputs: Record<string, unknown>
  name: string
  created: Date
  toolVersion: string
}

const HASHING = 8

export async function sbomModel(input: SbomInput): Promise<SbomModel> {
  const tree = new Sysroot(input.rootfs)
  const byPath = new Map(input.entries.map((entry) => [entry.path, entry]))
  const files = await hashFiles(input.rootfs, input.files)
  const packages = new Map<string, SbomPackage>()
  for (const file of files) {
    const entry = byPath.get(file.path)
    if (entry?.reason) file.reason = entry.reason
    // A generated entry (the package's status.d files) belongs to the database, not the package.
    if (!entry?.package || entry.content !== undefined) continue
    const key = `${entry.package.name}:${entry.package.architecture}`
    file.package = key
    let pkg = packages.get(key)
    if (!pkg) packages.set(key, (pkg = {key, ...entry.package, files: []}))
    pkg.files.push(file.path)
  }
  const os = osIdentity(input.rootfs, tree)
  const statuses = treeStatus(input.rootfs)
  for (const pkg of packages.values()) describe(pkg, statuses.get(pkg.key), input.rootfs, tree, os)
  const needs = dependencies(input, tree, new Set(files.map((f) => f.path)))
  const sorted = [...packages.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
  const body = {name: input.name, tool: {name: 'ns-tool', version: input.toolVersion}, inputs: input.inputs, ...(os && {os}), packages: sorted, files, needs, packageNeeds: betweenPackages(needs, files)}
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex')
  return {...body, created: input.created.toISOString().replace(/\.\d{3}Z$/, 'Z'), digest}
}

async function hashFiles(rootfs: string, paths: string[]): Promise<SbomFile[]> {
  const files: SbomFile[] = new Array(paths.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < paths.length; i = next++) {
      const sha256 = createHash('sha256')
      const sha1 = createHash('sha1')
      let size = 0
      // O_NOFOLLOW: the walk saw a regular file; a link put there since is not followed.
      const stream = createReadStream('', {fd: openSync(join(rootfs, paths[i]), constants.O_RDONLY | constants.O_NOFOLLOW)})
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        sha256.update(chunk)
        sha1.update(chunk)
        size += chunk.length
      }
      files[i] = {path: paths[i], sha256: sha256.digest('hex'), sha1: sha1.digest('hex'), size}
    }
  }
  await Promise.all(Array.from({length: HASHING}, worker))
  return files
}

function readInside(rootfs: string, tree: Sysroot, path: string): string | undefined {
  const file = tree.openable(path)
  return file ? readFileSync(join(rootfs, file.real), 'utf8') : undefined
}

function osIdentity(rootfs: string, tree: Sysroot): SbomModel['os'] {
  const text = readInside(rootfs, tree, '/etc/os-release') ?? readInside(rootfs, tree, '/usr/lib/os-release')
  if (text === undefined) return undefined
  const fields = parseOsRelease(text)
  if (!fields.ID) return undefined
  return {id: fields.ID, ...(fields.VERSION_ID && {versionId: fields.VERSION_ID}), ...(fields.PRETTY_NAME && {prettyName: fields.PRETTY_NAME})}
}

function describe(pkg: SbomPackage, fields: Record<string, string> | undefined, rootfs: string, tree: Sysroot, os: SbomModel['os']): void {
  if (os) pkg.purl = `pkg:deb/${os.id}/${encodeURIComponent(pkg.name)}@${encodeURIComponent(pkg.version)}?arch=${pkg.architecture}${os.versionId ? `&distro=${os.id}-${os.versionId}` : ''}`
  const copyright = readInside(rootfs, tree, posix.join('/usr/share/doc', pkg.name, 'copyright'))
  const license = copyright === undefined ? undefined : packageLicense(copyright)
  if (license) pkg.license = license
  if (!fields) return
  pkg.partial = fields[PARTIAL_FIELD] === 'yes'
  if (fields.Source) pkg.sourceName = fields.Source.split(/\s/)[0]
  if (fields.Maintainer) pkg.maintainer = fields.Maintainer
  if (fields.Homepage) pkg.homepage = fields.Homepage
  if (fields.Description) pkg.summary = fields.Description.split('\n')[0]
}

function betweenPackages(needs: SbomModel['needs'], files: SbomFile[]): SbomModel['packageNeeds'] {
  const packageOf = new Map(files.filter((file) => file.package).map((file) => [file.path, file.package!]))
  const pairs = new Set<string>()
  for (const {from, to} of needs) {
    const [a, b] = [packageOf.get(from), packageOf.get(to)]
    if (a && b && a !== b) pairs.add(`${a}\0${b}`)
  }
  return [...pairs].sort().map((pair) => {
    const [from, to] = pair.split('\0')
    return {from, to}
  })
}

// Program -> library edges between files of the tree. neededBy names the needing object by the
// path the loader found it at (/lib/x86_64-linux-gnu/libc.so.6, through the /lib link): taken
// inside the tree where it has that path (host layout), else through the entry that copied it.
function dependencies(input: SbomInput, tree: Sysroot, present: Set<string>): SbomModel['needs'] {
  const host = new Sysroot(input.sysroot)
  // The tree path of each copied file, by the real path (in the sysroot) of what it copies.
  const byReal = new Map<string, string>()
  for (const entry of input.entries) {
    const inside = entry.source === undefined ? undefined : host.fromHostPath(entry.source)
    const real = inside === undefined ? undefined : host.openable(inside)?.real
    if (real !== undefined) byReal.set(real, entry.path)
  }
  const inTree = (path: string): string | undefined => {
    const here = tree.openable(path)?.real
    if (here !== undefined && present.has(here)) return here
    const real = host.openable(path)?.real
    return real === undefined ? undefined : byReal.get(real)
  }
  const needs = new Map<string, {from: string; to: string}>()
  for (const entry of input.entries) {
    if (!entry.neededBy || !present.has(entry.path)) continue
    for (const needer of entry.neededBy) {
      const from = inTree(needer)
      if (from !== undefined && from !== entry.path) needs.set(`${from}\0${entry.path}`, {from, to: entry.path})
    }
  }
  return [...needs.values()].sort((a, b) => (a.from < b.from ? -1 : a.from > b.from ? 1 : a.to < b.to ? -1 : a.to > b.to ? 1 : 0))
}
