// The command line of a table's command, parsed without oclif (bin/run.js's fast paths), and its
// values turned into the API's options. It parses exactly as oclif parses the flags derived from
// the same table (test/cli/parity.test.ts feeds both the same generated argvs); anything oclif would
// refuse, or answer with help, is left to oclif (undefined), so that errors and help have one source.
import {UsageError} from '../errors.js'
import {toApiOptions} from '../options/api.js'
import type {Flag, OptionTable, Values} from '../options/index.js'

export interface Parsed<T extends OptionTable> {
  flags: Values<T>
  // Positional words, in order.
  args: string[]
  // Flags given on the command line (not defaulted): a --config file may not override them.
  given: Set<string>
  // COMMAND and its arguments, for a table with `command` (else empty).
  command: string[]
}

// The command line of the table's command, or undefined when it asks for help (oclif answers it).
// A line oclif refuses is refused here too, with a UsageError that says why (the oclif path
// reports its refusals with these words as well: see BaseCommand.parseTable).
export async function parseArgv<T extends OptionTable>(table: T, argv: string[]): Promise<Parsed<T> | undefined> {
  try {
    if (!table.command) return parseFlags(table, prepare(table, argv), [])
    const {own, afterDashes, command} = splitCommand(table, argv)
    return parseFlags(table, [...prepare(table, own), '--', ...afterDashes], command)
  } catch (error) {
    if (!(error instanceof Refused)) throw error
    // Only a mistake pays for the suggestion's module.
    const hint = error.mistyped === undefined ? '' : (await import('../suggest.js')).didYouMean(error.mistyped.word, error.mistyped.names)
    throw new UsageError(`${error.message}${hint}`, 'usage')
  }
}

// A parsed command line with its --config FILE read under it (for a command whose table has
// --config); the file's module loads only when one is given. Both entry points (bin/run.js's fast
// paths, the oclif commands' parseTable) call it after parsing.
export async function withConfigFile<T extends OptionTable>(table: T, parsed: Parsed<T>): Promise<Parsed<T>> {
  const file = (parsed.flags as Record<string, unknown>).config
  if (typeof file !== 'string' || !('config' in table.flags)) return parsed
  return (await import('./config.js')).withConfig(table, parsed, file)
}

// Every way the table's flags are written, for "did you mean".
function spellings(table: OptionTable): string[] {
  return Object.entries(table.flags).flatMap(([name, flag]) => [`--${name}`, ...(flag.allowNo ? [`--no-${name}`] : [])])
}

// What oclif is given for the same command line: the same first step (optional values), and for
// a command that runs COMMAND a `--` before it, so that oclif neither takes COMMAND's words for
// flags nor answers COMMAND's --help.
export function oclifArgv(table: OptionTable, argv: string[]): string[] {
  if (!table.command) return prepare(table, argv)
  const {own, afterDashes, command} = splitCommand(table, argv)
  return [...prepare(table, own), '--', ...afterDashes, ...command]
}

// Words oclif answers with help (before any `--`): bin/run.js leaves them to oclif.
export const HELP_FLAGS = ['--help', '-h']

export function wantsHelp(argv: string[]): boolean {
  for (const word of argv) {
    if (word === '--') return false
    if (HELP_FLAGS.includes(word)) return true
  }
  return false
}

// The flag a word names, as oclif finds it: `--name`, `--no-name` (booleans with allowNo), and
// `-c` followed by anything (the rest is a value or more short switches).
export function findFlag(table: OptionTable, word: string): {name?: string; isLong: boolean} {
  if (word.startsWith('--')) {
    const long = word.slice(2)
    if (Object.hasOwn(table.flags, long)) return {name: long, isLong: true}
    if (long.startsWith('no-')) {
      const flag = table.flags[long.slice(3)]
      if (flag?.type === 'boolean' && flag.allowNo) return {name: long.slice(3), isLong: true}
    }
    return {isLong: true}
  }
  if (!word.startsWith('-') || word.length < 2) return {isLong: false}
  const name = Object.keys(table.flags).find((key) => table.flags[key].char === word[1])
  return {name, isLong: false}
}

