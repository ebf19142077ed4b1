// A rootfs as export reads it: every path below the root, sorted byte-wise, parents before
// children, ns-tool's own bookkeeping (/.ns-tool) left out; and the time every mtime is clamped to.
import {lstatSync, readdirSync, type Stats} from 'node:fs'
import {join, posix} from 'node:path'

export const SKIPPED = new Set(['/.ns-tool'])

export interface TreeEntry {
  path: string
  stat: Stats
}

export function walk(root: string): TreeEntry[] {
  const entries: TreeEntry[] = []
  const visit = (dir: string) => {
    const names = readdirSync(join(root, dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)))
    for (const name of names) {
      const path = posix.join(dir, name)
      if (SKIPPED.has(path)) continue
      const stat = lstatSync(join(root, path))
      entries.push({path, stat})
      if (stat.isDirectory()) visit(path)
    }
  }
  visit('/')
  return entries
}

// Seconds since the epoch: the one given, else SOURCE_DATE_EPOCH, else 0.
export function epoch(given?: number): number {
  if (given !== undefined) return given
  const fromEnv = process.env.SOURCE_DATE_EPOCH
  return fromEnv !== undefined && fromEnv !== '' && Number.isFinite(Number(fromEnv)) ? Number(fromEnv) : 0
}
