// export: a rootfs as a reproducible tarball, an OCI image layout, or an OCI runtime bundle.
// The tar stream is written by tar-stream from a sorted walk: numeric owners, no user or group
// names, mtimes clamped to SOURCE_DATE_EPOCH (0 when unset), hard links as links; ns-tool's own
// bookkeeping (/.ns-tool) is left out. The same tree gives the same bytes.
import {createHash} from 'node:crypto'
import {createReadStream, createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, readlinkSync, renameSync, rmSync, statSync, writeFileSync, type Stats} from 'node:fs'
import {arch} from 'node:os'
import {dirname, join, posix, resolve as resolvePath} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {NsToolError, UsageError} from '../errors.js'
import {EXPORT} from '../cli/options/export.js'

export type ExportFormat = (typeof EXPORT.flags.format.choices)[number]

export interface ExportOptions {
  format: ExportFormat
  output: string
  // oci: the image's tag (default latest). oci and bundle: the command (default /bin/sh).
  tag?: string
  entrypoint?: string
  force?: boolean
  // Seconds since the epoch; default: SOURCE_DATE_EPOCH, else 0.
  sourceDateEpoch?: number
  // Called with (entries written, total) while a tar stream is written.
  progress?: (done: number, total: number) => void
}

export interface ExportResult {
  format: ExportFormat
  output: string
  entries: number
  // oci: the manifest's digest.
  digest?: string
}

const SKIPPED = new Set(['/.ns-tool'])

interface TreeEntry {
  path: string
  stat: Stats
}

// Every path below root, sorted byte-wise, parents before children.
function walk(root: string): TreeEntry[] {
  const entries: TreeEntry[] = []
  const visit = (dir: string) => {
    const names = readdirSync(join(root, dir)).sort((a, b) => (Buffer.from(a) < Buffer.from(b) ? -1 : a === b ? 0 : 1))
    for (const name of names) {
      const path = posix.join(dir, name)
      if (SKIPPED.has(path)) continue
      const stat = lstatSync(join(root, path))
      entries.push({path, stat})
      if (stat.isDirectory()) visit(path)
    }
  }
  visit('/')
  return entries
}

function epoch(options: ExportOptions): number {
  if (options.sourceDateEpoch !== undefined) return options.sourceDateEpoch
  const fromEnv = Number(process.env.SOURCE_DATE_EPOCH)
  return Number.isFinite(fromEnv) && process.env.SOURCE_DATE_EPOCH !== '' && process.env.SOURCE_DATE_EPOCH !== undefined ? fromEnv : 0
}

// Writes the reproducible tar of rootfs to `sink`; returns the number of entries.
async function writeTar(rootfs: string, sink: NodeJS.WritableStream, options: ExportOptions): Promise<number> {
  const {pack: makePack} = (await import('tar-stream')).default
  const pack = makePack() as unknown as TarPack & NodeJS.ReadableStream
  const clamp = new Date(epoch(options) * 1000)
  const entries = walk(rootfs)
  const firstPath = new Map<string, string>()
  const done = pipeline(pack, sink)
  let written = 0
  for (const {path, stat} of entries) {
    options.progress?.(written++, entries.length)
    const name = path.slice(1)
    const mtime = stat.mtime < clamp ? stat.mtime : clamp
    const header = {name, mode: stat.mode & 0o7777, uid: stat.uid, gid: stat.gid, uname: '', gname: '', mtime}
    if (stat.isDirectory()) {
      await entry(pack, {...header, type: 'directory'})
    } else if (stat.isSymbolicLink()) {
      await entry(pack, {...header, type: 'symlink', linkname: readlinkSync(join(rootfs, path))})
    } else if (stat.isFile()) {
      const id = `${stat.dev}:${stat.ino}`
      const first = stat.nlink > 1 ? firstPath.get(id) : undefined
      if (first !== undefined) {
        await entry(pack, {...header, type: 'link', linkname: first})
        continue
      }
      if (stat.nlink > 1) firstPath.set(id, name)
      await new Promise<void>((resolve, reject) => {
        const stream = pack.entry({...header, type: 'file', size: stat.size}, (error) => (error ? reject(error) : resolve()))
        createReadStream(join(rootfs, path)).on('error', reject).pipe(stream)
      })
    }
    // Sockets, fifos and devices are not part of a rootfs ns-tool makes; they are skipped.
  }
  pack.finalize()
  await done
  return entries.length
}

// The part of tar-stream's pack we use.
interface TarPack {
  entry(header: object, callback: (error?: Error | null) => void): NodeJS.WritableStream
  finalize(): void
}

function entry(pack: TarPack, header: object): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (error) => (error ? reject(error) : resolve())))
}

function prepareOutput(output: string, force: boolean | undefined): string {
  const existing = lstatSync(output, {throwIfNoEntry: false})
  if (existing && !force) {
    const empty = existing.isDirectory() && readdirSync(output).length === 0
    if (!empty) throw new NsToolError(`-o ${output}: already exists; pass --force to replace it`)
  }
  mkdirSync(dirname(output), {recursive: true})
  return `${output}.ns-tool-export-${process.pid}`
}

function finish(temp: string, output: string): void {
  if (existsSync(output)) rmSync(output, {recursive: true, force: true})
  renameSync(temp, output)
}

async function sha256File(path: string): Promise<{digest: string; size: number}> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path), hash)
  return {digest: `sha256:${hash.digest('hex')}`, size: statSync(path).size}
}

