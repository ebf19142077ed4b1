// How a library that cannot be found is told to the user, in one line: build errors and warnings,
// deps and verify all say it this way.
import {posix} from 'node:path'
import type {MissingLibrary} from './types.js'

// `libfoo.so.1 needed by /opt/x/bin/x: not found (searched: ...)`.
export function missingLine(entry: MissingLibrary): string {
  const reason = entry.error ? `cannot be loaded: ${entry.error}` : entry.skipped ? `not found, only files of another class or machine (${entry.skipped.join(', ')})` : 'not found'
  return `${entry.soname} needed by ${entry.neededBy}: ${reason}${searchedSummary(entry.searched, entry.soname)}`
}

// ` (searched: ...)`, short enough for one line: the places where `name` was looked for, a
// directory's hwcaps and tls subdirectories (which the loader tries just before the directory
// itself) counted under it; the full list is in --json.
export function searchedSummary(searched: readonly string[], name: string): string {
  if (searched.length <= 3) return searched.length === 0 ? '' : ` (searched: ${searched.join(' ')})`
  const places: Array<{dir: string; variants: number}> = []
  for (const path of searched) {
    // A candidate DIR/NAME, or a place searched as such (ld.so.cache).
    const dir = posix.basename(path) === posix.basename(name) ? posix.dirname(path) : path
    let variants = 0
    while (places.length > 0 && places[places.length - 1].dir.startsWith(`${dir}/`)) variants += 1 + places.pop()!.variants
    const last = places[places.length - 1]
    if (last?.dir === dir) last.variants += variants
    else places.push({dir, variants})
  }
  const withVariants = places.some((place) => place.variants > 0) ? ', each directory with its hwcaps subdirectories' : ''
  return ` (searched: ${places.map((place) => place.dir).join(' ')}${withVariants}: ${searched.length} paths, all listed by --json)`
}
