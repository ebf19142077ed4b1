// chroot's options (a command of the command line only).
import type {OptionTable} from './index.js'

export const CHROOT = {
  id: 'chroot',
  usage: 'chroot [FLAGS] [COMMAND [ARG...]]',
  command: {after: 0, description: 'the command to run, and its arguments (default: /bin/sh)'},
  exits: {0: 'COMMAND exited 0', N: "COMMAND's own exit status", '128+N': 'COMMAND died of signal N', 125: 'the busybox rootfs or the sandbox could not be set up', 126: 'COMMAND exists but cannot be executed', 127: 'COMMAND does not exist'},
  failedStatus: 125,
  args: {},
  flags: {
    rootfs: {type: 'string', value: 'DIR', description: 'where the busybox rootfs lives (default $XDG_CACHE_HOME/ns-tool/chroot)'},
    busybox: {type: 'string', value: 'PATH', description: 'the static busybox to install'},
  },
} as const satisfies OptionTable
