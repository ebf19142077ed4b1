// `ns-tool chroot`: building and running composed. A busybox rootfs made once in the user's cache
// directory (reused as long as ns-tool's manifest says it is one), then a run in it like `run`.
import {cacheDir} from '../cache-dir.js'
import {NsToolError} from '../errors.js'

export function defaultChrootDir(): string {
  return cacheDir('chroot')
}

export async function ensureBusyboxRootfs(dir = defaultChrootDir(), busybox?: string): Promise<string> {
  const {isNsToolRootfs, build} = await import('../rootfs/index.js')
  const {findBusybox} = await import('../rootfs/plan/index.js')
  if (isNsToolRootfs(dir)) return dir
  const path = findBusybox(busybox ?? true)
  const {readElfSync} = await import('../elf/index.js')
  const elf = readElfSync(path)
  if (elf.linkage !== 'static' && elf.linkage !== 'static-pie') {
    throw new NsToolError(`${path} is dynamically linked; chroot needs a static busybox: apt-get install busybox-static (or give --busybox PATH)`)
  }
  await build([], {output: dir, busybox: path})
  return dir
}

// COMMAND (default: the tree's shell) in the busybox rootfs at dir, made first if need be; its exit status.
export async function chroot(options: {dir?: string; busybox?: string; command?: string; args?: string[]}): Promise<number> {
  const rootfs = await ensureBusyboxRootfs(options.dir, options.busybox)
  const {run} = await import('../sandbox/supervise.js')
  return run({rootfs, command: options.command, args: options.args})
}
