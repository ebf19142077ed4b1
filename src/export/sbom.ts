// The SBOM of a tree ns-tool built: its files (walked as export walks them), the build's manifest
// (each entry's package and neededBy, the request) and the tool's version, as SPDX or CycloneDX.
import {readFileSync} from 'node:fs'
import {basename, join, resolve} from 'node:path'
import {NsToolError, UsageError} from '../errors.js'
import type {SbomDocument, SbomFormat} from '../provenance/sbom/index.js'
import {MANIFEST} from '../manifest-path.js'
import {buildRequest, buildSysroot, epoch, walk} from './tree.js'

export interface SbomOptions {
  format?: SbomFormat
  // Seconds since the epoch the document says it was made; default: SOURCE_DATE_EPOCH, else now.
  created?: number
}

// `ns-tool sbom`: the document's text.
export async function sbom(rootfs: string, options: SbomOptions = {}): Promise<string> {
  const {statSync} = await import('node:fs')
  if (!statSync(rootfs, {throwIfNoEntry: false})?.isDirectory()) throw new UsageError(`${rootfs}: no such directory (give the rootfs to describe)`)
  const seconds = options.created ?? (process.env.SOURCE_DATE_EPOCH ? epoch() : undefined)
  const {SBOM} = await import('../options/sbom.js')
  const [document] = await treeSbom(rootfs, {formats: [options.format ?? SBOM.flags.format.default], created: seconds === undefined ? new Date() : new Date(seconds * 1000)})
  return document.text
}

export interface TreeSbomOptions {
  formats: SbomFormat[]
  // When the document says it was made; default: now.
  created?: Date
  // Default: the tree directory's name.
  name?: string
}

export async function treeSbom(tree: string, options: TreeSbomOptions): Promise<SbomDocument[]> {
  const rootfs = resolve(tree)
  const {readManifest} = await import('../rootfs/index.js')
  const manifest = readManifest(rootfs)
  if (!manifest) throw new NsToolError(`${rootfs}: not a rootfs ns-tool built (no ${join(rootfs, MANIFEST)}), so which package each file comes from is unknown; build it with ns-tool build-rootfs`)
  // The request but the plan format and the caller's PATH and directory (they only tell the cache
  // when to plan again, and would publish the builder's home in the SBOM).
  const request = buildRequest(manifest)
  const {plan: _format, path: _path, cwd: _cwd, ...inputs} = request
  const sysroot = buildSysroot(request)
  const {sbomDocuments} = await import('../provenance/sbom/index.js')
  return sbomDocuments(
    {
      rootfs,
      files: walk(rootfs).filter((entry) => entry.stat.isFile()).map((entry) => entry.path),
      entries: manifest.entries,
      sysroot,
      inputs,
      name: options.name ?? basename(rootfs),
      created: options.created ?? new Date(),
      toolVersion: await toolVersion(),
    },
    options.formats,
  )
}

async function toolVersion(): Promise<string> {
  const {packageRoot} = await import('../helper/locate.js')
  return (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as {version: string}).version
}
