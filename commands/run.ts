import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'

export default class Run extends BaseCommand {
  static override summary = 'Run a command with a rootfs as /, in fresh namespaces.'

  static override description = `COMMAND (default /bin/sh) runs as PID 1 (or PID 2 under --init) in new mount, PID, UTS, IPC,
network and cgroup namespaces, plus a user namespace when not run as root. Inside: /proc (sensitive
entries masked, /proc/sys read-only), a small /dev, a private devpts, /sys read-only; the host's
root is detached. Everything after COMMAND is passed to it unchanged. Exit status: COMMAND's own;
128+N when it died of signal N; 125 when the sandbox could not be set up; 126 when COMMAND cannot
be executed; 127 when it does not exist.`

  static override strict = false

  static override args = {
    rootfs: Args.string({description: 'the rootfs directory', required: true}),
    command: Args.string({description: 'command and arguments (default /bin/sh)'}),
  }

  static override flags = {
    userns: Flags.string({description: 'user namespace: auto (when not root), always, never', options: ['auto', 'always', 'never'], default: 'auto'}),
    net: Flags.string({description: 'none: own network namespace with loopback; host: the host network', options: ['none', 'host'], default: 'none'}),
    hostname: Flags.string({description: 'hostname inside', default: 'ns-tool'}),
    env: Flags.string({char: 'e', description: 'set a variable', multiple: true, helpValue: 'KEY=VALUE'}),
    'clear-env': Flags.boolean({description: 'start from an empty environment (then --env)'}),
    workdir: Flags.string({char: 'w', description: 'working directory inside', helpValue: 'DIR'}),
    user: Flags.string({description: 'run as UID[:GID] inside', helpValue: 'UID[:GID]'}),
    bind: Flags.string({description: 'bind a host path into the rootfs', multiple: true, helpValue: 'SRC:DEST[:ro]'}),
    tmpfs: Flags.string({description: 'a tmpfs at DEST', multiple: true, helpValue: 'DEST'}),
    'read-only': Flags.boolean({description: 'mount the root read-only'}),
    ephemeral: Flags.boolean({description: 'writes go to a throw-away overlay; ROOTFS stays untouched'}),
    init: Flags.boolean({description: 'a small reaper is PID 1 and forwards signals; COMMAND is PID 2'}),
    pty: Flags.boolean({description: 'give COMMAND its own pseudo-terminal (default: when stdin is a terminal)', allowNo: true}),
  }

  static override examples = [
    {description: 'A shell that sees only ./rootfs', command: '<%= config.bin %> <%= command.id %> rootfs /bin/bash'},
    {description: 'PID 1 is ps', command: '<%= config.bin %> <%= command.id %> rootfs -- /bin/ps -ef'},
    {description: 'Host network, a variable, a read-only bind', command: '<%= config.bin %> <%= command.id %> --net host -e LANG=C.UTF-8 --bind $PWD:/work:ro -w /work rootfs /bin/ls'},
    {description: 'Leave the rootfs untouched', command: '<%= config.bin %> <%= command.id %> --ephemeral rootfs /bin/sh -c "rm -rf /usr; ls /"'},
  ]

  async run(): Promise<void> {
    const cli = await import('../src/cli/run.js')
    const {run} = await import('../src/sandbox/supervise.js')
    const {flagWords, rootfs, command} = cli.splitRunArgv(this.argv)
    const {flags} = await this.parse(Run, [...flagWords, '--', rootfs ?? ''])
    const {UsageError} = await import('../src/errors.js')
    if (!rootfs) throw new UsageError('missing ROOTFS (usage: ns-tool run [FLAGS] ROOTFS [COMMAND [ARG...]])')
    const status = await run({
      rootfs,
      command: command[0],
      args: command.slice(1),
      userns: flags.userns as 'auto' | 'always' | 'never',
      net: flags.net as 'none' | 'host',
      hostname: flags.hostname,
      env: cli.parseEnv(flags.env ?? []),
      clearEnv: flags['clear-env'],
      workdir: flags.workdir,
      user: flags.user === undefined ? undefined : cli.parseUser(flags.user),
      binds: (flags.bind ?? []).map(cli.parseBind),
      tmpfs: flags.tmpfs,
      readOnly: flags['read-only'],
      ephemeral: flags.ephemeral,
      init: flags.init,
      pty: flags.pty,
    })
    process.exitCode = status
  }
}
