import {BaseCommand} from '../src/cli/base-command.js'
import {oclifArgs, oclifFlags, oclifUsage} from '../src/cli/oclif-flags.js'
import {BUILD_ROOTFS} from '../src/options/build-rootfs.js'

export default class BuildRootfs extends BaseCommand {
  static override summary = 'Build or update a rootfs with programs and everything they load.'

  static override description = `Each PROGRAM (a name looked up on PATH, or a path) is copied with its interpreter, every library the loader would load for it (found as glibc's loader finds them) and every symlink on the way. The tree also gets a skeleton (/proc /dev /sys /tmp /root /etc /run, /etc/passwd and /etc/group with root and nobody, /etc/hosts, /etc/ld.so.cache), and, unless --no-data, what the programs need that is not an ELF dependency: their packages' run-time files (from the package database), an interpreter's standard library, library-driven data (gconv modules, the CA bundle, terminfo, zoneinfo, NSS modules, the magic database) and the libraries .note.dlopen names, each with its reason in --dry-run. --trace runs a real job in a read-only view of the host and adds every file it used. The build happens beside DIR and replaces it in one rename: an interrupted build leaves the previous tree as it was. A rebuild copies only what changed.`

  static override usage = oclifUsage(BUILD_ROOTFS)
  static override args = oclifArgs(BUILD_ROOTFS)
  static override flags = oclifFlags(BUILD_ROOTFS)
  static exits = BUILD_ROOTFS.exits

  static override examples = [
    {description: 'bash, ls and ps in ./rootfs', command: '<%= config.bin %> <%= command.id %> bash ls ps'},
    {description: 'The classic flat tree (/bin, /lib64, ld.so.cache)', command: '<%= config.bin %> <%= command.id %> --layout flat -o /tmp/jail bash'},
    {description: 'Add a config file and a plugin directory loaded with dlopen', command: '<%= config.bin %> <%= command.id %> nginx -f /etc/nginx -f /usr/lib/nginx/modules'},
    {description: 'A busybox userland plus the host\'s curl', command: '<%= config.bin %> <%= command.id %> --busybox curl'},
    {description: 'An Alpine mini root filesystem plus the host\'s strace', command: '<%= config.bin %> <%= command.id %> --base alpine-minirootfs-3.20.0-x86_64.tar.gz strace'},
    {description: 'git with what `git clone` executes (git-upload-pack, sh) traced from a real run', command: "<%= config.bin %> <%= command.id %> git sh --trace 'cd $(mktemp -d) && git init -q a && git clone -q a b'"},
    {description: 'The ELF closure alone (no package files, no data rules)', command: '<%= config.bin %> <%= command.id %> --no-data bash ls ps'},
    {description: 'What would be copied, and why', command: '<%= config.bin %> <%= command.id %> --dry-run ssh'},
    {description: 'From a config file (JSON or YAML), with one option overridden', command: '<%= config.bin %> <%= command.id %> --config rootfs.yaml --layout flat'},
    {description: 'Hard links instead of copies (same filesystem)', command: '<%= config.bin %> <%= command.id %> --copy-mode hardlink -o /var/tmp/rootfs python3'},
  ]

  async run(): Promise<void> {
    const {buildRootfsMain} = await import('../src/cli/build-rootfs.js')
    await buildRootfsMain(await this.parseTable(BUILD_ROOTFS))
  }
}