// The first step of both parsers. A bare `--NAME` of a flag with an optional value becomes
// `--NAME=` unless the next word is its value. A switch given a value (`--force=no`) is refused:
// oclif would take the value for a positional.
function prepare(table: OptionTable, argv: string[]): string[] {
  const out = [...argv]
  for (let i = 0; i < out.length; i++) {
    const word = out[i]
    if (word === '--') break
    if (!word.startsWith('-')) continue
    const eq = word.indexOf('=')
    const {name, isLong} = findFlag(table, eq < 0 || !word.startsWith('--') ? word : word.slice(0, eq))
    const flag = name === undefined ? undefined : table.flags[name]
    if (isLong && flag?.type === 'boolean' && eq >= 0) throw new UsageError(`${word.slice(0, eq)} takes no value: write ${word.slice(0, eq)}${flag.allowNo ? ` or --no-${name}` : ''}`, 'usage')
    if (isLong && flag?.optionalValue && eq < 0 && !takesNextWord(table, word, out[i + 1] ?? '-')) out[i] = `--${name}=`
    else if (i + 1 < out.length && takesNextWord(table, word, out[i + 1])) i++
  }
  return out
}

// Why the parser refuses a line (oclif refuses it too); mistyped asks for a suggestion among names
// (an unknown flag among the flags, a value among the choices).
class Refused extends Error {
  constructor(
    message: string,
    readonly mistyped?: {word: string; names: readonly string[]},
  ) {
    super(message)
  }
}

// oclif takes `-1` for a word, not a flag.
function isNegativeNumber(word: string): boolean {
  return /^-\d/.test(word)
}

// oclif's grammar (see its parser's parse.js): `--` ends the flags; `--name=value` and `-c=value`
// split at the first `=`; a value may not be another flag of the command; a non-repeatable flag
// may appear once; short switches combine (-qf is -q -f); a negative number is a word.
function parseFlags<T extends OptionTable>(table: T, argv: string[], command: string[]): Parsed<T> | undefined {
  if (wantsHelp(argv)) return undefined
  const words = [...argv]
  const tokens: Array<{name: string; input: string}> = []
  const args: string[] = []
  const takeFlag = (word: string): boolean => {
    const {name, isLong} = findFlag(table, word)
    if (name === undefined) {
      const eq = word.indexOf('=')
      if (eq < 0) return false
      words.unshift(word.slice(eq + 1))
      const taken = takeFlag(word.slice(0, eq))
      if (!taken) words.shift()
      return taken
    }
    const flag: Flag = table.flags[name]
    if (flag.type === 'boolean') {
      tokens.push({name, input: word})
      if (!isLong && word.length > 2) words.unshift(`-${word.slice(2)}`)
      return true
    }
    if (!flag.multiple && tokens.some((token) => token.name === name)) throw new Refused(`--${name} given twice (it takes one value)`)
    const input = isLong || word.length < 3 ? words.shift() : word.slice(word[2] === '=' ? 3 : 2)
    if (input === undefined) throw new Refused(valueWanted(name, flag))
    if (findFlag(table, input).name !== undefined) throw new Refused(`--${name} needs a value, and ${input} is a flag (for a value that looks like one, write ./${input})`)
    if (flag.choices && !flag.choices.includes(input)) throw new Refused(`--${name} ${input}: expected one of ${flag.choices.join(', ')}`, {word: input, names: flag.choices})
    tokens.push({name, input})
    return true
  }
  let flagsEnded = false
  while (words.length > 0) {
    const word = words.shift()!
    if (!flagsEnded && word.startsWith('-') && word !== '-') {
      if (word === '--') {
        flagsEnded = true
        continue
      }
      if (takeFlag(word)) continue
      const unknown = word.split('=')[0]
      if (!isNegativeNumber(word)) throw new Refused(`unknown flag ${unknown}`, {word: unknown, names: spellings(table)})
    }
    args.push(word)
  }
  return finish(table, tokens, args, command)
}

