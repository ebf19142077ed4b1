// One option table per command: bin/run.js's fast parser and oclif's parser (fed the flags derived
// from the same table, through the same first step) must read every command line alike. A
// generated set of argvs (greedy-looking repeated flags, `--`, flag-like values, `=` forms, short
// flags with attached values, --no- forms, help, unknown flags) goes to both; where the fast path
// answers, oclif must give the same flags, positionals and COMMAND; where it refuses a line, oclif
// refuses it too; where it leaves the line to oclif, oclif answers with help. PARITY_LINES and
// PARITY_SEED replay or widen the generated set.
import {Parser} from '@oclif/core'
import {helpAddition} from '@oclif/core/run'
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {oclifArgv, parseArgv, type Parsed} from '../../src/cli/argv.js'
import {fromOclif} from '../../src/cli/oclif-flags.js'
import {UsageError} from '../../src/errors.js'
import type {OptionTable} from '../../src/options/index.js'
import {BUILD_ROOTFS} from '../../src/options/build-rootfs.js'
import {repoRoot} from '../support/cli.js'
import {seededRandom} from '../support/random.js'

interface CommandClass {
  flags: object
  args: object
  strict?: boolean
}

// Every table of src/options with its command: a new command is covered as soon as it exists.
const OPTIONS_DIR = join(repoRoot, 'src', 'options')
const COMMANDS: Array<[OptionTable, CommandClass]> = []
for (const name of readdirSync(OPTIONS_DIR).filter((file) => file.endsWith('.ts') && file !== 'index.ts').sort()) {
  const module = (await import(join(OPTIONS_DIR, name))) as Record<string, unknown>
  for (const table of Object.values(module).filter((value): value is OptionTable => typeof value === 'object' && value !== null && 'usage' in value && 'flags' in value)) {
    COMMANDS.push([table, ((await import(join(repoRoot, 'commands', `${table.id}.ts`))) as {default: CommandClass}).default])
  }
}

