// Every symlink of a tree that leads nowhere inside it, resolved as a process chrooted there would:
// an absolute target from the tree's root, ".." stopping at it. Kernel trees (/proc, /dev, /sys)
// are filled at run time: a link into one counts as resolved.
import {lstatSync, readdirSync, readlinkSync} from 'node:fs'
import {join, posix} from 'node:path'

const KERNEL = /^\/(proc|dev|sys)(\/|$)/

// The in-tree path `path` leads to, or undefined when it leads nowhere.
function resolve(root: string, path: string, hops = 0): string | undefined {
  if (hops > 40) return undefined
  const parts = path.split('/').filter(Boolean)
  let real = '/'
  for (let i = 0; i < parts.length; i++) {
    const next = parts[i] === '..' ? posix.dirname(real) : parts[i] === '.' ? real : posix.join(real, parts[i])
    if (KERNEL.test(next)) return next
    const stat = lstatSync(join(root, next), {throwIfNoEntry: false})
    if (!stat) return undefined
    if (stat.isSymbolicLink()) {
      const target = readlinkSync(join(root, next))
      const rest = parts.slice(i + 1).join('/')
      return resolve(root, posix.join(target.startsWith('/') ? target : posix.join(real, target), rest), hops + 1)
    }
    real = next
  }
  return real
}

export function danglingLinks(root: string): string[] {
  const dangling: string[] = []
  const walk = (dir: string) => {
    for (const name of readdirSync(join(root, dir)).sort()) {
      const path = posix.join(dir, name)
      const stat = lstatSync(join(root, path))
      if (stat.isDirectory() && !KERNEL.test(path)) walk(path)
      else if (stat.isSymbolicLink() && resolve(root, path) === undefined) dangling.push(`${path} -> ${readlinkSync(join(root, path))}`)
    }
  }
  walk('/')
  return dangling
}
