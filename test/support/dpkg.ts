// dpkg itself as the oracle of provenance: which installed package ships a host path (asked under
// both names a merged-/usr path has), and its version and status paragraph.
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'

export const haveDpkg = spawnSync('dpkg-query', ['--version'], {stdio: 'ignore'}).status === 0

const MERGED = /^\/usr\/(bin|sbin|lib|lib32|lib64|libx32)\//

// Host path -> "NAME:ARCH" of its package, for the paths dpkg knows.
export function dpkgOwners(paths: string[]): Map<string, string> {
  const owners = new Map<string, string>()
  if (paths.length === 0) return owners
  const alias = (path: string) => (MERGED.test(path) ? path.slice(4) : `/usr${path}`)
  const asked = [...new Set(paths.flatMap((path) => [path, alias(path)]))]
  const r = spawnSync('dpkg-query', ['-S', ...asked], {encoding: 'utf8', maxBuffer: 64 << 20})
  const byAsked = new Map<string, string>()
  for (const line of r.stdout.split('\n')) {
    const match = /^([^:\s,]+(?::[^:\s,]+)?)(?:, [^:]+)*: (\/.*)$/.exec(line)
    if (match && !line.startsWith('diversion')) byAsked.set(match[2], match[1])
  }
  for (const path of paths) {
    const owner = byAsked.get(path) ?? byAsked.get(alias(path))
    if (owner) owners.set(path, owner.includes(':') ? owner : `${owner}:${field(owner, 'Architecture')}`)
  }
  return owners
}

// A field of an installed package (NAME or NAME:ARCH), as dpkg-query shows it.
export function field(pkg: string, name: string): string {
  return spawnSync('dpkg-query', ['-W', '-f', `\${${name}}`, pkg], {encoding: 'utf8'}).stdout
}

// The manifest of a tree ns-tool built.
export function manifestEntries(rootfs: string): Array<{path: string; type: string; source?: string; content?: string; reason: string; package?: {name: string; version: string; architecture: string}}> {
  return JSON.parse(readFileSync(join(rootfs, 'var/lib/ns-tool', 'manifest.json'), 'utf8')).entries
}

// What dpkg says is present: the owners of the tree's copies of host files and host links.
export function expectedPackages(rootfs: string): Map<string, string> {
  const copied = manifestEntries(rootfs).filter((e) => (e.type === 'file' && e.source !== undefined) || (e.type === 'symlink' && !['merged /usr link', 'busybox applet', 'skeleton', 'file'].includes(e.reason)))
  const owners = dpkgOwners(copied.map((e) => e.source ?? e.path))
  const packages = new Map<string, string>()
  for (const owner of owners.values()) packages.set(owner, field(owner, 'Version'))
  return packages
}
