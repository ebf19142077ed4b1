// What ns-tool reads of a host binary without parsing it: its first bytes, and the absolute paths
// compiled into it (libc's gconv directory, an embedded python's prefix, perl's library).
import {closeSync, fstatSync, openSync, readSync} from 'node:fs'

// The bytes a path of binaryPaths may hold: A-Z a-z 0-9 _ . / + -
const PATH_BYTE = new Uint8Array(256).map((_, byte) => (/[A-Za-z0-9_./+-]/.test(String.fromCharCode(byte)) ? 1 : 0))
const NUL_SLASH = Buffer.from([0, 0x2f])

// NUL-terminated strings of a binary that look like absolute paths (3 to 201 bytes, each a
// PATH_BYTE, between two NULs). Found with indexOf on the bytes: a regular expression over libc's
// 2 MB read as text cost a plan ~8 ms.
export function binaryPaths(hostPath: string): string[] {
  const bytes = readBytes(hostPath, 16 * 1024 * 1024)
  const found = new Set<string>()
  for (let at = bytes.indexOf(NUL_SLASH); at !== -1; at = bytes.indexOf(NUL_SLASH, at + 1)) {
    const start = at + 1
    let end = start + 1
    while (end < bytes.length && end - start <= 201 && PATH_BYTE[bytes[end]] === 1) end++
    if (end < bytes.length && bytes[end] === 0 && end - start >= 3 && end - start <= 201) found.add(bytes.toString('latin1', start, end))
  }
  return [...found]
}

// The first `limit` bytes of a file (all of it when smaller); none when it cannot be read.
function readBytes(hostPath: string, limit: number): Buffer {
  let fd: number | undefined
  try {
    fd = openSync(hostPath, 'r')
    const buffer = Buffer.allocUnsafe(Math.min(limit, fstatSync(fd).size))
    return buffer.subarray(0, readSync(fd, buffer, 0, buffer.length, 0))
  } catch {
    return Buffer.alloc(0)
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

// The first `limit` bytes of a file as text, one character a byte.
export function readText(hostPath: string, limit = 1024 * 1024): string {
  return readBytes(hostPath, limit).toString('latin1')
}
