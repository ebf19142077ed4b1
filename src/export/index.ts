// export: a rootfs as a reproducible tarball (tar.ts), an OCI image layout, layered by package on
// request (oci.ts, layers.ts), or an OCI runtime bundle (bundle.ts); with --sbom, its SBOMs
// (sbom.ts) attached to the image, or written beside the tarball or in the bundle. Output is made
// beside OUT and renamed into place: an interrupted export leaves nothing half-written.
import {createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {dirname, join, resolve as resolvePath} from 'node:path'
import {EXPORT} from '../options/export.js'
import {NsToolError, UsageError} from '../errors.js'
import type {PackageDatabase} from '../data/packages.js'
import type {PackageRef} from '../provenance/types.js'
import type {Descriptor} from './oci.js'
import {buildRequest, buildSysroot, epoch, walk} from './tree.js'

export type ExportFormat = (typeof EXPORT.flags.format.choices)[number]

export interface ExportOptions {
  format: ExportFormat
  output: string
  // oci: the image's tag (default latest). oci and bundle: the command (default: the tree's shell,
  // as run chooses it).
  tag?: string
  entrypoint?: string
  force?: boolean
  // Seconds since the epoch; default: SOURCE_DATE_EPOCH, else 0.
  sourceDateEpoch?: number
  // oci: split the tree into up to this many layers by owning package (default 1).
  layers?: number
  // bundle: the network namespace (none: its own; host: the host's), the hostname, and the
  // /etc/resolv.conf and /etc/hosts bound into the container, as run makes them.
  net?: 'none' | 'host'
  hostname?: string
  dns?: string[]
  addHost?: string[]
  // Attach SPDX and CycloneDX SBOMs: OCI artifacts referring to the image; beside a tarball as
  // OUT.spdx.json and OUT.cdx.json; in a bundle as sbom.spdx.json and sbom.cdx.json.
  sbom?: boolean
  // Called with (entries written, total) while a tar stream is written.
  progress?: (done: number, total: number) => void
}

export interface ExportResult {
  format: ExportFormat
  output: string
  entries: number
  // oci: the manifest's digest, its layers, the SBOM artifacts that refer to it and the tag of
  // their index (sha256-HEX, the referrers tag schema).
  digest?: string
  layers?: Descriptor[]
  referrers?: Descriptor[]
  referrersTag?: string
  // tar, bundle: the SBOM files written.
  sboms?: string[]
}

export async function exportRootfs(rootfs: string, options: ExportOptions): Promise<ExportResult> {
  const root = resolvePath(rootfs)
  if (!statSync(root, {throwIfNoEntry: false})?.isDirectory()) throw new UsageError(`${rootfs}: no such directory (give the rootfs to export)`)
  const output = resolvePath(options.output)
  if (output === root || output.startsWith(root + '/')) throw new UsageError(`-o ${options.output}: inside the rootfs being exported; choose a path outside it`, 'refused')
  if (options.layers !== undefined && (!Number.isInteger(options.layers) || options.layers < 1)) throw new UsageError(`--layers ${options.layers}: give a whole number of layers, 1 or more`)
  if (options.layers !== undefined && options.format !== 'oci') throw new UsageError(`--layers applies to --format oci only (not ${options.format})`)
  const bundleOnly = (['net', 'hostname', 'dns', 'addHost'] as const).find((key) => options[key] !== undefined && options.format !== 'bundle')
  if (bundleOnly) throw new UsageError(`--${bundleOnly === 'addHost' ? 'add-host' : bundleOnly} applies to --format bundle only (an image's network is its runtime's)`)
  checkOutputDirectory(output)
  const seconds = epoch(options.sourceDateEpoch)
  const sboms = options.sbom ? await (await import('./sbom.js')).treeSbom(root, {formats: ['spdx-json', 'cyclonedx-json'], created: new Date(seconds * 1000)}) : []
  const temp = prepareOutput(output, options.force)
  // Beside a tarball: OUT.spdx.json, OUT.cdx.json.
  const besideTar = options.format !== 'tar' ? [] : sboms.map((sbom) => ({path: `${output}${sbom.suffix}`, text: sbom.text, temp: `${output}${sbom.suffix}.ns-tool-export-${process.pid}`}))
  try {
    const entries = walk(root)
    if (options.format === 'tar') {
      const {writeTar} = await import('./tar.js')
      await writeTar(root, entries, createWriteStream(temp), {epoch: seconds, progress: options.progress})
      for (const file of besideTar) writeFileSync(file.temp, file.text)
      finish(temp, output)
      for (const file of besideTar) renameSync(file.temp, file.path)
      return {format: 'tar', output, entries: entries.length, ...(options.sbom && {sboms: besideTar.map((f) => f.path)})}
    }
    // The image's command: the one given, else the shell `run ROOTFS` would start. An image may
    // have none (podman run IMAGE COMMAND); a bundle must.
    const entrypoint = options.entrypoint ?? (await import('../sandbox/shell.js')).defaultShell(root)
    if (options.format === 'oci') {
      const [{writeOci}, {layerGroups}] = await Promise.all([import('./oci.js'), import('./layers.js')])
      const built = await builtPackages(root)
      const groups = layerGroups(entries, built.owners, built.database, options.layers ?? 1)
      const attachments = sboms.map((sbom) => ({mediaType: sbom.mediaType, title: `sbom${sbom.suffix}`, bytes: Buffer.from(sbom.text)}))
      const image = await writeOci(root, temp, groups, {tag: options.tag ?? EXPORT.flags.tag.default, entrypoint, epoch: seconds, attachments, progress: options.progress})
      finish(temp, output)
      return {format: 'oci', output, entries: entries.length, ...image}
    }
    const {writeBundle} = await import('./bundle.js')
    if (entrypoint === undefined) throw new UsageError(`${rootfs} holds no shell to be the bundle's command: give --entrypoint (a program of the tree)`)
    const count = await writeBundle(root, temp, {entrypoint, net: options.net, hostname: options.hostname, dns: options.dns, addHost: options.addHost})
    for (const sbom of sboms) writeFileSync(join(temp, `sbom${sbom.suffix}`), sbom.text)
    finish(temp, output)
    return {format: 'bundle', output, entries: count, ...(options.sbom && {sboms: sboms.map((sbom) => join(output, `sbom${sbom.suffix}`))})}
  } catch (error) {
    rmSync(temp, {recursive: true, force: true})
    for (const file of besideTar) rmSync(file.temp, {force: true})
    throw error
  }
}

// The package of each path of the tree, as its build recorded it (none for a tree ns-tool did
// not build), and the package database of the sysroot the build read.
async function builtPackages(root: string): Promise<{owners: Map<string, PackageRef>; database: PackageDatabase}> {
  const [{readManifest}, {packageDatabase}] = await Promise.all([import('../rootfs/index.js'), import('../data/packages.js')])
  const manifest = readManifest(root)
  const owners = new Map<string, PackageRef>()
  for (const entry of manifest?.entries ?? []) if (entry.package) owners.set(entry.path, entry.package)
  return {owners, database: packageDatabase(buildSysroot(buildRequest(manifest)))}
}

// Like tar -f and cp: the directory of the output must already be there (bad usage: the user
// names another path, or makes the directory).
function checkOutputDirectory(output: string): void {
  if (!statSync(dirname(output), {throwIfNoEntry: false})?.isDirectory()) throw new UsageError(`-o ${output}: the directory ${dirname(output)} does not exist; create it first`)
}

function prepareOutput(output: string, force: boolean | undefined): string {
  const existing = lstatSync(output, {throwIfNoEntry: false})
  if (existing && !force) {
    const empty = existing.isDirectory() && readdirSync(output).length === 0
    if (!empty) throw new UsageError(`-o ${output}: already exists; pass --force to replace it`, 'refused')
  }
  return `${output}.ns-tool-export-${process.pid}`
}

function finish(temp: string, output: string): void {
  if (existsSync(output)) rmSync(output, {recursive: true, force: true})
  renameSync(temp, output)
}
