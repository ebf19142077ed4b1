// The host's compiled locales, as glibc's setlocale finds them: a directory LOCALE_DIR/NAME (its
// codeset written as given or normalized: de_DE.UTF-8 -> de_DE.utf8), or an entry of
// LOCALE_DIR/locale-archive, where locale-gen puts them.
import {closeSync, openSync, readSync} from 'node:fs'
import {posix} from 'node:path'
import type {Sysroot} from '../loader/sysroot.js'
import {NsToolError} from '../errors.js'

// glibc's locarchive.h: the archive's magic, and its header's namehash fields (offset, used, size).
const ARCHIVE_MAGIC = 0xde020109
const HEADER_BYTES = 40
const NAMEHASH_ENTRY_BYTES = 12

// The name glibc also tries: the codeset lowercased, only its letters and digits, "iso" before
// one made of digits alone (_nl_normalize_codeset).
export function normalizedLocale(name: string): string {
  const match = /^([^.@]*)(?:\.([^@]*))?(@.*)?$/.exec(name)
  if (!match || match[2] === undefined) return name
  let codeset = match[2].toLowerCase().replace(/[^a-z0-9]/g, '')
  if (/^\d+$/.test(codeset)) codeset = `iso${codeset}`
  return `${match[1]}.${codeset}${match[3] ?? ''}`
}

// What brings locale NAME into a tree: its directory, else the archive that holds it (whole: the
// archive is one file). Throws naming what is missing and how to compile it.
export function compiledLocale(sysroot: Sysroot, localeDir: string, name: string): {path: string; tree: boolean} {
  if (!/^[A-Za-z][A-Za-z0-9_.@+-]*$/.test(name)) throw new NsToolError(`--locale ${name}: not a locale name (for example de_DE.UTF-8)`, 'invalid')
  const names = [...new Set([name, normalizedLocale(name)])]
  for (const candidate of names) if (sysroot.isDirectory(posix.join(localeDir, candidate))) return {path: posix.join(localeDir, candidate), tree: true}
  const archive = posix.join(localeDir, 'locale-archive')
  if (archiveNames(sysroot, archive).some((listed) => names.includes(listed))) return {path: archive, tree: false}
  const [source, codeset] = name.split(/[.@]/)
  throw new NsToolError(`--locale ${name}: not compiled on this host (no ${posix.join(localeDir, names.at(-1)!)}, not in ${archive}); compile it with \`localedef -i ${source} -f ${codeset ?? 'UTF-8'} ${name}\`, or add it to /etc/locale.gen and run \`locale-gen\``, 'not-found')
}

// The locale names an archive lists (none when it is absent or not an archive).
export function archiveNames(sysroot: Sysroot, archive: string): string[] {
  let fd: number | undefined
  try {
    fd = openSync(sysroot.hostPath(sysroot.realpath(archive)), 'r')
    const header = read(fd, 0, HEADER_BYTES)
    if (header.length < HEADER_BYTES || header.readUInt32LE(0) !== ARCHIVE_MAGIC) return []
    const [offset, size] = [header.readUInt32LE(8), header.readUInt32LE(16)]
    const table = read(fd, offset, size * NAMEHASH_ENTRY_BYTES)
    const names: string[] = []
    for (let at = 0; at + NAMEHASH_ENTRY_BYTES <= table.length; at += NAMEHASH_ENTRY_BYTES) {
      const nameOffset = table.readUInt32LE(at + 4)
      if (table.readUInt32LE(at + 8) === 0 || nameOffset === 0) continue
      const bytes = read(fd, nameOffset, 256)
      names.push(bytes.toString('latin1', 0, Math.max(0, bytes.indexOf(0))))
    }
    return names
  } catch {
    return []
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

function read(fd: number, position: number, length: number): Buffer {
  const buffer = Buffer.alloc(length)
  return buffer.subarray(0, readSync(fd, buffer, 0, length, position))
}
