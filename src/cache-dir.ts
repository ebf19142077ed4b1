// Where ns-tool keeps what it makes once per user and reuses: $XDG_CACHE_HOME/ns-tool, else
// ~/.cache/ns-tool (the chroot command's tree, the package owners index).
import {homedir} from 'node:os'
import {join} from 'node:path'

export function cacheDir(...parts: string[]): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ns-tool', ...parts)
}
