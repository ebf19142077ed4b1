import {BaseCommand} from '../src/cli/base-command.js'
import {oclifArgs, oclifFlags, oclifUsage} from '../src/cli/oclif-flags.js'
import {CHROOT} from '../src/options/chroot.js'

export default class Chroot extends BaseCommand {
  static override summary = 'Run a command in a busybox rootfs, made on first use.'

  static override description = `The one-step path: makes a busybox rootfs at DIR (default: the user's cache directory) if it is not there yet, then runs COMMAND (default /bin/sh) in it exactly like \`ns-tool run\`. busybox comes from --busybox, else from PATH when it is statically linked.`

  static override usage = oclifUsage(CHROOT)
  static override args = oclifArgs(CHROOT)
  static override flags = oclifFlags(CHROOT)
  static exits = CHROOT.exits

  static override examples = [
    {description: 'A shell', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'One command', command: '<%= config.bin %> <%= command.id %> ls -l /'},
  ]

  async run(): Promise<void> {
    const {flags, command} = await this.parseTable(CHROOT)
    const {chroot} = await import('../src/chroot/index.js')
    process.exitCode = await chroot({dir: flags.rootfs, busybox: flags.busybox, command: command[0], args: command.slice(1)})
  }
}
