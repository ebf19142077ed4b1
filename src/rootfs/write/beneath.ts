// The one place the writer turns a path inside a tree into something to act on: each
// component is checked or opened in turn and a symlink is never followed, whatever planted it.
import {constants, closeSync, copyFile, fchmodSync, fstatSync, linkSync, lchownSync, lstatSync, mkdirSync, openSync, readdirSync, readlinkSync, readSync, renameSync, rmdirSync, symlinkSync, unlinkSync, writeSync, chmodSync, type Stats} from 'node:fs'
import {posix} from 'node:path'
import {NsToolError} from '../../errors.js'

const DIRECTORY_FLAGS = constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW
// O_PATH (Linux, every architecture ns-tool builds for): a handle on an entry one may not read.
const O_PATH = 0o10000000
// Directories a PinnedTree keeps open at most (more only while one path is deeper than this).
const MAX_OPEN_DIRS = 256

// A path inside a tree that cannot be used as asked: a symlink or a file where a directory is needed.
export class BeneathError extends NsToolError {}

function isErrno(error: unknown, ...codes: string[]): boolean {
  return codes.includes((error as NodeJS.ErrnoException)?.code ?? '')
}

// The tree a build writes (its staging directory). It is private to the build (mode 0700 until it
// is switched in), so a directory found real once stays real; a base archive may still have put
// links in it, and those are refused, never followed.
export class WritableTree {
  // In-tree directories known to be real directories (checked or made by this build).
  private readonly dirs = new Set<string>(['/'])

  constructor(readonly root: string) {}

  // The host path of in-tree `path`, every directory above it a real directory (made when missing).
  // The last component is the caller's to treat without following it.
  resolve(path: string): string {
    const parts = path.split('/').filter(Boolean)
    let current = ''
    for (let i = 0; i < parts.length - 1; i++) {
      current += '/' + parts[i]
      if (this.dirs.has(current)) continue
      const stat = lstatSync(this.root + current, {throwIfNoEntry: false})
      if (!stat) mkdirSync(this.root + current, {mode: 0o755})
      else if (stat.isSymbolicLink()) throw new BeneathError(`${path}: refusing to write through the symbolic link ${current} in the tree`)
      else if (!stat.isDirectory()) throw new BeneathError(`${path}: ${current} is not a directory`)
      this.dirs.add(current)
    }
    return this.root + (parts.length === 0 ? '' : '/' + parts.join('/'))
  }

  lstat(path: string): Stats | undefined {
    return lstatSync(this.resolve(path), {throwIfNoEntry: false})
  }

  // What a directory made by this build is, without asking the kernel again.
  knownDirectory(path: string): boolean {
    return this.dirs.has(path)
  }

  mkdir(path: string, mode = 0o755): void {
    mkdirSync(this.resolve(path), {mode})
    this.dirs.add(path)
  }

  symlink(target: string, path: string): void {
    symlinkSync(target, this.resolve(path))
  }

  // A new file open for writing (O_EXCL: an existing name, a link included, is an error, never
  // followed); the caller closes it.
  openNew(path: string, mode: number): number {
    return openSync(this.resolve(path), constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode)
  }

  writeFile(path: string, content: string | Buffer, mode: number): void {
    const fd = this.openNew(path, mode)
    try {
      const bytes = typeof content === 'string' ? Buffer.from(content) : content
      for (let at = 0; at < bytes.length; ) at += writeSync(fd, bytes, at)
      fchmodSync(fd, mode)
    } finally {
      closeSync(fd)
    }
  }

  // A copy of host file `source` at a new name (COPYFILE_EXCL never opens an existing name).
  async copyFrom(source: string, path: string, flags: number): Promise<void> {
    const dest = this.resolve(path)
    await new Promise<void>((resolve, reject) => copyFile(source, dest, flags | constants.COPYFILE_EXCL, (error) => (error ? reject(error) : resolve())))
  }

  // A hard link at `path` to `existing`, a path already resolved safely (a host source, or a
  // PinnedTree name); link(2) never follows its last component.
  link(existing: string, path: string): void {
    linkSync(existing, this.resolve(path))
  }

  unlink(path: string): void {
    unlinkSync(this.resolve(path))
  }

  remove(path: string): void {
    removeTree(this.resolve(path))
  }

  // chmod(2) follows a link: the entry is checked to be none first (nobody else writes here).
  chmod(path: string, mode: number): void {
    const host = this.resolve(path)
    if (lstatSync(host).isSymbolicLink()) throw new BeneathError(`${path}: refusing to change the mode of a symbolic link's target`)
    chmodSync(host, mode)
  }

  lchown(path: string, uid: number, gid: number): void {
    lchownSync(this.resolve(path), uid, gid)
  }
}

// A tree read from while someone else may change it (the previous output, which `run` lets a
// command write): each directory is opened with O_NOFOLLOW beneath its parent's descriptor and
// names are taken beneath it, through /proc/self/fd; nothing reached goes through a link.
export class PinnedTree {
  private readonly fds = new Map<string, number>()
  private rootFd: number | undefined

  // undefined when the root is not a real directory, or /proc is not mounted.
  static open(root: string): PinnedTree | undefined {
    try {
      const fd = openSync(root, DIRECTORY_FLAGS)
      const tree = new PinnedTree()
      tree.rootFd = fd
      tree.fds.set('/', fd)
      if (!lstatSync(`/proc/self/fd/${fd}`, {throwIfNoEntry: false})) {
        tree.close()
        return undefined
      }
      return tree
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES')) return undefined
      throw error
    }
  }

