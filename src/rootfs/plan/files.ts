// --file SRC[:DEST]: files, symlinks and directories added by hand. A symlink comes with what it
// leads to (placed as programs' links are) so that no link of the tree dangles; the ELF files
// among them are returned, for the resolver to add their dependencies.
import type {Stats} from 'node:fs'
import {lstatSync, readdirSync, readlinkSync, realpathSync, statSync} from 'node:fs'
import {posix, resolve as resolvePath} from 'node:path'
import {isElfFile, readHead} from '../../elf/ident.js'
import {UsageError} from '../../errors.js'
import type {EntryMap} from './entries.js'
import {HostTree, placeDir, placeHostPath, type Placed} from './host-layout.js'

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

// Trees the kernel fills at run time: a link into one is kept, nothing of the host's is copied.
const KERNEL_TREES = /^\/(proc|sys|dev)(\/|$)/

// Places --file requests into a plan. `dirOf` gives the real directory of an in-rootfs directory
// as the layout places it (host: the host's links on the way recreated).
export class FilePlacer {
  // The host files placed that the resolver closes: ELF files (their interpreter and libraries)
  // and executable #! scripts (their interpreter), as verify checks them in the tree.
  readonly closable: string[] = []
  // Host directories whose entries are placed (or being placed): a link back to one is not walked again.
  private readonly walked = new Set<string>()
  // --file sources are host paths, whatever the sysroot.
  private readonly host = new HostTree('/')

  constructor(
    private readonly map: EntryMap,
    private readonly dirOf: (dir: string) => string,
    private readonly warn: (message: string) => void = () => {},
  ) {}

  place(request: FileRequest): void {
    if (request.dest === request.source) this.own(request.source, request.source)
    else this.at(request.source, request.dest, request.source)
  }

  // A host path at its own path in the rootfs, its links on the way and its link chain recreated.
  private own(hostPath: string, asked: string): void {
    if (KERNEL_TREES.test(hostPath)) return this.warn(`warning: --file ${asked}: ${hostPath} is filled by the kernel at run time; left out`)
    if (this.host.lstat(hostPath)?.isSymbolicLink()) {
      const real = this.realpath(hostPath, asked)
      if (real === undefined) return
      // A link to the kernel's trees, or to a directory holding the link itself (the root, a
      // parent): the tree has that directory anyway; the link alone is needed.
      if (KERNEL_TREES.test(real) || hostPath.startsWith(real === '/' ? '/' : real + '/')) return this.linkOnly(hostPath)
    }
    this.placed(placeHostPath(this.map, this.host, hostPath, {reason: 'file'}), asked)
  }

  // A link whose target the tree gets some other way (the kernel's trees, the root itself).
  private linkOnly(hostPath: string): void {
    const dir = placeDir(this.map, this.host, posix.dirname(hostPath))
    this.map.add({path: posix.join(dir, posix.basename(hostPath)), type: 'symlink', target: readlinkSync(hostPath), reason: 'file'})
  }

  // A host file, directory or link at in-rootfs `dest`.
  private at(source: string, dest: string, asked: string): void {
    const stat = lstatSync(source, {throwIfNoEntry: false})
    if (!stat) return
    const path = posix.join(this.dirOf(posix.dirname(dest)), posix.basename(dest))
    if (stat.isSymbolicLink()) return this.link(source, path, asked)
    if (stat.isDirectory()) {
      this.map.add({path, type: 'dir', mode: stat.mode & 0o7777, reason: 'file'})
      return this.walk(source, (child, name) => this.at(child, posix.join(path, name), asked))
    }
    this.file(source, path, stat)
  }

  // A link at `path` and what it leads to: an absolute target at its own path, a relative one beside
  // the link (from the host's directory of the link).
  private link(source: string, path: string, asked: string): void {
    const target = readlinkSync(source)
    const inTree = posix.normalize(target.startsWith('/') ? target : posix.join(posix.dirname(path), target))
    const real = KERNEL_TREES.test(inTree) ? inTree : this.realpath(source, asked)
    if (real === undefined) return
    this.map.add({path, type: 'symlink', target, reason: 'file'})
    if (KERNEL_TREES.test(inTree) || KERNEL_TREES.test(real) || path.startsWith(inTree === '/' ? '/' : inTree + '/')) return
    const hostTarget = target.startsWith('/') ? target : posix.normalize(posix.join(realpathSync.native(posix.dirname(source)), target))
    if (inTree === hostTarget) this.own(hostTarget, asked)
    else this.at(hostTarget, inTree, asked)
  }

  private file(source: string, path: string, stat: Stats): void {
    // Sockets, fifos and devices are not copied: a rootfs gets its own /dev at run time.
    if (!stat.isFile()) return
    this.map.add({path, type: 'file', source, mode: stat.mode & 0o7777, reason: 'file'})
    if (isClosable(source, stat)) this.closable.push(source)
  }

  // What a placed path turned out to be: a file (ELF or script: its needs), a directory (its entries).
  private placed(placed: Placed, asked: string): void {
    if (placed.stat.isFile()) {
      if (isClosable(placed.host, placed.stat)) this.closable.push(placed.host)
    } else if (placed.stat.isDirectory()) {
      this.walk(placed.host, (child) => this.own(child, asked))
    }
  }

  // Each entry of a host directory, once per directory however many links lead to it.
  private walk(dir: string, visit: (child: string, name: string) => void): void {
    const real = realpathSync.native(dir)
    if (this.walked.has(real)) return
    this.walked.add(real)
    for (const name of readdirSync(dir).sort()) visit(posix.join(dir, name), name)
  }

  // Where a host path finally leads, or undefined (and a warning) when nowhere: a link of the
  // tree is never left dangling.
  private realpath(hostPath: string, asked: string): string | undefined {
    try {
      statSync(hostPath)
      return realpathSync.native(hostPath)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      this.warn(`warning: --file ${asked}: ${hostPath} leads nowhere (${code === 'ELOOP' ? 'a symlink loop' : 'its target does not exist'}); left out`)
      return undefined
    }
  }
}

// An ELF file, or a script the kernel runs by its #! line (executable: otherwise it is just text).
function isClosable(path: string, stat: Stats): boolean {
  if (isElfFile(path)) return true
  if ((stat.mode & 0o111) === 0) return false
  try {
    return readHead(path, 2).toString('latin1') === '#!'
  } catch {
    return false
  }
}
