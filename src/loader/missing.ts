// How a library that cannot be found is told to the user, in one line: build errors and warnings,
// deps and verify all say it this way.
import type {MissingLibrary} from './types.js'

// `libfoo.so.1 needed by /opt/x/bin/x: not found (searched: ...)`.
export function missingLine(entry: MissingLibrary): string {
  const reason = entry.error ? `cannot be loaded: ${entry.error}` : entry.skipped ? `not found, only files of another class or machine (${entry.skipped.join(', ')})` : 'not found'
  const searched = entry.searched.length > 0 ? ` (searched: ${entry.searched.join(' ')})` : ''
  return `${entry.soname} needed by ${entry.neededBy}: ${reason}${searched}`
}
