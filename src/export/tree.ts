// A rootfs as export reads it: every path below the root, sorted byte-wise, parents before
// children, ns-tool's own bookkeeping (/var/lib/ns-tool) left out; the time every mtime is clamped to; and
// what its build recorded of where the files came from.
import {lstatSync, readdirSync, type Stats} from 'node:fs'
import {join, posix, resolve} from 'node:path'
import {MANIFEST_DIRS} from '../manifest-path.js'
import type {Manifest} from '../rootfs/write/manifest.js'

export const SKIPPED = new Set(MANIFEST_DIRS.map((dir) => `/${dir}`))

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

// The request a build recorded in the tree's manifest (programs, flags, sysroot, its directory);
// {} when it recorded none.
export function buildRequest(manifest: Manifest | undefined): Record<string, unknown> {
  return manifest?.cache ? (JSON.parse(manifest.cache.request) as Record<string, unknown>) : {}
}

// The sysroot the build read the tree's files from (a relative --sysroot, from its directory).
export function buildSysroot(request: Record<string, unknown>): string {
  return resolve(typeof request.cwd === 'string' ? request.cwd : '/', typeof request.sysroot === 'string' ? request.sysroot : '/')
}
