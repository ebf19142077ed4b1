// Which package owns each path a dpkg database lists, kept between runs. Making it reads every
// package's file list (~125k lines, 0.1-0.3 s on a desktop Debian), which would double the time
// of a small build; the saved index is one sorted file with a sparse index of its own at the
// top: a lookup reads one short stretch of it. It is used only while the database is as it was
// when the index was made (the status file, the info directory and the diversions file: same
// mtime, size and inode). Small databases (a test's sysroot) are not saved.
import {closeSync, constants as fsConstants, mkdirSync, openSync, readdirSync, readSync, renameSync, statSync, unlinkSync, writeFileSync} from 'node:fs'
import {dirname, join, posix} from 'node:path'
import {cacheDir, cacheKey} from '../cache-dir.js'

// Values are "NAME:ARCH".
export interface OwnerIndex {
  get(path: string): string | undefined
}

// In the file name too: a version reads only the index of its format. Saving one removes the same
// sysroot's others (another version installed too then remakes its own, ~1 s, once per change of
// the database). 3: paths in UTF-8 (2 held them as latin1 and cannot be reused).
const FORMAT = 3
const SAVED_FROM = 20_000
// One sparse-index line per this many lines of the index.
const STRIDE = 128

export function ownerIndex(sysroot: string, dpkgDir: string, make: () => Map<string, string>): OwnerIndex {
  const stamp = JSON.stringify([FORMAT, sysroot, ...['status', 'info', 'diversions'].map((name) => fingerprint(posix.join(sysroot, dpkgDir, name)))])
  const file = cacheDir('dpkg-owners', `${cacheKey(sysroot)}.v${FORMAT}.idx`)
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

// The saved index, UTF-8 (as the lists are read); offsets and lengths count bytes:
//   STAMP\n  SPARSE-BYTES\n  sparse lines: PATH\tOFFSET\n (every STRIDE-th line of the body,
//   OFFSET from the body's start; and the body's end: \tEND\n)  body: PATH\tOWNER\n sorted by PATH.
// Reading all of it (10 MB here) cost a small build 13 ms; a lookup now reads one stretch.
function readSaved(file: string, stamp: string): OwnerIndex | undefined {
  let fd: number
  try {
    fd = openSync(file, 'r')
  } catch {
    return undefined
  }
  const index = sparseIndex(fd, stamp)
  if (!index) {
    closeSync(fd)
    return undefined
  }
  const stretches = new Map<number, string>()
  const owners: OwnerIndex = {
    get(path) {
      // The last sparse key <= path opens the stretch that holds path, if anything does.
      let lo = 0
      let hi = index.keys.length - 1
      while (lo < hi) {
        const middle = (lo + hi + 1) >>> 1
        if (index.keys[middle] <= path) lo = middle
        else hi = middle - 1
      }
      if (index.keys.length === 0 || index.keys[lo] > path) return undefined
      let stretch = stretches.get(lo)
      if (stretch === undefined) stretches.set(lo, (stretch = readAt(fd, index.body + index.offsets[lo], index.offsets[lo + 1] - index.offsets[lo])))
      return lineValue(stretch, `${path}\t`)
    },
  }
  // The descriptor lives as long as the index (a database opened again gets its own).
  release.register(owners, fd)
  return owners
}

const release = new FinalizationRegistry<number>((fd) => closeSync(fd))

// The rest of the first line of text at or after `from` that begins with prefix, without its
// newline; undefined when no line does. dpkg's files and this index are read this way.
export function lineValue(text: string, prefix: string, from = 0): string | undefined {
  const at = lineStart(text, prefix, from)
  if (at < 0) return undefined
  const end = text.indexOf('\n', at)
  return text.slice(at + prefix.length, end < 0 ? undefined : end)
}

// Where the first line of text at or after `from` that begins with prefix begins; -1 when none does.
export function lineStart(text: string, prefix: string, from = 0): number {
  if (from === 0 && text.startsWith(prefix)) return 0
  const at = text.indexOf(`\n${prefix}`, Math.max(from - 1, 0))
  return at < 0 ? -1 : at + 1
}

// The sparse keys and their offsets (one more offset: the body's end), and where the body starts;
// undefined for a file of another stamp or format.
function sparseIndex(fd: number, stamp: string): {keys: string[]; offsets: number[]; body: number} | undefined {
  const head = readBytes(fd, 0, Buffer.byteLength(stamp) + 24)
  const first = head.indexOf(NEWLINE)
  const second = head.indexOf(NEWLINE, first + 1)
  if (first < 0 || second < 0 || head.toString('utf8', 0, first) !== stamp) return undefined
  const length = Number(head.toString('utf8', first + 1, second))
  if (!Number.isSafeInteger(length) || length <= 0) return undefined
  const lines = readAt(fd, second + 1, length).split('\n')
  const keys: string[] = []
  const offsets: number[] = []
  for (const line of lines) {
    const tab = line.lastIndexOf('\t')
    if (tab < 0) continue
    if (tab > 0) keys.push(line.slice(0, tab))
    offsets.push(Number(line.slice(tab + 1)))
  }
  if (offsets.length !== keys.length + 1) return undefined
  return {keys, offsets, body: second + 1 + length}
}

const NEWLINE = 0x0a

function readBytes(fd: number, position: number, length: number): Buffer {
  const bytes = Buffer.allocUnsafe(length)
  return bytes.subarray(0, readSync(fd, bytes, 0, length, position))
}

// The text of a stretch; one that ends at a line's start cuts no character.
function readAt(fd: number, position: number, length: number): string {
  return readBytes(fd, position, length).toString('utf8')
}

function save(file: string, stamp: string, owners: Map<string, string>): void {
  const lines = [...owners].filter(([path]) => !/[\t\n]/.test(path)).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const body = lines.map(([path, owner]) => `${path}\t${owner}\n`)
  const sparse: string[] = []
  let offset = 0
  body.forEach((line, i) => {
    if (i % STRIDE === 0) sparse.push(`${lines[i][0]}\t${offset}\n`)
    offset += Buffer.byteLength(line)
  })
  sparse.push(`\t${offset}\n`)
  const sparseText = sparse.join('')
  const temp = `${file}.${process.pid}`
  try {
    mkdirSync(dirname(file), {recursive: true})
    writeFileSync(temp, `${stamp}\n${Buffer.byteLength(sparseText)}\n${sparseText}${body.join('')}`, 'utf8')
    renameSync(temp, file)
  } catch {
    // A cache that cannot be written (a read-only or absent home) only costs time.
    return
  }
  removeOthers(file, stamp)
}

// Other indexes of the same sysroot (~10 MB each for a desktop's database): those of an earlier
// format or file name, which this version never reads. Each names its sysroot in its stamp.
function removeOthers(file: string, stamp: string): void {
  const sysroot = (JSON.parse(stamp) as unknown[])[1]
  const dir = dirname(file)
  let names: string[]
  try {
    names = readdirSync(dir)
  } catch {
    return
  }
  for (const name of names) {
    const other = join(dir, name)
    if (!name.endsWith('.idx') || other === file) continue
    try {
      const fd = openSync(other, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK)
      let head: string
      try {
        head = readAt(fd, 0, 4096)
      } finally {
        closeSync(fd)
      }
      if ((JSON.parse(head.slice(0, head.indexOf('\n'))) as unknown[])[1] === sysroot) unlinkSync(other)
    } catch {
      // Not an index of ours, or gone already.
    }
  }
}
