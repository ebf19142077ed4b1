// --file SRC[:DEST]: files, symlinks and directories added by hand, and the ELF files among them
// (whose dependencies the resolver adds too).
import type {Stats} from 'node:fs'
import {lstatSync, readdirSync, readlinkSync} from 'node:fs'
import {posix, resolve as resolvePath} from 'node:path'
import {isElfFile} from '../../elf/ident.js'
import {NsToolError, UsageError} from '../../errors.js'
import type {EntryMap} from './entries.js'

// A --file argument: SRC[:DEST]. DEST must stay inside the rootfs.
export interface FileRequest {
  source: string
  dest: string
}

export function parseFileFlag(value: string): FileRequest {
  const colon = value.indexOf(':')
  const source = colon < 0 ? value : value.slice(0, colon)
  const rawDest = colon < 0 ? resolvePath(source) : value.slice(colon + 1)
  if (source === '') throw new UsageError(`--file ${value}: SRC is empty (expected SRC[:DEST])`)
  if (rawDest === '') throw new UsageError(`--file ${value}: DEST is empty (expected SRC[:DEST])`)
  if (rawDest.split('/').includes('..')) throw new UsageError(`--file ${value}: DEST may not contain ".." (it must stay inside the rootfs)`)
  return {source: resolvePath(source), dest: posix.normalize(posix.join('/', rawDest))}
}

// A file, a symlink (kept as a link) or a directory (recursively), at DEST. Returns the ELF
// files among them (host paths) so that their dependencies are resolved too.
export function placeFileRequest(map: EntryMap, request: FileRequest): string[] {
  const stat = lstatSync(request.source, {throwIfNoEntry: false})
  if (!stat) throw new NsToolError(`--file ${request.source}: no such file or directory`)
  const elfFiles: string[] = []
  const visit = (source: string, dest: string, stat: Stats) => {
    const path = map.canonical(dest)
    if (stat.isSymbolicLink()) {
      map.add({path, type: 'symlink', target: readlinkSync(source), reason: 'file'})
    } else if (stat.isDirectory()) {
      map.add({path, type: 'dir', mode: stat.mode & 0o7777, reason: 'file'})
      for (const name of readdirSync(source).sort()) {
        const child = posix.join(source, name)
        const childStat = lstatSync(child, {throwIfNoEntry: false})
        if (childStat) visit(child, posix.join(dest, name), childStat)
      }
    } else if (stat.isFile()) {
      map.add({path, type: 'file', source, mode: stat.mode & 0o7777, reason: 'file'})
      if (isElfFile(source)) elfFiles.push(source)
    }
    // Sockets, fifos and devices are not copied: a rootfs gets its own /dev at run time.
  }
  visit(request.source, request.dest, stat)
  return elfFiles
}
