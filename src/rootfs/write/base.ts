// --base: the starting tree of a build (an Alpine mini root filesystem, a previous export), from a
// .tar, .tar.gz/.tgz, .tar.xz, .tar.zst or a directory, laid into the staging tree.
// An archive is read twice: every member is checked first — the whole archive refused before
// anything is written if one is hostile (an absolute or ".." path, a member below a symlink of the
// archive, a hard link to anything but an earlier file of it, a device node when not root) — then
// it is written through the staging tree's beneath helper, links kept exactly as written (an
// absolute target is resolved inside the tree when the tree is used), modes, mtimes and (as root)
// owners kept.
import {spawnSync} from 'node:child_process'
import {closeSync, createReadStream, createWriteStream, lutimesSync, mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, posix} from 'node:path'
import type {Readable} from 'node:stream'
import {NsToolError} from '../../errors.js'
import {BeneathError, type WritableTree} from './beneath.js'

interface Member {
  path: string
  type: string
  linkname?: string
}

// An archive header as tar-stream gives it.
interface Header {
  name: string
  type: string | null
  linkname?: string | null
  mode?: number
  uid?: number
  gid?: number
  mtime?: Date
}

function decompressor(source: string): {tool: string; pkg: string} | undefined {
  if (/\.(tar\.xz|txz)$/.test(source)) return {tool: 'xz', pkg: 'xz-utils'}
  if (/\.(tar\.zst|tzst)$/.test(source)) return {tool: 'zstd', pkg: 'zstd'}
  return undefined
}

// xz and zstd go through the system tool first, to a plain tar read twice from disk.
function plainArchive(source: string): {file: string; cleanup(): void} {
  const codec = decompressor(source)
  if (!codec) return {file: source, cleanup() {}}
  const dir = mkdtempSync(join(tmpdir(), 'ns-tool-base-'))
  const file = join(dir, 'base.tar')
  const r = spawnSync('sh', ['-c', `${codec.tool} -dc -- "$1" > "$2"`, 'sh', source, file], {encoding: 'utf8'})
  if (r.status !== 0) {
    rmSync(dir, {recursive: true, force: true})
    const missing = r.status === 127 || /not found/.test(r.stderr)
    throw new NsToolError(missing ? `--base ${source}: ${codec.tool} is not installed (apt-get install ${codec.pkg})` : `--base ${source}: ${codec.tool} could not read it (${r.stderr.trim().split('\n')[0]})`)
  }
  return {file, cleanup: () => rmSync(dir, {recursive: true, force: true})}
}

// The archive's bytes, gunzipped when they start with gzip's magic.
async function archiveStream(file: string): Promise<Readable> {
  const head = await new Promise<Buffer>((resolve, reject) => {
    const stream = createReadStream(file, {start: 0, end: 1})
    const chunks: Buffer[] = []
    stream.on('data', (chunk) => chunks.push(chunk as Buffer)).on('end', () => resolve(Buffer.concat(chunks))).on('error', reject)
  })
  const raw = createReadStream(file)
  if (head[0] !== 0x1f || head[1] !== 0x8b) return raw
  const {createGunzip} = await import('node:zlib')
  const gunzip = createGunzip()
  raw.on('error', (error) => gunzip.destroy(error))
  return raw.pipe(gunzip)
}

// Calls onMember for each member in order (its body drained unless onMember consumes it).
async function eachMember(file: string, onMember: (header: Header, body: Readable) => Promise<void>): Promise<void> {
  const {extract: makeExtract} = (await import('tar-stream')).default
  const extract = makeExtract()
  const input = await archiveStream(file)
  input.on('error', (error) => extract.destroy(error))
  input.pipe(extract)
  for await (const entry of extract as AsyncIterable<Readable & {header: Header}>) {
    await onMember(entry.header, entry)
    entry.resume()
  }
}

function normalized(path: string): string {
  return posix.normalize(path).replace(/^\.\/?/, '').replace(/\/$/, '')
}

// Why the archive is refused, or undefined when every member may be written.
function hostile(members: Member[], root: boolean): string | undefined {
  const links = new Set<string>()
  const files = new Set<string>()
  for (const member of members) {
    const raw = member.path
    if (raw.startsWith('/')) return `${raw}: an absolute member path`
    if (raw.split('/').includes('..')) return `${raw}: a member path with ".."`
    const path = normalized(raw)
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) {
      if (links.has(parts.slice(0, i).join('/'))) return `${raw}: would be written through the symlink ${parts.slice(0, i).join('/')}`
    }
    links.delete(path)
    files.delete(path)
    if (member.type === 'symlink') links.add(path)
    if (member.type === 'file' || member.type === 'contiguous-file') files.add(path)
    if (member.type === 'link') {
      const target = member.linkname ?? ''
      if (target.startsWith('/') || target.split('/').includes('..')) return `${raw}: a hard link to ${target}, outside the tree`
      if (!files.has(normalized(target))) return `${raw}: a hard link to ${target}, which is not an earlier file of the archive`
      files.add(path)
    }
    if ((member.type === 'character-device' || member.type === 'block-device') && !root) return `${raw}: a device node (only root may create one; rootfs builds get their /dev at run time)`
  }
  return undefined
}

