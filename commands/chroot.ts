import {Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'

export default class Chroot extends BaseCommand {
  static override summary = 'Run a command in a busybox rootfs, made on first use.'

  static override description = `The one-step path: makes a busybox rootfs at DIR (default: the user's cache directory) if it
is not there yet, then runs COMMAND (default /bin/sh) in it exactly like \`ns-tool run\`.
busybox comes from --busybox, else from PATH when it is statically linked.`

  static override strict = false

  static override flags = {
    rootfs: Flags.string({description: 'where the busybox rootfs lives (default $XDG_CACHE_HOME/ns-tool/chroot)', helpValue: 'DIR'}),
    busybox: Flags.string({description: 'the static busybox to install', helpValue: 'PATH'}),
  }

  static override examples = [
    {description: 'A shell', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'One command', command: '<%= config.bin %> <%= command.id %> -- ls -l /'},
  ]

  async run(): Promise<void> {
    const raw = this.argv
    const dashes = raw.indexOf('--')
    const own = dashes < 0 ? raw : raw.slice(0, dashes)
    const command = dashes < 0 ? [] : raw.slice(dashes + 1)
    const {flags, argv} = await this.parse(Chroot, own)
    const {UsageError} = await import('../src/errors.js')
    if (argv.length > 0) throw new UsageError(`unexpected ${argv[0]}: put the command after --  (ns-tool chroot -- ${argv.join(' ')})`)
    const {ensureBusyboxRootfs} = await import('../src/sandbox/chroot.js')
    const rootfs = await ensureBusyboxRootfs(flags.rootfs, flags.busybox)
    const {run} = await import('../src/sandbox/supervise.js')
    process.exitCode = await run({rootfs, command: command[0], args: command.slice(1)})
  }
}
