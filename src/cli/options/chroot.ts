// chroot's options (a command of the command line only).
import type {OptionTable} from './index.js'

export const CHROOT = {
  id: 'chroot',
  usage: 'chroot [--rootfs DIR] [--busybox PATH] [--] [COMMAND [ARG...]]',
  command: {after: 0, description: 'the command to run, and its arguments (default: /bin/sh)'},
  args: {},
  flags: {
    rootfs: {type: 'string', value: 'DIR', description: 'where the busybox rootfs lives (default $XDG_CACHE_HOME/ns-tool/chroot)'},
    busybox: {type: 'string', value: 'PATH', description: 'the static busybox to install'},
  },
} as const satisfies OptionTable
