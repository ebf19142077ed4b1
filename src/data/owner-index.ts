// Which package owns each path a dpkg database lists, kept between runs. Making it reads every
// package's file list (~125k lines, 0.1-0.3 s on a desktop Debian), which would double the time
// of a small build; the saved index is one sorted file, read in a few ms and searched by
// bisection. It is used only while the database is as it was when the index was made (the status
// file, the info directory and the diversions file: same mtime, size and inode). Small databases
// (a test's sysroot) are not saved.
import {createHash} from 'node:crypto'
import {mkdirSync, readFileSync, renameSync, statSync, writeFileSync} from 'node:fs'
import {dirname, posix} from 'node:path'
import {cacheDir} from '../cache-dir.js'

// Values are "NAME:ARCH".
export interface OwnerIndex {
  get(path: string): string | undefined
}

const FORMAT = 1
const SAVED_FROM = 20_000

export function ownerIndex(sysroot: string, dpkgDir: string, make: () => Map<string, string>): OwnerIndex {
  const stamp = JSON.stringify([FORMAT, sysroot, ...['status', 'info', 'diversions'].map((name) => fingerprint(posix.join(sysroot, dpkgDir, name)))])
  const file = cacheDir('dpkg-owners', `${createHash('sha256').update(sysroot).digest('hex').slice(0, 16)}.idx`)
  const saved = readSaved(file, stamp)
  if (saved) return saved
  const owners = make()
  if (owners.size >= SAVED_FROM) save(file, stamp, owners)
  return owners
}

function fingerprint(path: string): string {
  const stat = statSync(path, {throwIfNoEntry: false})
  return stat ? `${stat.mtimeMs}:${stat.size}:${stat.ino}` : '-'
}

// The saved index: the stamp on the first line, then "PATH\tOWNER" lines sorted by PATH's bytes
// (latin1, as the lists are read). Searched as bytes: decoding 10 MB to a string costs 40 ms.
function readSaved(file: string, stamp: string): OwnerIndex | undefined {
  let bytes: Buffer
  try {
    bytes = readFileSync(file)
  } catch {
    return undefined
  }
  const first = bytes.indexOf(NEWLINE)
  if (first < 0 || bytes.toString('latin1', 0, first) !== stamp) return undefined
  return {get: (path) => bisect(bytes, first + 1, Buffer.from(path, 'latin1'))}
}

const NEWLINE = 0x0a
const TAB = 0x09

function bisect(bytes: Buffer, from: number, path: Buffer): string | undefined {
  // lo and hi are line starts; the line sought, if any, starts in [lo, hi).
  let lo = from
  let hi = bytes.length
  while (lo < hi) {
    const mid = (lo + hi) >>> 1
    const start = mid === lo ? lo : bytes.lastIndexOf(NEWLINE, mid - 1) + 1
    const end = bytes.indexOf(NEWLINE, start)
    const tab = bytes.indexOf(TAB, start)
    const order = bytes.compare(path, 0, path.length, start, tab)
    if (order === 0) return bytes.toString('latin1', tab + 1, end)
    if (order < 0) lo = end + 1
    else hi = start
  }
  return undefined
}

function save(file: string, stamp: string, owners: Map<string, string>): void {
  const lines = [...owners].filter(([path]) => !/[\t\n]/.test(path)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const temp = `${file}.${process.pid}`
  try {
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(temp, `${stamp}\n${lines.map(([path, owner]) => `${path}\t${owner}\n`).join('')}`, 'latin1')
    renameSync(temp, file)
  } catch {
    // A cache that cannot be written (a read-only or absent home) only costs time.
  }
}
