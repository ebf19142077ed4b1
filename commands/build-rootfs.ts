import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'

export default class BuildRootfs extends BaseCommand {
  static override summary = 'Build or update a rootfs with programs and everything they load.'

  static override description = `Each PROGRAM (a name looked up on PATH, or a path) is copied with its interpreter, every
library the loader would load for it (found as glibc's loader finds them) and every symlink on
the way. The tree also gets a skeleton (/proc /dev /sys /tmp /root /etc /run, /etc/passwd and
/etc/group with root and nobody, /etc/ld.so.cache). The build happens beside DIR and replaces it
in one rename: an interrupted build leaves the previous tree as it was. A rebuild copies only
what changed.`

  static override strict = false

  static override args = {
    program: Args.string({description: 'programs: names looked up on PATH, or paths'}),
  }

  static override flags = {
    output: Flags.string({char: 'o', description: 'the rootfs directory', default: 'rootfs', helpValue: 'DIR'}),
    file: Flags.string({char: 'f', description: 'add a file, directory (recursively) or symlink at DEST or its own path; ELF files get their dependencies', multiple: true, helpValue: 'SRC[:DEST]'}),
    layout: Flags.string({description: 'host: files at their host paths (with /bin -> usr/bin etc.); flat: /bin and /lib64 plus an ld.so.cache', options: ['host', 'flat'], default: 'host'}),
    resolver: Flags.string({description: 'elf: read ELF headers and emulate the loader; ldd: run ldd (host only)', options: ['elf', 'ldd'], default: 'elf'}),
    sysroot: Flags.string({description: 'look programs and libraries up inside DIR instead of / (implies --resolver elf)', helpValue: 'DIR'}),
    base: Flags.string({description: 'start from an existing rootfs: a .tar, .tar.gz, .tar.xz, .tar.zst or a directory', helpValue: 'TARBALL|DIR'}),
    busybox: Flags.string({description: 'add a static busybox and one symlink per applet (PATH: that busybox; default: the one on PATH)', helpValue: 'PATH'}),
    'copy-mode': Flags.string({description: 'auto: reflink where the filesystem can, else copy', options: ['auto', 'copy', 'reflink', 'hardlink'], default: 'auto'}),
    clean: Flags.boolean({description: 'remove from DIR whatever this build would not produce'}),
    force: Flags.boolean({description: 'build into a non-empty directory that ns-tool did not make'}),
    'dry-run': Flags.boolean({description: 'print the plan, write nothing'}),
    json: Flags.boolean({description: 'print the manifest (plan entries, programs, missing, stats) as JSON'}),
    'allow-missing': Flags.boolean({description: 'a library that cannot be found is a warning instead of an error'}),
    skeleton: Flags.boolean({description: 'add the skeleton directories and /etc files', default: true, allowNo: true}),
    'keep-setuid': Flags.boolean({description: 'keep setuid/setgid bits (dropped by default)'}),
    quiet: Flags.boolean({char: 'q', description: 'print nothing but errors'}),
    config: Flags.string({description: 'read options from a JSON or YAML file (keys: the long flag names, and "programs"); flags given here win', helpValue: 'FILE'}),
  }

  static override examples = [
    {description: 'bash, ls and ps in ./rootfs', command: '<%= config.bin %> <%= command.id %> bash ls ps'},
    {description: 'The classic flat tree (/bin, /lib64, ld.so.cache)', command: '<%= config.bin %> <%= command.id %> --layout flat -o /tmp/jail bash'},
    {description: 'Add a config file and a plugin directory loaded with dlopen', command: '<%= config.bin %> <%= command.id %> nginx -f /etc/nginx -f /usr/lib/nginx/modules'},
    {description: 'A busybox userland plus the host\'s curl', command: '<%= config.bin %> <%= command.id %> --busybox curl'},
    {description: 'An Alpine mini root filesystem plus the host\'s strace', command: '<%= config.bin %> <%= command.id %> --base alpine-minirootfs-3.20.0-x86_64.tar.gz strace'},
    {description: 'What would be copied, and why', command: '<%= config.bin %> <%= command.id %> --dry-run ssh'},
    {description: 'From a config file (JSON or YAML), with one option overridden', command: '<%= config.bin %> <%= command.id %> --config rootfs.yaml --layout flat'},
    {description: 'Hard links instead of copies (same filesystem)', command: '<%= config.bin %> <%= command.id %> --copy-mode hardlink -o /var/tmp/rootfs python3'},
  ]

  async run(): Promise<void> {
    const {optionalBusyboxValue} = await import('../src/cli/build-rootfs.js')
    this.argv = optionalBusyboxValue(this.argv)
    const parsed = await this.parse(BuildRootfs)
    let flags = parsed.flags
    let programs = parsed.argv as string[]
    if (flags.config) {
      const {loadConfig, mergeConfig} = await import('../src/cli/config.js')
      const config = await loadConfig(flags.config)
      const given = parsed.metadata.flags as Record<string, {setFromDefault?: boolean} | undefined>
      const explicit = (name: string) => (flags as Record<string, unknown>)[name] !== undefined && !given[name]?.setFromDefault
      ;({flags, programs} = mergeConfig(config, flags, explicit, programs))
    }
    const {buildRootfsMain} = await import('../src/cli/build-rootfs.js')
    await buildRootfsMain(flags, programs)
  }
}
