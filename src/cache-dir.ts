// Where ns-tool keeps what it makes once per user and reuses: $XDG_CACHE_HOME/ns-tool, else
// ~/.cache/ns-tool (the chroot command's tree, the package owners index).
import {homedir} from 'node:os'
import {join} from 'node:path'

export function cacheDir(...parts: string[]): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ns-tool', ...parts)
}

// A file name for `text` in the cache: FNV-1a, 64 bits, in hex (node:crypto would cost a small
// build 5 ms to load). Two texts of one name only remake each other's file: what a file is for is
// written inside it and checked.
export function cacheKey(text: string): string {
  let hash = 0xcbf29ce484222325n
  for (const byte of Buffer.from(text)) hash = BigInt.asUintN(64, (hash ^ BigInt(byte)) * 0x100000001b3n)
  return hash.toString(16).padStart(16, '0')
}