function goArch(): string {
  const names: Record<string, string> = {x64: 'amd64', arm64: 'arm64', ia32: '386', arm: 'arm', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64'}
  return names[arch()] ?? arch()
}

function writeJsonBlob(blobs: string, value: unknown): {digest: string; size: number} {
  const bytes = Buffer.from(JSON.stringify(value))
  const hex = createHash('sha256').update(bytes).digest('hex')
  writeFileSync(join(blobs, hex), bytes)
  return {digest: `sha256:${hex}`, size: bytes.length}
}

// An OCI image layout: one gzip layer (the reproducible tar), its config and manifest, index.json.
async function writeOci(rootfs: string, dir: string, options: ExportOptions): Promise<{entries: number; digest: string}> {
  const {createGzip} = await import('node:zlib')
  const blobs = join(dir, 'blobs', 'sha256')
  mkdirSync(blobs, {recursive: true})
  writeFileSync(join(dir, 'oci-layout'), JSON.stringify({imageLayoutVersion: '1.0.0'}))
  const layerTemp = join(dir, 'layer.tmp')
  const diffHash = createHash('sha256')
  const gzip = createGzip({level: 6})
  const written = pipeline(gzip, createWriteStream(layerTemp))
  // The uncompressed stream is hashed for the config's diff_ids as it goes into gzip.
  const {PassThrough} = await import('node:stream')
  const tee = new PassThrough()
  tee.on('data', (chunk: Buffer) => diffHash.update(chunk))
  tee.pipe(gzip)
  const entries = await writeTar(rootfs, tee, options)
  await written
  const layer = await sha256File(layerTemp)
  renameSync(layerTemp, join(blobs, layer.digest.slice(7)))
  const created = new Date(epoch(options) * 1000).toISOString()
  const config = writeJsonBlob(blobs, {
    created,
    architecture: goArch(),
    os: 'linux',
    config: {Entrypoint: [options.entrypoint ?? '/bin/sh'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin']},
    rootfs: {type: 'layers', diff_ids: [`sha256:${diffHash.digest('hex')}`]},
    history: [{created, created_by: 'ns-tool export'}],
  })
  const manifest = writeJsonBlob(blobs, {
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: {mediaType: 'application/vnd.oci.image.config.v1+json', ...config},
    layers: [{mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', ...layer}],
  })
  writeFileSync(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.index.v1+json',
      manifests: [{mediaType: 'application/vnd.oci.image.manifest.v1+json', ...manifest, annotations: {'org.opencontainers.image.ref.name': options.tag ?? EXPORT.flags.tag.default}}],
    }),
  )
  return {entries, digest: manifest.digest}
}

// An OCI runtime bundle: config.json (what runc's `spec` makes, without a terminal) and rootfs/.
async function writeBundle(rootfs: string, dir: string, options: ExportOptions): Promise<number> {
  mkdirSync(dir, {recursive: true})
  const {execFileSync} = await import('node:child_process')
  // cp -a keeps links, modes and owners; hard links where the filesystem allows would share inodes
  // with the source tree, which runc may write to.
  execFileSync('cp', ['-a', '--', rootfs, join(dir, 'rootfs')])
  rmSync(join(dir, 'rootfs', '.ns-tool'), {recursive: true, force: true})
  const config = {
    ociVersion: '1.0.2',
    process: {terminal: false, user: {uid: 0, gid: 0}, args: [options.entrypoint ?? '/bin/sh'], env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', 'TERM=xterm'], cwd: '/', capabilities: {bounding: CAPS, effective: CAPS, permitted: CAPS}, rlimits: [{type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024}], noNewPrivileges: true},
    root: {path: 'rootfs', readonly: false},
    hostname: 'ns-tool',
    mounts: [
      {destination: '/proc', type: 'proc', source: 'proc'},
      {destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k']},
      {destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620']},
      {destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']},
      {destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev']},
      {destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro']},
    ],
    linux: {
      namespaces: [{type: 'pid'}, {type: 'network'}, {type: 'ipc'}, {type: 'uts'}, {type: 'mount'}],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
    },
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n')
  return walk(join(dir, 'rootfs')).length
}

const CAPS = ['CAP_CHOWN', 'CAP_DAC_OVERRIDE', 'CAP_FSETID', 'CAP_FOWNER', 'CAP_MKNOD', 'CAP_NET_RAW', 'CAP_SETGID', 'CAP_SETUID', 'CAP_SETFCAP', 'CAP_SETPCAP', 'CAP_NET_BIND_SERVICE', 'CAP_SYS_CHROOT', 'CAP_KILL', 'CAP_AUDIT_WRITE']

export async function exportRootfs(rootfs: string, options: ExportOptions): Promise<ExportResult> {
  const root = resolvePath(rootfs)
  if (!statSync(root, {throwIfNoEntry: false})?.isDirectory()) throw new UsageError(`${rootfs}: no such directory (give the rootfs to export)`)
  const output = resolvePath(options.output)
  if (output === root || output.startsWith(root + '/')) throw new UsageError(`-o ${options.output}: inside the rootfs being exported; choose a path outside it`)
  const temp = prepareOutput(output, options.force)
  try {
    if (options.format === 'tar') {
      const entries = await writeTar(root, createWriteStream(temp), options)
      finish(temp, output)
      return {format: 'tar', output, entries}
    }
    if (options.format === 'oci') {
      const {entries, digest} = await writeOci(root, temp, options)
      finish(temp, output)
      return {format: 'oci', output, entries, digest}
    }
    const entries = await writeBundle(root, temp, options)
    finish(temp, output)
    return {format: 'bundle', output, entries}
  } catch (error) {
    rmSync(temp, {recursive: true, force: true})
    throw error
  }
}