const packageConfig = {pjson: JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')), isSingleCommandCLI: false}

type Answer = {kind: 'parsed'; parsed: object} | {kind: 'help'} | {kind: 'refused'; why: string}

function comparable(parsed: Parsed<OptionTable>): object {
  return {flags: parsed.flags, args: parsed.args, command: parsed.command, given: [...parsed.given].sort()}
}

async function oclifAnswer(table: OptionTable, command: CommandClass, argv: string[]): Promise<Answer> {
  try {
    const words = oclifArgv(table, argv)
    if (helpAddition([table.id, ...words], packageConfig as never)) return {kind: 'help'}
    const output = await Parser.parse(words, {flags: command.flags, args: command.args, strict: command.strict ?? true} as never)
    return {kind: 'parsed', parsed: comparable(fromOclif(table, output as never))}
  } catch (error) {
    return {kind: 'refused', why: (error as Error).message.split('\n')[0]}
  }
}

// Values a flag may be given: plain words, words with `=` and `:`, its choices and a wrong one,
// and words that look like flags (of this command or not), `-`, `--` and the empty word.
function values(table: OptionTable, name: string): string[] {
  const flag = table.flags[name]
  const others = Object.entries(table.flags).map(([other, f]) => (f.type === 'boolean' ? `--${other}` : f.char ? `-${f.char}` : `--${other}=x`))
  return [...(flag.choices ?? []), 'sideways', 'x', 'a=b', 'src:/dest', '-', '--', '', '-1', '--bogus', '-Z', ...others.slice(0, 3)]
}

// The spellings of one flag, each as the words it takes.
function spellings(table: OptionTable, name: string, value: string): string[][] {
  const flag = table.flags[name]
  if (flag.type === 'boolean') {
    const forms = [[`--${name}`], [`--${name}=${value}`]]
    if (flag.allowNo) forms.push([`--no-${name}`])
    if (flag.char) forms.push([`-${flag.char}`], [`-${flag.char}${Object.values(table.flags).find((f) => f.char && f.char !== flag.char)?.char ?? ''}`])
    return forms
  }
  const forms = [[`--${name}`, value], [`--${name}=${value}`]]
  if (flag.char) forms.push([`-${flag.char}`, value], [`-${flag.char}${value}`], [`-${flag.char}=${value}`])
  if (flag.optionalValue) forms.push([`--${name}`], [`--${name}`, 'ls'], [`--${name}`, '/bin/busybox'])
  return forms
}

function generate(table: OptionTable, count: number, seed: number): string[][] {
  const next = seededRandom(seed)
  const pick = <T>(list: T[]): T => list[Math.floor(next() * list.length)]
  const names = Object.keys(table.flags)
  const words = ['p1', 'p2', 'a', 'b', 'a', '-', '-1', 'x=y', '/bin/echo']
  // Half the lines start with what the command requires, so that most of them can succeed.
  const required = [
    ...Object.entries(table.flags).flatMap(([name, flag]) => (flag.required ? [`--${name}`, flag.choices?.[0] ?? 'x'] : [])),
    ...Object.values(table.args).flatMap((arg) => (arg.required ? ['R'] : [])),
  ]
  const argvs: string[][] = []
  for (let n = 0; n < count; n++) {
    const argv: string[] = next() < 0.5 ? [...required] : []
    const length = 1 + Math.floor(next() * 7)
    for (let i = 0; i < length; i++) {
      const roll = next()
      if (roll < 0.5) {
        const name = pick(names)
        argv.push(...pick(spellings(table, name, pick(values(table, name)))))
      } else if (roll < 0.85) argv.push(pick(words))
      else if (roll < 0.93) argv.push('--')
      else argv.push(pick(['--help', '-h', '--bogus', '-Z', '--no-bogus', '--json=1']))
    }
    argvs.push(argv)
  }
  return argvs
}

// The lines the issue names, and the shapes most often typed.
const NAMED: Record<string, string[][]> = {
  'build-rootfs': [
    ['-f', './app.conf:/etc/app.conf', 'true'],
    ['-f', './app.conf:/etc/app.conf', 'true', '--config', 'c.yaml'],
    ['-o', '--force', 'ls'],
    ['-o', 'out', '--force', 'bash', 'ls', 'ps'],
    ['--busybox', 'curl'],
    ['--busybox', '/bin/busybox', 'curl'],
    ['-qo', 'out', 'ls'],
    ['--no-skeleton', '--skeleton', 'ls'],
    ['ls', 'bash', 'ls'],
  ],
  run: [
    ['R', '/bin/echo', 'a', 'b', 'a', '--help'],
    ['R', '--hostname', 'box', '/bin/hostname'],
    ['R', '--help'],
    ['R', '-h'],
    ['-e', 'A=1', '-e', 'B=2', 'R', '/bin/env'],
    ['-e', 'A=1', 'R', '-e', 'B=2', '/bin/env', '-e', 'C'],
    ['--', 'R', '/bin/ls', '--', 'x'],
    ['R', '--', '--weird', 'x'],
    ['-e', '--init', 'R'],
    ['--no-pty', 'R', '/bin/true'],
    ['R', '--hostname'],
    ['R', '-w', '--', '/bin/ls'],
    ['--net', 'hots', 'R'],
    ['R'],
    [],
  ],
  chroot: [['ls', '-l', '/'], ['--', 'ls', '--help'], ['--rootfs', 'd', 'sh', '-c', 'true'], ['--help'], ['--rootfs']],
  deps: [['ls'], ['--json', 'ls', 'bash'], ['--format', 'dot', '--json', 'ls']],
  verify: [['rootfs'], ['rootfs', 'extra'], ['--json']],
  export: [['R', '--format', 'tar', '-o', 'out.tar'], ['R', '--format', 'zip', '-o', 'x'], ['R', '-o', 'x']],
}

describe('option tables: the fast parser and oclif read every command line alike', function () {
  for (const [table, command] of COMMANDS) {
    it(`${table.id}: the named lines and 600 generated ones`, async function () {
      const argvs = [...(NAMED[table.id] ?? []), ...generate(table, Number(process.env.PARITY_LINES ?? 600), Number(process.env.PARITY_SEED ?? table.id.length * 7919))]
      let answered = 0
      for (const argv of argvs) {
        const line = `${table.id} ${JSON.stringify(argv)}`
        const oclif = await oclifAnswer(table, command, argv)
        let fast: Parsed<OptionTable> | undefined
        try {
          fast = await parseArgv(table, argv)
        } catch (error) {
          // Refused, with a reason of its own words: oclif refuses the line too.
          expect(error, line).to.be.instanceOf(UsageError)
          expect(oclif.kind, `${line}: refused by the fast path (${(error as Error).message}), but not by oclif`).to.equal('refused')
          continue
        }
        if (fast === undefined) {
          expect(oclif.kind, `${line}: help for the fast path`).to.equal('help')
          continue
        }
        answered++
        expect(oclif, line).to.deep.equal({kind: 'parsed', parsed: comparable(fast)})
      }
      // The generator must exercise the fast path itself, not only refusals (export, with two
      // required flags, is the hardest to hit at random).
      expect(answered, 'lines the fast path answered').to.be.greaterThan(argvs.length / 50)
    })
  }

  it('the lines the issue names: a file flag takes one value, and --config does not change that; -o takes no flag as a value', async function () {
    const plain = (await parseArgv(BUILD_ROOTFS, ['-f', './app.conf:/etc/app.conf', 'true']))!
    const withConfig = (await parseArgv(BUILD_ROOTFS, ['-f', './app.conf:/etc/app.conf', 'true', '--config', 'c.yaml']))!
    expect(plain.args).to.deep.equal(['true'])
    expect(withConfig.args).to.deep.equal(['true'])
    expect(withConfig.flags.file).to.deep.equal(['./app.conf:/etc/app.conf'])
    const refused = await parseArgv(BUILD_ROOTFS, ['-o', '--force', 'ls']).catch((error: Error) => error.message)
    expect(refused).to.equal('--output needs a value, and --force is a flag (for a value that looks like one, write ./--force)')
  })
})
