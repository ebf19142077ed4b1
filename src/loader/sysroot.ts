// Looking files up inside a sysroot as a process chrooted there would: an absolute symlink target
// /usr/lib/x is sysroot + /usr/lib/x, ".." stops at the sysroot's root, and nothing outside the
// sysroot is ever read. With the sysroot "/" this is plain realpath, cached.
import {lstatSync, readlinkSync, realpathSync, statSync, type Stats} from 'node:fs'
import {posix} from 'node:path'

// Linux gives up after 40 symlinks in one lookup (MAXSYMLINKS).
const MAX_SYMLINKS = 40

export class SysrootLookupError extends Error {
  readonly code: 'ENOENT' | 'ELOOP' | 'ENOTDIR' | 'EACCES' | 'EIO'
  readonly path: string

  constructor(code: SysrootLookupError['code'], path: string) {
    super(`${path}: ${code}`)
    this.name = 'SysrootLookupError'
    this.code = code
    this.path = path
  }
}

function lookupCode(error: unknown): SysrootLookupError['code'] {
  const code = (error as NodeJS.ErrnoException).code
  if (code === 'ENOENT' || code === 'ELOOP' || code === 'ENOTDIR' || code === 'EACCES') return code
  return 'EIO'
}

// The regular file a path leads to: its in-sysroot real path and its stat.
export interface RealFile {
  real: string
  stats: Stats
}

export class Sysroot {
  // The host directory; "/" for the host itself.
  readonly root: string
  private readonly realCache = new Map<string, string | SysrootLookupError>()
  private readonly fileCache = new Map<string, RealFile | SysrootLookupError>()
  // lstat of real paths met by hostRealpath (not symlinks, so also their stat).
  private readonly realStats = new Map<string, Stats>()
  private depth = 0

  constructor(root = '/') {
    this.root = root === '/' ? '/' : posix.resolve(root)
  }

  get isHost(): boolean {
    return this.root === '/'
  }

  // The host path of an in-sysroot absolute path (no symlink resolution).
  hostPath(path: string): string {
    return this.isHost ? path : this.root + path
  }

  // The in-sysroot path of a host path inside the sysroot, or undefined when it is outside.
  fromHostPath(hostPath: string): string | undefined {
    const absolute = posix.resolve(hostPath)
    if (this.isHost) return absolute
    if (absolute === this.root) return '/'
    if (absolute.startsWith(this.root + '/')) return absolute.slice(this.root.length)
    return undefined
  }

  // realpath(3) inside the sysroot. Throws SysrootLookupError.
  realpath(path: string): string {
    // No lexical clean-up: "link/.." must reach the link target's parent, as in the kernel.
    const normalized = path.startsWith('/') ? path : `/${path}`
    const cached = this.realCache.get(normalized)
    if (cached !== undefined) {
      if (cached instanceof SysrootLookupError) throw cached
      return cached
    }
    let result: string | SysrootLookupError
    try {
      result = this.isHost ? this.hostRealpath(normalized, 0) : this.resolveInside(normalized)
    } catch (error) {
      result = new SysrootLookupError(error instanceof SysrootLookupError ? error.code : lookupCode(error), normalized)
    }
    this.realCache.set(normalized, result)
    if (result instanceof SysrootLookupError) throw result
    return result
  }

  // The regular file at path (symlinks followed), or undefined when there is none: missing,
  // a dangling link, a directory. A symlink loop or EACCES throws SysrootLookupError.
  file(path: string): RealFile | undefined {
    const normalized = path.startsWith('/') ? path : `/${path}`
    let cached = this.fileCache.get(normalized)
    if (cached === undefined) {
      try {
        const real = this.realpath(normalized)
        const stats = this.realStats.get(real) ?? statSync(this.hostPath(real))
        cached = stats.isFile() ? {real, stats} : new SysrootLookupError('ENOENT', normalized)
      } catch (error) {
        cached = error instanceof SysrootLookupError ? error : new SysrootLookupError(lookupCode(error), normalized)
      }
      this.fileCache.set(normalized, cached)
    }
    if (cached instanceof SysrootLookupError) {
      if (cached.code === 'ENOENT' || cached.code === 'ENOTDIR') return undefined
      throw cached
    }
    return cached
  }