function finish<T extends OptionTable>(table: T, tokens: Array<{name: string; input: string}>, args: string[], command: string[]): Parsed<T> {
  const flags: Record<string, unknown> = {}
  const given = new Set<string>()
  for (const [name, flag] of Object.entries(table.flags)) {
    const mine = tokens.filter((token) => token.name === name)
    if (mine.length === 0) {
      if (flag.default !== undefined) flags[name] = flag.default
      else if (flag.required) throw new Refused(`missing --${name}${flag.choices ? ` (one of ${flag.choices.join(', ')})` : flag.value ? ` ${flag.value}` : ''}`)
      continue
    }
    given.add(name)
    if (flag.type === 'boolean') flags[name] = mine[mine.length - 1].input !== `--no-${name}`
    else flags[name] = flag.multiple ? mine.map((token) => token.input) : mine[0].input
  }
  const positionals = Object.entries(table.args)
  const missing = positionals.filter(([, arg]) => arg.required).slice(args.length)
  if (missing.length > 0) throw new Refused(`missing ${missing.map(([name]) => name.toUpperCase()).join(' ')}`)
  const variadic = positionals.some(([, arg]) => arg.variadic)
  if (!variadic && table.command === undefined && args.length > positionals.length) throw new Refused(`unexpected argument ${args.slice(positionals.length).join(' ')}`)
  return {flags: flags as Values<T>, args, given, command}
}

// For a command that runs a COMMAND (run, chroot): the command's own words (flags and
// positionals, as written), the positionals given after a `--`, and COMMAND with its arguments,
// verbatim. COMMAND starts at the first word after the positionals that is not a flag, or after a
// `--`; a word that looks like a flag before COMMAND is the command's (unknown ones are oclif's to
// report).
function splitCommand(table: OptionTable, argv: string[]): {own: string[]; afterDashes: string[]; command: string[]} {
  const after = table.command?.after ?? 0
  const own: string[] = []
  let positionals = 0
  for (let i = 0; i < argv.length; i++) {
    const word = argv[i]
    if (word === '--') {
      const rest = argv.slice(i + 1)
      const missing = Math.max(0, after - positionals)
      return {own, afterDashes: rest.slice(0, missing), command: rest.slice(missing)}
    }
    if (word.startsWith('-') && word !== '-' && !isNegativeNumber(word)) {
      own.push(word)
      const next = argv[i + 1]
      // A flag at the end of the command's words has no value: the `--` given before COMMAND, or
      // the one oclif is given, is no value of it (`run R -w -- ls` would chdir to "--").
      if ((next === undefined || next === '--') && takesNextWord(table, word, '')) throw new UsageError(needsValue(table, word), 'usage')
      if (next !== undefined && takesNextWord(table, word, next)) own.push(argv[++i])
      continue
    }
    if (positionals === after) return {own, afterDashes: [], command: argv.slice(i)}
    own.push(word)
    positionals++
  }
  return {own, afterDashes: [], command: []}
}

// Whether a flag word takes the following word as its value (`--name V`, `-c V`, also after
// combined switches: `-qc V`), as prepare() and the parser will decide.
function takesNextWord(table: OptionTable, word: string, next: string): boolean {
  if (word.startsWith('--')) {
    if (word.includes('=')) return false
    const flag = table.flags[word.slice(2)]
    if (flag?.optionalValue) return !next.startsWith('-') && flag.optionalValue(next)
    return flag?.type === 'string'
  }
  for (let i = 1; i < word.length; i++) {
    const name = Object.keys(table.flags).find((key) => table.flags[key].char === word[i])
    if (name === undefined) return false
    if (table.flags[name].type === 'string') return i === word.length - 1
  }
  return false
}

// `--NAME needs a value (PLACEHOLDER)`: what both parsers say of a flag given without its value.
function valueWanted(name: string, flag: Flag): string {
  return `--${name} needs a value${flag.choices ? ` (one of ${flag.choices.join(', ')})` : flag.value ? ` (${flag.value})` : ''}`
}

// The same, for a flag word as written (`-w`, `-qw`, `--workdir`): the string flag it ends with.
function needsValue(table: OptionTable, word: string): string {
  const name = word.startsWith('--') ? word.slice(2) : Object.keys(table.flags).find((key) => table.flags[key].char === word[word.length - 1])!
  return valueWanted(name, table.flags[name])
}

// A parsed command line as the API function's options: the flags renamed and converted
// (toApiOptions), the positionals under their API names, COMMAND as command and args (run's spec).
export function toApiCall<T extends OptionTable>(table: T, parsed: Parsed<T>): Record<string, unknown> {
  const call = toApiOptions(table, parsed.flags)
  Object.values(table.args).forEach((arg, i) => {
    if (arg.api && parsed.args[i] !== undefined) call[arg.api] = parsed.args[i]
  })
  if (table.command && parsed.command.length > 0) Object.assign(call, {command: parsed.command[0], args: parsed.command.slice(1)})
  return call
}
