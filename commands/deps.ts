import {BaseCommand} from '../src/cli/base-command.js'
import {oclifArgs, oclifFlags, oclifUsage} from '../src/cli/oclif-flags.js'
import {DEPS} from '../src/options/deps.js'
import type {ResolveOptions} from '../src/loader/types.js'
import {UsageError} from '../src/errors.js'

export default class Deps extends BaseCommand {
  static override summary = 'Show every file programs need to run, and why.'

  static override description = `Resolves each PROGRAM (a name looked up on PATH, or a path) the way the dynamic loader would: its interpreter, every library with the object that asked for it, where it was found (RPATH, RUNPATH, LD_LIBRARY_PATH, ld.so.cache, ld.so.conf, the loader's default directories, $ORIGIN), and, for a library that cannot be found, every path that was searched. A #! script needs its interpreter (and, for #!/usr/bin/env NAME, NAME found on the PATH the tree runs with: /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin). Then the data a build would add (unless --no-data), each with its reason: the programs' packages' run-time files, the data rules, the libraries .note.dlopen names, and the files --trace commands used. Nothing is executed unless --resolver ldd or --trace is given.`

  static override usage = oclifUsage(DEPS)
  static override args = oclifArgs(DEPS)
  static override flags = oclifFlags(DEPS)
  static exits = DEPS.exits

  static override examples = [
    {description: 'Why does ls need what it needs?', command: '<%= config.bin %> <%= command.id %> ls'},
    {description: 'Several programs, as JSON', command: '<%= config.bin %> <%= command.id %> --json bash ls ps'},
    {description: 'A graph', command: '<%= config.bin %> <%= command.id %> --format dot ssh | dot -Tsvg > ssh.svg'},
    {description: 'Inside a debootstrap tree', command: '<%= config.bin %> <%= command.id %> --sysroot /srv/bookworm /usr/bin/apt'},
    {description: "Compare with ldd's answer", command: '<%= config.bin %> <%= command.id %> --resolver ldd --json ls'},
    {description: 'With what a real run uses (helper programs, data no rule knows)', command: "<%= config.bin %> <%= command.id %> --trace 'git clone -q https://example.org/r.git' git"},
    {description: 'The ELF closure alone', command: '<%= config.bin %> <%= command.id %> --no-data python3'},
    {description: 'With the LD_LIBRARY_PATH of this shell', command: 'LD_LIBRARY_PATH=/opt/app/lib <%= config.bin %> <%= command.id %> --ld-library-path /opt/app/bin/app'},
  ]

  async run(): Promise<void> {
    const {args: programs, flags} = await this.parseTable(DEPS)
    const format = flags.json ? 'json' : flags.format
    if (flags.json && flags.format !== 'tree' && flags.format !== 'json') throw new UsageError(`--json and --format ${flags.format} contradict each other`, 'usage')
    if (flags['ld-library-path'] && flags.sysroot !== undefined) throw new UsageError('--ld-library-path applies to the host only: it cannot be combined with --sysroot', 'usage')
    if (flags.sysroot !== undefined) {
      const {statSync} = await import('node:fs')
      if (!statSync(flags.sysroot, {throwIfNoEntry: false})?.isDirectory()) throw new UsageError(`--sysroot ${flags.sysroot}: no such directory`)
    }

    const {toApiOptions} = await import('../src/options/api.js')
    const {resolveWithData} = await import('../src/data/index.js')
    const {SKELETON_NSSWITCH} = await import('../src/rootfs/plan/skeleton.js')
    const data = {data: flags.data, dlopen: flags.dlopen, traces: flags.trace, traceTimeout: Number(flags['trace-timeout']), nsswitch: SKELETON_NSSWITCH, locales: flags.locale, langs: flags.lang, skipRules: flags['skip-rule']}
    const {closure, data: files, warnings} = await resolveWithData(programs, toApiOptions(DEPS, flags) as ResolveOptions, data)
    for (const warning of warnings) process.stderr.write(`ns-tool deps: ${warning}\n`)

    const render = await import('../src/cli/deps-render.js')
    const {packagesOf} = await import('../src/provenance/index.js')
    const packages = packagesOf(closure.files.map((file) => file.path), flags.sysroot ?? '/')
    const text = format === 'json' ? render.closureJson(closure, packages, files) : format === 'dot' ? render.closureDot(closure) : render.closureTree(closure, packages) + render.dataTree(files)
    process.stdout.write(text)
    if (closure.missing.length > 0) {
      if (format !== 'tree') for (const entry of closure.missing) process.stderr.write(`ns-tool deps: ${render.missingLine(entry)}\n`)
      process.exitCode = 1
    }
  }
}