  // The directory `dir` held open, or undefined when a component is missing or not a directory.
  // The descriptor stays open until the next call at least: it is the most recently used one.
  private dirFd(dir: string): number | undefined {
    const known = this.fds.get(dir)
    if (known !== undefined) {
      // Most recently used goes last: the cache lets go of the first ones.
      this.fds.delete(dir)
      this.fds.set(dir, known)
      return known
    }
    const parent = this.dirFd(posix.dirname(dir))
    if (parent === undefined) return undefined
    try {
      const fd = openSync(`/proc/self/fd/${parent}/${posix.basename(dir)}`, DIRECTORY_FLAGS)
      this.fds.set(dir, fd)
      this.evict(dir)
      return fd
    } catch (error) {
      if (isErrno(error, 'ENOENT', 'ENOTDIR', 'ELOOP', 'EACCES')) return undefined
      throw error
    }
  }

  // Deep or wide trees would hold too many descriptors: close the least recently used beyond
  // MAX_OPEN_DIRS, never the root nor `inUse` and its parents (a name made from them is about to be used).
  private evict(inUse: string): void {
    for (const [dir, fd] of this.fds) {
      if (this.fds.size <= MAX_OPEN_DIRS) return
      if (dir === '/' || inUse === dir || inUse.startsWith(dir + '/')) continue
      closeSync(fd)
      this.fds.delete(dir)
    }
  }

  // A name for in-tree `path` whose directories are pinned: lstat, link, readlink and unlink
  // through it act on the entry itself. undefined when a directory on the way is not a real one.
  at(path: string): string | undefined {
    if (path === '/') return `/proc/self/fd/${this.rootFd}`
    const fd = this.dirFd(posix.dirname(path))
    return fd === undefined ? undefined : `/proc/self/fd/${fd}/${posix.basename(path)}`
  }

  lstat(path: string): Stats | undefined {
    const at = this.at(path)
    return at === undefined ? undefined : lstatSync(at, {throwIfNoEntry: false})
  }

  readdir(dir: string): string[] {
    const fd = this.dirFd(dir)
    return fd === undefined ? [] : readdirSync(`/proc/self/fd/${fd}`)
  }

  readlink(path: string): string {
    return readlinkSync(this.at(path)!)
  }

  // A regular file's bytes, opened without following a link; undefined for anything else.
  readFile(path: string): Buffer | undefined {
    const at = this.at(path)
    if (at === undefined) return undefined
    let fd: number
    try {
      fd = openSync(at, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
    } catch {
      return undefined
    }
    try {
      const stat = fstatSync(fd)
      if (!stat.isFile()) return undefined
      const bytes = Buffer.alloc(stat.size)
      for (let at = 0; at < bytes.length; ) {
        const read = readSync(fd, bytes, at, bytes.length - at, at)
        if (read === 0) return bytes.subarray(0, at)
        at += read
      }
      return bytes
    } finally {
      closeSync(fd)
    }
  }

  // Replaces regular file `path` (its directory pinned) with `content`: a new name beside it,
  // renamed over it. Silently nothing when its directory is not a real one.
  replaceFile(path: string, content: string): void {
    const at = this.at(path)
    if (at === undefined) return
    const temporary = `${at}.ns-tool-new-${process.pid}`
    const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW, 0o644)
    try {
      writeSync(fd, content)
    } finally {
      closeSync(fd)
    }
    renameSync(temporary, at)
  }

  close(): void {
    for (const fd of this.fds.values()) closeSync(fd)
    this.fds.clear()
    this.rootFd = undefined
  }
}

// Removes `path` and everything below it. Each directory is opened with O_NOFOLLOW and emptied
// through its descriptor, so a directory swapped for a link while this runs (a command still
// running in the old tree) is unlinked as a link, and nothing outside is touched.
export function removeTree(path: string): void {
  let fd: number
  try {
    fd = openSync(path, DIRECTORY_FLAGS)
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return
    if (isErrno(error, 'ENOTDIR', 'ELOOP')) return unlinkSync(path)
    throw error
  }
  try {
    emptyDirectory(fd)
  } finally {
    closeSync(fd)
  }
  rmdirSync(path)
}

function emptyDirectory(fd: number): void {
  const here = `/proc/self/fd/${fd}`
  let names: string[]
  try {
    names = readdirSync(here)
  } catch (error) {
    // A directory we may not read (mode 0300 from an archive): ours, so we may chmod it.
    if (!isErrno(error, 'EACCES')) throw error
    fchmodSync(fd, 0o700)
    names = readdirSync(here)
  }
  for (const name of names) {
    const entry = `${here}/${name}`
    try {
      removeEntry(entry)
    } catch (error) {
      if (!isErrno(error, 'EACCES')) throw error
      // The directory is not writable (a 0555 directory of the tree): make it so, then retry.
      fchmodSync(fd, 0o700)
      removeEntry(entry)
    }
  }
}

function removeEntry(entry: string): void {
  let child: number
  try {
    child = openSync(entry, DIRECTORY_FLAGS)
  } catch (error) {
    if (isErrno(error, 'ENOENT')) return
    if (isErrno(error, 'ENOTDIR', 'ELOOP')) return unlinkSync(entry)
    if (!isErrno(error, 'EACCES')) throw error
    // A directory we may not open (mode 0000): ours to chmod, through a handle that cannot be a link.
    const handle = openSync(entry, O_PATH | constants.O_NOFOLLOW | constants.O_DIRECTORY)
    try {
      chmodSync(`/proc/self/fd/${handle}`, 0o700)
    } finally {
      closeSync(handle)
    }
    child = openSync(entry, DIRECTORY_FLAGS)
  }
  try {
    emptyDirectory(child)
  } finally {
    closeSync(child)
  }
  rmdirSync(entry)
}
