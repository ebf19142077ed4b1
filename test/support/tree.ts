// A tree as a list of lines, for comparing two trees: path, mode, size of files, link targets;
// ns-tool's own bookkeeping (/var/lib/ns-tool) left out.
import {lstatSync, readdirSync, readlinkSync} from 'node:fs'
import {join} from 'node:path'

export function treeListing(root: string): string[] {
  const out: string[] = []
  const walk = (rel: string) => {
    for (const name of readdirSync(join(root, rel)).sort()) {
      const path = join(rel, name)
      if (path === 'var/lib/ns-tool') continue
      const stat = lstatSync(join(root, path))
      out.push(`${path} ${stat.mode.toString(8)} ${stat.isFile() ? stat.size : ''} ${stat.isSymbolicLink() ? readlinkSync(join(root, path)) : ''}`)
      if (stat.isDirectory()) walk(path)
    }
  }
  walk('')
  return out
}
