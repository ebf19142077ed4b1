// The static busybox the tests put in their trees (and `build-rootfs --busybox` takes from PATH).
// A file at /bin/busybox is not enough: Debian's `busybox` package installs a dynamically linked
// one there, which a tree without its libraries cannot run. The bootstrap uses the same check to
// install busybox-static (which replaces Debian's busybox) when what is there is the wrong kind.
import type {Context} from 'mocha'
import {ElfError, readElfSync} from '../../src/elf/index.js'
import {skipBecause} from './skip.js'

export const BUSYBOX = '/bin/busybox'

// Why the file at `path` is not a static busybox, or undefined when it is one.
export function notStaticBusybox(path = BUSYBOX): string | undefined {
  let linkage: string
  try {
    linkage = readElfSync(path).linkage
  } catch (error) {
    if (error instanceof ElfError && error.code === 'io') return `busybox-static is not installed (${error.message})`
    return `${path} is not a static busybox (${(error as Error).message})`
  }
  if (linkage === 'static' || linkage === 'static-pie') return undefined
  return `${path} is a ${linkage} ELF file (Debian's busybox package), not a static busybox; busybox-static replaces it`
}

// Skips the test (or the suite, from a before hook) unless /bin/busybox is a static busybox,
// saying what is there instead. The test bootstrap installs busybox-static as root.
export function requireStaticBusybox(ctx: Context): void {
  const why = notStaticBusybox()
  if (why) skipBecause(ctx, `${why} (the test bootstrap installs busybox-static as root)`)
}
