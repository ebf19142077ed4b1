// The plan's entries while they are placed: keyed by path inside the rootfs, with the symlinks
// already placed, so that every later path is made canonical (no link in a directory component).
import {statSync} from 'node:fs'
import {posix} from 'node:path'
import {NsToolError, UsageError} from '../../errors.js'
import type {ResolvedFile} from '../../loader/types.js'
import type {PlanEntry} from '../types.js'

export const MAX_LINK_DEPTH = 40

// Entries keyed by path; the first reason to add a path wins, directories merge.
export class EntryMap {
  readonly entries = new Map<string, PlanEntry>()
  // Symlinks already placed: in-rootfs path -> target, for making later paths canonical.
  private readonly links = new Map<string, string>()

  // `layout` words the fix when two files want one path.
  constructor(private readonly layout: 'host' | 'flat' = 'host') {}

  // Two different host files for one path (flat: two programs or two copies of a soname) cannot
  // both be there: an error naming both and why each is wanted, never one dropped in silence.
  private checkSameFile(existing: PlanEntry, entry: PlanEntry): void {
    if (!existing.source || !entry.source || existing.source === entry.source || sameInode(existing.source, entry.source)) return
    const why = (e: PlanEntry) => `${e.source} (${e.reason}${e.neededBy?.length ? `, needed by ${e.neededBy.join(' ')}` : ''})`
    const fix = this.layout === 'flat' ? 'the flat layout keeps one file per name: use --layout host, which keeps each at its own path, or leave one out' : 'give one another place with --file SRC:DEST'
    throw new UsageError(`${entry.path} would hold two different files, ${why(existing)} and ${why(entry)}; ${fix}`, 'refused')
  }

  // The path with every symlink component already in the plan resolved (inside the rootfs), so
  // the writer never has to follow a link; the last component too when `last` is set.
  canonical(path: string, last = false, depth = 0): string {
    if (depth > MAX_LINK_DEPTH) throw new NsToolError(`${path}: too many levels of symbolic links in the rootfs`)
    const parts = posix.normalize(path).split('/').filter(Boolean)
    let current = '/'
    for (let i = 0; i < parts.length; i++) {
      const next = posix.join(current, parts[i])
      const target = this.links.get(next)
      if (target !== undefined && (last || i < parts.length - 1)) {
        const resolved = target.startsWith('/') ? target : posix.join(current, target)
        return this.canonical(posix.join(resolved, ...parts.slice(i + 1)), last, depth + 1)
      }
      current = next
    }
    return current
  }

  has(path: string): boolean {
    return this.entries.has(path)
  }

  get(path: string): PlanEntry | undefined {
    return this.entries.get(path)
  }

  add(entry: PlanEntry): PlanEntry {
    const existing = this.entries.get(entry.path)
    if (existing) {
      if (existing.type === 'file' && entry.type === 'file') this.checkSameFile(existing, entry)
      if (entry.neededBy) existing.neededBy = [...new Set([...(existing.neededBy ?? []), ...entry.neededBy])]
      return existing
    }
    this.ensureParents(entry.path)
    this.entries.set(entry.path, entry)
    if (entry.type === 'symlink') this.links.set(entry.path, entry.target!)
    return entry
  }

  // The entries in path order, as the writer creates them (parents first).
  sorted(): PlanEntry[] {
    return [...this.entries.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  }

  private ensureParents(path: string): void {
    const parent = posix.dirname(path)
    if (parent === '/' || this.entries.has(parent)) return
    this.ensureParents(parent)
    this.entries.set(parent, {path: parent, type: 'dir', mode: 0o755, reason: 'parent'})
  }
}

// What an entry says about itself besides where it goes and what it is.
export type EntryReason = Omit<PlanEntry, 'path' | 'type' | 'source'>

// The reason a file of the closure is in the plan, and who asked for it.
export function closureReason(file: ResolvedFile): EntryReason {
  const reason = file.kind === 'library' ? `library${file.foundVia ? ` (${file.foundVia})` : ''}` : file.kind
  return file.neededBy ? {reason, neededBy: file.neededBy} : {reason}
}

function sameInode(a: string, b: string): boolean {
  try {
    const x = statSync(a)
    const y = statSync(b)
    return x.dev === y.dev && x.ino === y.ino
  } catch {
    return false
  }
}
