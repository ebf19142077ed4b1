// export --format oci: an OCI image layout (oci-layout, index.json, blobs/sha256/) whose image has
// one gzip layer per group of entries (one group, the whole tree, unless --layers), and, with an
// SBOM, OCI 1.1 artifacts that refer to the image through `subject`, listed in index.json beside it.
// gzip runs in zlib at a fixed level on the same bytes, so the same tree gives the same digests.
import {createHash} from 'node:crypto'
import {createWriteStream, mkdirSync, renameSync, writeFileSync} from 'node:fs'
import {arch} from 'node:os'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {ROOT_PATH} from '../loader/program.js'
import {writeTar} from './tar.js'
import type {TreeEntry} from './tree.js'

export const MANIFEST_TYPE = 'application/vnd.oci.image.manifest.v1+json'
const INDEX_TYPE = 'application/vnd.oci.image.index.v1+json'
const LAYER_TYPE = 'application/vnd.oci.image.layer.v1.tar+gzip'
const EMPTY_TYPE = 'application/vnd.oci.empty.v1+json'
const GZIP_LEVEL = 6
// Layers written at once: zlib works in libuv's thread pool, so two cores compress two layers.
const CONCURRENT_LAYERS = 4

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  artifactType?: string
  annotations?: Record<string, string>
}

// What goes into one layer, and what it is called in the image's history.
export interface LayerGroup {
  entries: TreeEntry[]
  createdBy: string
}

// An SBOM to attach: its media type and bytes.
export interface Attachment {
  mediaType: string
  title: string
  bytes: Buffer
}

export interface OciOptions {
  tag: string
  // None: the image has no default command.
  entrypoint?: string
  epoch: number
  attachments?: Attachment[]
  progress?: (done: number, total: number) => void
}

export interface OciResult {
  digest: string
  layers: Descriptor[]
  referrers: Descriptor[]
  // The tag of the referrers index, when there are referrers.
  referrersTag?: string
}

export async function writeOci(rootfs: string, dir: string, groups: LayerGroup[], options: OciOptions): Promise<OciResult> {
  const blobs = join(dir, 'blobs', 'sha256')
  mkdirSync(blobs, {recursive: true})
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  const total = groups.reduce((sum, group) => sum + group.entries.length, 0)
  let done = 0
  const progress = options.progress && (() => options.progress!(++done, total))
  const written: Array<{layer: Descriptor; diffId: string}> = new Array(groups.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < groups.length; i = next++) written[i] = await writeLayer(rootfs, blobs, groups[i].entries, options.epoch, progress)
  }
  await Promise.all(Array.from({length: Math.min(CONCURRENT_LAYERS, groups.length)}, worker))
  const created = new Date(options.epoch * 1000).toISOString()
  const config = writeBlob(blobs, 'application/vnd.oci.image.config.v1+json', JSON.stringify({
    created,
    architecture: goArch(),
    os: 'linux',
    config: {...(options.entrypoint !== undefined && {Entrypoint: [options.entrypoint]}), Env: [`PATH=${ROOT_PATH}`]},
    rootfs: {type: 'layers', diff_ids: written.map((w) => w.diffId)},
    history: groups.map((group) => ({created, created_by: group.createdBy})),
  }))
  const layers = written.map((w) => w.layer)
  const manifest = writeBlob(blobs, MANIFEST_TYPE, JSON.stringify({schemaVersion: 2, mediaType: MANIFEST_TYPE, config, layers}))
  const referrers = (options.attachments ?? []).map((attachment) => writeReferrer(blobs, manifest, attachment, created))
  const tagged = {...manifest, annotations: {'org.opencontainers.image.ref.name': options.tag}}
  const manifests: Descriptor[] = [tagged, ...referrers]
  // The referrers tag schema of OCI distribution 1.1, for registries without the referrers API:
  // an index of the image's referrers tagged sha256-HEX, which `skopeo copy --all` can push.
  const referrersTag = referrers.length > 0 ? `${manifest.digest.replace(':', '-')}` : undefined
  if (referrersTag) manifests.push({...writeBlob(blobs, INDEX_TYPE, JSON.stringify({schemaVersion: 2, mediaType: INDEX_TYPE, manifests: referrers})), annotations: {'org.opencontainers.image.ref.name': referrersTag}})
  writeFileSync(join(dir, 'index.json'), JSON.stringify({schemaVersion: 2, mediaType: INDEX_TYPE, manifests}))
  return {digest: manifest.digest, layers, referrers, ...(referrersTag && {referrersTag})}
}

// One layer: the tar is hashed for the config's diff_id as it goes into gzip, the gzip stream for
// the blob's digest as it goes to disk.
async function writeLayer(rootfs: string, blobs: string, entries: TreeEntry[], epoch: number, progress?: () => void): Promise<{layer: Descriptor; diffId: string}> {
  const {createGzip} = await import('node:zlib')
  const {PassThrough} = await import('node:stream')
  const temp = join(blobs, `.layer-${process.pid}-${Math.random().toString(36).slice(2)}`)
  const diffHash = createHash('sha256')
  const blobHash = createHash('sha256')
  let size = 0
  const gzip = createGzip({level: GZIP_LEVEL})
  gzip.on('data', (chunk: Buffer) => {
    blobHash.update(chunk)
    size += chunk.length
  })
  const stored = pipeline(gzip, createWriteStream(temp))
  const tar = new PassThrough()
  tar.on('data', (chunk: Buffer) => diffHash.update(chunk))
  tar.pipe(gzip)
  await writeTar(rootfs, entries, tar, {epoch, progress: progress && (() => progress())})
  await stored
  const hex = blobHash.digest('hex')
  renameSync(temp, join(blobs, hex))
  return {layer: {mediaType: LAYER_TYPE, digest: `sha256:${hex}`, size}, diffId: `sha256:${diffHash.digest('hex')}`}
}

// An OCI 1.1 artifact manifest for an SBOM: artifactType the SBOM's media type, the empty config,
// the SBOM as its one layer, the image as its subject.
function writeReferrer(blobs: string, subject: Descriptor, attachment: Attachment, created: string): Descriptor {
  const config = {...writeBlob(blobs, EMPTY_TYPE, '{}'), data: Buffer.from('{}').toString('base64')}
  const sbom = {...writeBlob(blobs, attachment.mediaType, attachment.bytes), annotations: {'org.opencontainers.image.title': attachment.title}}
  const annotations = {'org.opencontainers.image.created': created}
  const manifest = writeBlob(blobs, MANIFEST_TYPE, JSON.stringify({schemaVersion: 2, mediaType: MANIFEST_TYPE, artifactType: attachment.mediaType, config, layers: [sbom], subject, annotations}))
  return {...manifest, artifactType: attachment.mediaType, annotations}
}

function writeBlob(blobs: string, mediaType: string, content: string | Buffer): Descriptor {
  const bytes = typeof content === 'string' ? Buffer.from(content) : content
  const hex = createHash('sha256').update(bytes).digest('hex')
  writeFileSync(join(blobs, hex), bytes)
  return {mediaType, digest: `sha256:${hex}`, size: bytes.length}
}

function goArch(): string {
  const names: Record<string, string> = {x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64'}
  return names[arch()] ?? arch()
}
