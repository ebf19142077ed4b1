// build-rootfs's work once its flags are known, shared by the oclif command and by the start-up
// path of bin/run.js that skips oclif for plain invocations (design §6: start-up is most of a small
// build's time).
import {UsageError} from '../errors.js'

export interface BuildRootfsFlags {
  output: string
  file?: string[]
  layout: string
  resolver: string
  sysroot?: string
  base?: string
  busybox?: string
  'copy-mode': string
  clean?: boolean
  force?: boolean
  'dry-run'?: boolean
  json?: boolean
  'allow-missing'?: boolean
  skeleton: boolean
  'keep-setuid'?: boolean
  quiet?: boolean
  config?: string
}

// The flags of build-rootfs, for the parser below (a test checks them against the command's).
export const BUILD_FLAGS: Record<string, {value: boolean; char?: string; multiple?: boolean; allowNo?: boolean; options?: string[]; default?: string | boolean}> = {
  output: {value: true, char: 'o', default: 'rootfs'},
  file: {value: true, char: 'f', multiple: true},
  layout: {value: true, options: ['host', 'flat'], default: 'host'},
  resolver: {value: true, options: ['elf', 'ldd'], default: 'elf'},
  sysroot: {value: true},
  base: {value: true},
  busybox: {value: true},
  'copy-mode': {value: true, options: ['auto', 'copy', 'reflink', 'hardlink'], default: 'auto'},
  clean: {value: false},
  force: {value: false},
  'dry-run': {value: false},
  json: {value: false},
  'allow-missing': {value: false},
  skeleton: {value: false, allowNo: true, default: true},
  'keep-setuid': {value: false},
  quiet: {value: false, char: 'q'},
  config: {value: true},
}

// --busybox takes an optional PATH: a bare --busybox (followed by a flag, the end, or a word that
// is not a busybox file) means the one on PATH.
export function optionalBusyboxValue(argv: string[]): string[] {
  const out = [...argv]
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== '--busybox') continue
    const next = out[i + 1]
    const isPath = next !== undefined && !next.startsWith('-') && /busybox/.test(next.split('/').pop() ?? '')
    if (!isPath) out[i] = '--busybox='
  }
  return out
}

// The flags and programs of a plain invocation, or undefined when oclif should parse it (help,
// --config, an unknown flag, a bad value): oclif then gives its usual answer.
export function fastBuildArgs(raw: string[]): {flags: BuildRootfsFlags; programs: string[]} | undefined {
  const argv = optionalBusyboxValue(raw)
  const flags: Record<string, unknown> = {}
  for (const [name, shape] of Object.entries(BUILD_FLAGS)) if (shape.default !== undefined) flags[name] = shape.default
  const programs: string[] = []
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]
    if (word === '--') {
      programs.push(...argv.slice(i + 1))
      break
    }
    if (!word.startsWith('-') || word === '-') {
      programs.push(word)
      continue
    }
    let name: string | undefined
    let value: string | undefined
    if (word.startsWith('--')) {
      const eq = word.indexOf('=')
      name = word.slice(2, eq < 0 ? undefined : eq)
      if (eq >= 0) value = word.slice(eq + 1)
    } else {
      name = Object.keys(BUILD_FLAGS).find((n) => BUILD_FLAGS[n].char === word[1])
      if (word.length > 2) value = word.slice(2).replace(/^=/, '')
    }
    if (name === undefined) return undefined
    if (name.startsWith('no-') && BUILD_FLAGS[name.slice(3)]?.allowNo && value === undefined) {
      flags[name.slice(3)] = false
      continue
    }
    const shape = BUILD_FLAGS[name]
    if (!shape || name === 'config') return undefined
    if (!shape.value) {
      if (value !== undefined) return undefined
      flags[name] = true
      continue
    }
    if (value === undefined) {
      if (i + 1 >= argv.length) return undefined
      value = argv[++i]
    }
    if (shape.options && !shape.options.includes(value)) return undefined
    if (shape.multiple) (flags[name] as string[] | undefined) ? (flags[name] as string[]).push(value) : (flags[name] = [value])
    else flags[name] = value
  }
  return {flags: flags as unknown as BuildRootfsFlags, programs}
}

export async function buildRootfsMain(flags: BuildRootfsFlags, programs: string[]): Promise<void> {
    if (flags.sysroot !== undefined && flags.resolver === 'ldd') throw new UsageError('--sysroot implies --resolver elf: ldd can only run host programs')
    if (programs.length === 0 && !flags.file && flags.busybox === undefined && !flags.base) throw new UsageError('nothing to build: give programs, --file or --busybox')
    const warn = (message: string) => {
      if (!flags.quiet) process.stderr.write(`ns-tool build-rootfs: ${message}\n`)
    }
    const options = {
      output: flags.output,
      files: flags.file,
      layout: flags.layout as 'host' | 'flat',
      resolver: flags.resolver as 'elf' | 'ldd',
      sysroot: flags.sysroot,
      base: flags.base,
      busybox: flags.busybox === undefined ? undefined : flags.busybox === '' ? true : flags.busybox,
      copyMode: flags['copy-mode'] as 'auto' | 'copy' | 'reflink' | 'hardlink',
      clean: flags.clean,
      force: flags.force,
      allowMissing: flags['allow-missing'],
      skeleton: flags.skeleton,
      keepSetuid: flags['keep-setuid'],
      warn,
    }
    const rootfs = await import('../rootfs/index.js')
    if (flags['dry-run']) {
      const plan = await rootfs.plan(programs, options)
      if (flags.json) process.stdout.write(JSON.stringify(plan, null, 2) + '\n')
      else for (const entry of plan.entries) process.stdout.write(describe(entry) + '\n')
      return
    }
    const progress = !flags.quiet && !flags.json && process.stderr.isTTY ? await (await import('./progress.js')).progressBar('copying', 'files', 50) : undefined
    const result = await rootfs.build(programs, {...options, progress: progress?.update})
    progress?.stop()
    if (flags.json) {
      process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    } else if (!flags.quiet) {
      const {stats} = result
      process.stderr.write(`${result.output}: ${result.entries.length} entries; ${stats.copied} copied, ${stats.reused} unchanged, ${stats.linked} hard-linked${stats.kept ? `, ${stats.kept} kept` : ''}${stats.removed ? `, ${stats.removed} removed` : ''}\n`)
    }
}

function describe(entry: {path: string; type: string; source?: string; target?: string; reason: string}): string {
  const what = entry.type === 'symlink' ? `-> ${entry.target}` : entry.source ? `<- ${entry.source}` : ''
  return `${entry.type.padEnd(7)} ${entry.path} ${what}  [${entry.reason}]`.replace(/ {2,}\[/, '  [')
}