export async function extractBase(source: string, tree: WritableTree, options: {root: boolean; warn?: (message: string) => void}): Promise<void> {
  const stat = statSync(source, {throwIfNoEntry: false})
  if (!stat) throw new NsToolError(`--base ${source}: no such file or directory`)
  if (stat.isDirectory()) {
    // cp -a copies links as links, keeps modes (and owners as root), never follows a symlink; the
    // staging tree it writes into is new and this build's alone.
    const r = spawnSync('cp', ['-a', '--', `${source}/.`, tree.root], {encoding: 'utf8'})
    if (r.status !== 0) throw new NsToolError(`--base ${source}: copying the directory failed (${r.stderr.trim().split('\n')[0]})`)
    return
  }
  const archive = plainArchive(source)
  try {
    const members: Member[] = []
    await readArchive(source, () => eachMember(archive.file, async (header) => void members.push({path: header.name, type: header.type ?? 'file', linkname: header.linkname ?? undefined})))
    if (members.length === 0) throw new NsToolError(`--base ${source}: not a tar archive, or an empty one`)
    const refused = hostile(members, options.root)
    if (refused) throw new NsToolError(`--base ${source}: refused, nothing extracted: ${refused}`)
    const skipped: string[] = []
    const dirs: Array<[string, Header]> = []
    await readArchive(source, () => eachMember(archive.file, (header, body) => writeMember(tree, header, body, options.root, {skipped, dirs})))
    // Directory modes and times last, deepest first: a 0555 directory must not stop its members.
    for (const [path, header] of dirs.reverse()) {
      if (options.root && header.uid !== undefined) tree.lchown(path, header.uid, header.gid ?? 0)
      tree.chmod(path, (header.mode ?? 0o755) & 0o7777)
      if (header.mtime) lutimesSync(tree.resolve(path), header.mtime, header.mtime)
    }
    if (skipped.length > 0) options.warn?.(`warning: --base ${source}: ${skipped.length} device node(s) and fifo(s) not created (a rootfs gets its /dev at run time): ${skipped.slice(0, 3).join(', ')}${skipped.length > 3 ? ', ...' : ''}`)
  } finally {
    archive.cleanup()
  }
}

// Runs a pass over the archive; what the archive library or zlib throws becomes one line.
async function readArchive(source: string, pass: () => Promise<void>): Promise<void> {
  try {
    await pass()
  } catch (error) {
    if (error instanceof NsToolError && !(error instanceof BeneathError)) throw error
    if ((error as NodeJS.ErrnoException).syscall && !(error instanceof BeneathError)) throw error
    const detail = (error as Error).message.split('\n')[0]
    throw new NsToolError(error instanceof BeneathError ? `--base ${source}: ${detail}` : `--base ${source}: not a readable tar archive (${detail})`)
  }
}

async function writeMember(tree: WritableTree, header: Header, body: Readable, root: boolean, state: {skipped: string[]; dirs: Array<[string, Header]>}): Promise<void> {
  const path = '/' + normalized(header.name)
  if (path === '/') return
  const type = header.type ?? 'file'
  const existing = tree.lstat(path)
  if (type === 'directory') {
    if (existing && !existing.isDirectory()) tree.unlink(path)
    if (!existing?.isDirectory()) tree.mkdir(path, 0o700)
    state.dirs.push([path, header])
    return
  }
  if (existing?.isDirectory()) tree.remove(path)
  else if (existing) tree.unlink(path)
  if (type === 'symlink') {
    tree.symlink(header.linkname ?? '', path)
    if (root && header.uid !== undefined) tree.lchown(path, header.uid, header.gid ?? 0)
    if (header.mtime) lutimesSync(tree.resolve(path), header.mtime, header.mtime)
    return
  }
  if (type === 'link') return tree.link(tree.resolve('/' + normalized(header.linkname ?? '')), path)
  if (type !== 'file' && type !== 'contiguous-file') {
    state.skipped.push(path)
    return
  }
  const fd = tree.openNew(path, 0o600)
  try {
    await new Promise<void>((resolve, reject) => {
      const sink = createWriteStream('', {fd, autoClose: false})
      body.on('error', reject)
      sink.on('error', reject).on('finish', resolve)
      body.pipe(sink)
    })
  } finally {
    closeSync(fd)
  }
  if (root && header.uid !== undefined) tree.lchown(path, header.uid, header.gid ?? 0)
  tree.chmod(path, (header.mode ?? 0o644) & 0o7777)
  if (header.mtime) lutimesSync(tree.resolve(path), header.mtime, header.mtime)
}