  // Like file(), but never throws: what the loader's open() sees (ENOENT, EACCES, ELOOP all fail).
  openable(path: string): RealFile | undefined {
    try {
      return this.file(path)
    } catch {
      return undefined
    }
  }

  // An absolute path without "." and ".." that the kernel resolves to the same file: ".." goes to
  // the parent of the directory actually reached (through symlinks); other components, symlinks
  // included, are kept as written. Relative paths are taken from cwd.
  normalize(path: string, cwd = '/'): string {
    const absolute = path.startsWith('/') ? path : `${cwd}/${path}`
    const parts: string[] = []
    for (const part of absolute.split('/')) {
      if (part === '' || part === '.') continue
      if (part !== '..') {
        parts.push(part)
        continue
      }
      let real: string
      try {
        real = this.realpath('/' + parts.join('/'))
      } catch {
        // A prefix that does not resolve fails any lookup below it anyway.
        parts.pop()
        continue
      }
      parts.length = 0
      parts.push(...real.split('/').filter(Boolean))
      parts.pop()
    }
    return '/' + parts.join('/')
  }

  isDirectory(path: string): boolean {
    try {
      return statSync(this.hostPath(this.realpath(path))).isDirectory()
    } catch {
      return false
    }
  }

  // realpath(3) on the host from the real directory (cached) and one lstat of the last component:
  // a whole tree of files then costs one system call each. Paths with "." or ".." components go
  // to the kernel, whose ".." follows the directory actually reached.
  private hostRealpath(path: string, links: number): string {
    if (path === '/') return path
    // A symlink loop through a directory recurses here; the kernel then has the last word.
    if (/\/\/|\/\.\.?(\/|$)|\/$/.test(path) || this.depth > 2 * MAX_SYMLINKS) return realpathSync.native(path)
    this.depth++
    try {
      return this.hostRealpathStep(path, links)
    } finally {
      this.depth--
    }
  }

  private hostRealpathStep(path: string, links: number): string {
    const slash = path.lastIndexOf('/')
    const dir = slash === 0 ? '/' : this.realpath(path.slice(0, slash))
    const real = dir === '/' ? path.slice(slash) : dir + path.slice(slash)
    const stats = lstatSync(real)
    if (!stats.isSymbolicLink()) {
      this.realStats.set(real, stats)
      return real
    }
    if (++links > MAX_SYMLINKS) throw new SysrootLookupError('ELOOP', path)
    const target = readlinkSync(real)
    return this.hostRealpath(target.startsWith('/') ? target : `${dir === '/' ? '' : dir}/${target}`, links)
  }

  // Component-by-component resolution with the sysroot as "/".
  private resolveInside(path: string): string {
    const pending = path.split('/').filter(Boolean).reverse()
    const resolved: string[] = []
    let links = 0
    while (pending.length > 0) {
      const part = pending.pop()!
      if (part === '.') continue
      if (part === '..') {
        resolved.pop()
        continue
      }
      const inside = '/' + [...resolved, part].join('/')
      let stats: Stats
      try {
        stats = lstatSync(this.root + inside)
      } catch (error) {
        throw new SysrootLookupError(lookupCode(error), path)
      }
      if (!stats.isSymbolicLink()) {
        if (pending.length > 0 && !stats.isDirectory()) throw new SysrootLookupError('ENOTDIR', path)
        resolved.push(part)
        continue
      }
      if (++links > MAX_SYMLINKS) throw new SysrootLookupError('ELOOP', path)
      const target = readlinkSync(this.root + inside)
      if (target.startsWith('/')) resolved.length = 0
      for (const piece of target.split('/').filter(Boolean).reverse()) pending.push(piece)
    }
    return '/' + resolved.join('/')
  }
}
