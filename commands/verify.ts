import {BaseCommand} from '../src/cli/base-command.js'
import {oclifArgs, oclifFlags, oclifUsage} from '../src/cli/oclif-flags.js'
import {VERIFY} from '../src/options/verify.js'

export default class Verify extends BaseCommand {
  static override summary = 'Check that every program in a rootfs finds its interpreter and libraries there.'

  static override description = `Walks ROOTFS (without following symlinks out of it; /proc, /dev and /sys are skipped) and, for every ELF executable and shared library, resolves its interpreter and libraries the way the dynamic loader would inside ROOTFS alone: ROOTFS's own /etc/ld.so.cache and ld.so.conf, the loader's default directories, RPATH, RUNPATH and $ORIGIN; files of another class or machine are skipped as the loader skips them. Every executable #! script's interpreter must exist in ROOTFS too (and, for #!/usr/bin/env NAME, NAME must be on the usual PATH); every symlink must lead somewhere inside ROOTFS. Files the manifest records as not closed (a data file whose needs the host could not meet, a module read by its interpreter) are not checked. What the programs need besides ELF libraries is checked as the tree was built (its manifest): each data rule that applies (gconv, zoneinfo, terminfo, CA bundle...) must find one of its files, and each library a .note.dlopen names must resolve; a tree built with --no-data is held to its ELF closure alone. Only headers are read; nothing is executed. ROOTFS that is not a directory is bad usage (2).`

  static override usage = oclifUsage(VERIFY)
  static override args = oclifArgs(VERIFY)
  static override flags = oclifFlags(VERIFY)
  static exits = VERIFY.exits

  static override examples = [
    {description: 'Check a tree made by build-rootfs', command: '<%= config.bin %> <%= command.id %> ./rootfs'},
    {description: 'In a script: rebuild when something is missing', command: '<%= config.bin %> <%= command.id %> ./rootfs || <%= config.bin %> build-rootfs -o ./rootfs bash ls ps'},
    {description: 'The problems as JSON', command: "<%= config.bin %> <%= command.id %> --json ./rootfs | jq '.problems[] | .name'"},
  ]

  async run(): Promise<void> {
    const {args, flags} = await this.parseTable(VERIFY)
    const rootfs = args[0]
    const {verify, problemLine} = await import('../src/verify/index.js')
    const result = await verify(rootfs, {data: flags.data, dlopen: flags.dlopen})
    if (flags.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    } else if (result.ok) {
      // Summaries are for people (stderr, as build-rootfs's); stdout has the data: problems, --json.
      const scope = result.data ? '' : ` (data not checked: ${flags.data === false ? 'as --no-data asks' : 'the tree was built with --no-data'})`
      const unclosed = result.notClosed > 0 ? `; ${result.notClosed} file${result.notClosed === 1 ? '' : 's'} not closed, as built (see docs/data.md)` : ''
      process.stderr.write(`${rootfs}: ok, ${result.checked} file${result.checked === 1 ? '' : 's'} checked, every interpreter and library resolves${scope}${unclosed}\n`)
    } else {
      for (const problem of result.problems) process.stdout.write(`${problemLine(problem)}\n`)
      const n = result.problems.length
      process.stderr.write(`ns-tool verify: ${rootfs}: ${n} problem${n === 1 ? '' : 's'} in ${result.checked} file${result.checked === 1 ? '' : 's'} checked\n`)
    }
    if (!result.ok) process.exitCode = 1
  }
}
