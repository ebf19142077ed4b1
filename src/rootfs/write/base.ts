// --base: the starting tree of a build (an Alpine mini root filesystem, a previous export), from a
// .tar, .tar.gz/.tgz, .tar.xz, .tar.zst or a directory. An archive is read twice: first every
// member is checked — and the whole archive refused before anything is written if one is hostile
// (an absolute or ".." path, a member that would land through a symlink, a hard link leaving the
// tree, a device node when not root) — then it is extracted with links and modes kept.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, posix} from 'node:path'
import {NsToolError} from '../../errors.js'

interface Member {
  path: string
  type: string
  linkpath?: string
}

function decompressor(source: string): {tool: string; pkg: string} | undefined {
  if (/\.(tar\.xz|txz)$/.test(source)) return {tool: 'xz', pkg: 'xz-utils'}
  if (/\.(tar\.zst|tzst)$/.test(source)) return {tool: 'zstd', pkg: 'zstd'}
  return undefined
}

// node-tar reads plain and gzip archives itself; xz and zstd go through the system tool first.
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

function normalized(path: string): string {
  return posix.normalize(path).replace(/^\.\/?/, '').replace(/\/$/, '')
}

function hostile(members: Member[], root: boolean): string | undefined {
  const links = new Set<string>()
  for (const member of members) {
    const raw = member.path
    if (raw.startsWith('/')) return `${raw}: an absolute member path`
    if (raw.split('/').includes('..')) return `${raw}: a member path with ".."`
    const path = normalized(raw)
    const parts = path.split('/')
    for (let i = 1; i < parts.length; i++) {
      if (links.has(parts.slice(0, i).join('/'))) return `${raw}: would be written through the symlink ${parts.slice(0, i).join('/')}`
    }
    if (member.type === 'SymbolicLink') links.add(path)
    if (member.type === 'Link') {
      const target = member.linkpath ?? ''
      if (target.startsWith('/') || target.split('/').includes('..')) return `${raw}: a hard link to ${target}, outside the tree`
    }
    if ((member.type === 'CharacterDevice' || member.type === 'BlockDevice') && !root) return `${raw}: a device node (only root may create one; rootfs builds get their /dev at run time)`
  }
  return undefined
}

export async function extractBase(source: string, target: string, options: {root: boolean}): Promise<void> {
  const stat = statSync(source, {throwIfNoEntry: false})
  if (!stat) throw new NsToolError(`--base ${source}: no such file or directory`)
  if (stat.isDirectory()) {
    // cp -a copies links as links, keeps modes (and owners as root), never follows a symlink.
    const r = spawnSync('cp', ['-a', '--', `${source}/.`, target], {encoding: 'utf8'})
    if (r.status !== 0) throw new NsToolError(`--base ${source}: copying the directory failed (${r.stderr.trim().split('\n')[0]})`)
    return
  }
  const tar = await import('tar')
  const archive = plainArchive(source)
  try {
    const members: Member[] = []
    try {
      await tar.t({file: archive.file, onReadEntry: (entry) => members.push({path: entry.path, type: entry.type, linkpath: entry.linkpath})})
    } catch (error) {
      throw new NsToolError(`--base ${source}: not a readable tar archive (${(error as Error).message})`)
    }
    if (members.length === 0) throw new NsToolError(`--base ${source}: not a tar archive, or an empty one`)
    const refused = hostile(members, options.root)
    if (refused) throw new NsToolError(`--base ${source}: refused, nothing extracted: ${refused}`)
    await tar.x({file: archive.file, cwd: target, preserveOwner: options.root, strict: true, unlink: true})
  } finally {
    archive.cleanup()
  }
  if (!existsSync(target)) throw new NsToolError(`--base ${source}: extraction produced nothing`)
}
