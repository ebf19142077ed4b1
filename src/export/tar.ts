// The reproducible tar stream of a list of tree entries, written by tar-stream: numeric owners,
// no user or group names, mtimes clamped to the epoch, a file's further hard links as links to
// its first path in this stream. The same entries give the same bytes.
import {createReadStream, readlinkSync} from 'node:fs'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import type {TreeEntry} from './tree.js'

// The part of tar-stream's pack we use.
interface TarPack {
  entry(header: object, callback: (error?: Error | null) => void): NodeJS.WritableStream
  finalize(): void
}

export interface TarOptions {
  // Seconds since the epoch that no mtime may exceed.
  epoch: number
  // Called with (entries written, total).
  progress?: (done: number, total: number) => void
}

// Writes the entries of the tree at rootfs, in the order given, to sink; returns how many.
export async function writeTar(rootfs: string, entries: TreeEntry[], sink: NodeJS.WritableStream, options: TarOptions): Promise<number> {
  const {pack: makePack} = (await import('tar-stream')).default
  const pack = makePack() as unknown as TarPack & NodeJS.ReadableStream
  const clamp = new Date(options.epoch * 1000)
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

function entry(pack: TarPack, header: object): Promise<void> {
  return new Promise((resolve, reject) => pack.entry(header, (error) => (error ? reject(error) : resolve())))
}
