import {BaseCommand} from '../src/cli/base-command.js'
import {oclifArgs, oclifFlags, oclifUsage} from '../src/cli/oclif-flags.js'
import {CHROOT} from '../src/cli/options/chroot.js'

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
    const {ensureBusyboxRootfs} = await import('../src/sandbox/chroot.js')
    const rootfs = await ensureBusyboxRootfs(flags.rootfs, flags.busybox)
    const {run} = await import('../src/sandbox/supervise.js')
    process.exitCode = await run({rootfs, command: command[0], args: command.slice(1)})
  }
}
