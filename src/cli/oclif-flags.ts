// A command's oclif definition (flags, args, usage) derived from its option table, so
// that commands/*.ts only name their table. Loaded on oclif's path only.
import {Args, Flags, type Interfaces} from '@oclif/core'
import type {Parsed} from './argv.js'
import type {OptionTable, Values} from '../options/index.js'

// oclif types each flag by its value; the table decides the values, so any flag goes here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
type OclifFlag = Interfaces.Flag<any>
type Char = Parameters<typeof Flags.string>[0] extends infer O ? (O extends {char?: infer C} ? C : never) : never

export function oclifFlags(table: OptionTable): Record<string, OclifFlag> {
  const flags: Record<string, OclifFlag> = {}
  for (const [name, flag] of Object.entries(table.flags)) {
    const common = {char: flag.char as Char, description: flag.description, required: flag.required}
    flags[name] =
      flag.type === 'boolean'
        ? Flags.boolean({...common, allowNo: flag.allowNo, default: flag.default as boolean | undefined})
        : flag.multiple
          ? Flags.string({...common, options: flag.choices as string[] | undefined, helpValue: flag.value, multiple: true, multipleNonGreedy: true})
          : Flags.string({...common, options: flag.choices as string[] | undefined, helpValue: flag.value, default: flag.default as string | undefined})
  }
  return flags
}

// Positionals, plus COMMAND for commands that run one; a variadic one takes every remaining word.
// oclif would read a missing argument from stdin (a pipe feeding the sandbox would lose its first
// line): ignoreStdin everywhere.
export function oclifArgs(table: OptionTable): Interfaces.ArgInput {
  const args: Interfaces.ArgInput = {}
  for (const [name, arg] of Object.entries(table.args)) args[name] = Args.string({description: arg.description, required: arg.required, multiple: arg.variadic, ignoreStdin: true})
  if (table.command) args.command = Args.string({description: table.command.description, multiple: true, ignoreStdin: true})
  return args
}

// oclif prints `$ ns-tool ` before it.
export function oclifUsage(table: OptionTable): string {
  return table.usage
}

interface OclifOutput {
  flags: Record<string, unknown>
  raw: Array<{type: string; input: string}>
  metadata: {flags: Record<string, {setFromDefault?: boolean} | undefined>}
}

// oclif's answer in the fast parser's terms. Positionals come from oclif's raw tokens: its `argv`
// is sorted by first occurrence, which reorders repeated words (`echo a b a`).
export function fromOclif<T extends OptionTable>(table: T, output: OclifOutput): Parsed<T> {
  const words = output.raw.filter((token) => token.type === 'arg').map((token) => token.input)
  const after = table.command ? table.command.after : words.length
  const given = new Set(Object.keys(output.flags).filter((name) => !output.metadata.flags[name]?.setFromDefault))
  return {flags: output.flags as Values<T>, args: words.slice(0, after), command: words.slice(after), given}
}
