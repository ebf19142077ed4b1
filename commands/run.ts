import {BaseCommand} from '../src/cli/base-command.js'
import {oclifArgs, oclifFlags, oclifUsage} from '../src/cli/oclif-flags.js'
import {RUN} from '../src/options/run.js'
import type {RunSpec} from '../src/sandbox/spec.js'

export default class Run extends BaseCommand {
  static override summary = 'Run a command with a rootfs as /, in fresh namespaces.'

  static override description = `COMMAND (default /bin/sh) runs as PID 1 (or PID 2 under --init) in new mount, PID, UTS, IPC, network and cgroup namespaces, plus a user namespace when not run as root. Inside: /proc (sensitive entries masked, /proc/sys read-only), a small /dev, a private devpts, /sys read-only; the host's root is detached. COMMAND keeps Docker's default capabilities (--cap-add, --cap-drop) under a seccomp filter that refuses what a container never needs: keyrings, nested namespaces, bpf, perf, userfaultfd, kexec, io_uring, ... (--seccomp); --memory, --pids-limit and --cpus hold through a cgroup made for the run (OOM-killed: exit 137). --net private gives outbound access through slirp4netns and -p publishes ports (docs/network.md). run's flags go before COMMAND (before or after ROOTFS); everything from COMMAND on is passed to it unchanged, --help included (a COMMAND that starts with - goes after --).`

  static override usage = oclifUsage(RUN)
  static override args = oclifArgs(RUN)
  static override flags = oclifFlags(RUN)
  static exits = RUN.exits

  static override examples = [
    {description: 'A shell that sees only ./rootfs', command: '<%= config.bin %> <%= command.id %> rootfs /bin/bash'},
    {description: 'PID 1 is ps', command: '<%= config.bin %> <%= command.id %> rootfs -- /bin/ps -ef'},
    {description: 'Host network, a variable, a read-only bind', command: '<%= config.bin %> <%= command.id %> --net host -e LANG=C.UTF-8 --bind $PWD:/work:ro -w /work rootfs /bin/ls'},
    {description: 'A web server reached from the host at 127.0.0.1:8080 (--net private, through slirp4netns)', command: '<%= config.bin %> <%= command.id %> -p 8080:80 rootfs /bin/busybox httpd -f -p 80 -h /www'},
    {description: 'Leave the rootfs untouched', command: '<%= config.bin %> <%= command.id %> --ephemeral rootfs /bin/sh -c "rm -rf /usr; ls /"'},
  ]

  async run(): Promise<void> {
    const parsed = await this.parseTable(RUN)
    const [{toApiCall}, {run}] = await Promise.all([import('../src/cli/argv.js'), import('../src/sandbox/supervise.js')])
    process.exitCode = await run(toApiCall(RUN, parsed) as unknown as RunSpec)
  }
}
