// The shell a rootfs starts when no command is given: `run ROOTFS`, `chroot`, and the default
// entrypoint of an exported image. One choice for all three, so they agree on every tree.
import {NsToolError} from '../errors.js'
import {findProgramIn, ROOT_PATH} from '../loader/program.js'
import {Sysroot} from '../loader/sysroot.js'

// After /bin/sh, the shells looked for on the root PATH, most familiar first.
export const SHELLS = ['bash', 'zsh', 'ash', 'dash', 'ksh', 'mksh', 'yash']

// The tree's /bin/sh, else the first of SHELLS it holds (its path inside the tree), else undefined.
// Looked up inside the tree: links resolve there, never on the host.
export function defaultShell(rootfs: string): string | undefined {
  const tree = new Sysroot(rootfs)
  for (const name of ['/bin/sh', ...SHELLS]) {
    try {
      return findProgramIn(tree, name, ROOT_PATH)
    } catch (error) {
      if (!(error instanceof NsToolError)) throw error
    }
  }
  return undefined
}

// The same for run, or an error that says what to do (exit 127: there is no command to run).
export function requireShell(rootfs: string): string {
  const shell = defaultShell(rootfs)
  if (shell === undefined) throw new NsToolError(`${rootfs} holds no shell (no /bin/sh, ${SHELLS.join(', ')}): give COMMAND, a program of the tree`, 127)
  return shell
}
