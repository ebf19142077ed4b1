// The options of every command, one table per command (build-rootfs.ts, run.ts, ...): names, types,
// defaults, choices, docs. Facts of the library layers that use them; nothing here knows oclif.
//
// This folder lies below every other (it imports only src/errors.ts and src/suggest.ts), so the
// library takes its defaults from it; src/cli renders the tables as oclif flags, the fast start-up
// parser, --help and the --config schema, and api.ts checks the API's calls against them.
//
// HOW TO ADD A FLAG: add one row to the command's table, e.g. in run.ts
//     memory: {type: 'string', value: 'BYTES', description: 'limit the memory (cgroup memory.max)'},
// and that is all the command line needs: commands/run.ts gets the oclif flag, bin/run.js's fast
// path parses it, --help lists it, and the parity test (test/cli/parity.test.ts) feeds it to both
// parsers. What the row can say:
//   type        'boolean' (a switch) or 'string' (takes a value: --name V, --name=V, -cV, -c V)
//   char        the one-letter short form
//   multiple    repeatable, one value per occurrence (-e A -e B); never greedy
//   allowNo     a boolean that also has --no-NAME
//   choices     the values allowed
//   default     the value when absent (the only place a default is written)
//   required    must be given
//   value       the placeholder in --help (DIR, KEY=VALUE)
//   optionalValue  a string flag whose value may be left out: a predicate on the next word
//   api         the name in the public API's options (default: NAME in camelCase); false when the
//               flag exists on the command line only (--json, --quiet)
//   apiType     the API's shape when it is not the command line's (see ApiType), and toApi to
//               convert a command-line value into it
//   config      false: not accepted in a --config file; path: 'whole' | 'source' (SRC of SRC[:DEST])
//               (words: values that are keywords, not paths, such as --seccomp's default)
//               makes a relative value in a config file relative to the file
// The value in the API is checked by checkApiOptions; API-only options (callbacks, numbers) go in
// the table's `api` record. A new command gets a table file here (see verify.ts for the smallest).
export interface Flag {
  type: 'boolean' | 'string'
  char?: string
  multiple?: boolean
  allowNo?: boolean
  choices?: readonly string[]
  default?: string | boolean
  required?: boolean
  value?: string
  description: string
  optionalValue?: (next: string) => boolean
  api?: string | false
  apiType?: ApiType
  toApi?: (value: never) => unknown
  config?: false
  path?: 'whole' | 'source'
  words?: readonly string[]
}

// A positional argument. variadic: takes every remaining word (only the last one may be).
export interface Positional {
  description: string
  required?: boolean
  variadic?: boolean
  // Its name in the API (build(programs, ...) takes it as a parameter: false).
  api?: string | false
  // The key of a --config file that lists it (build-rootfs's `programs`).
  configKey?: string
}

// Shapes an API option may take beyond the command line's own (string, boolean, string[], choices).
export type ApiType = 'string' | 'boolean' | 'number' | 'function' | 'abort-signal' | 'string[]' | 'string|boolean' | 'record' | 'binds' | 'user'

export interface OptionTable {
  // The command's name and its usage line, without the program name.
  id: string
  usage: string
  flags: Record<string, Flag>
  args: Record<string, Positional>
  // For commands that run a COMMAND (run, chroot): after `after` positionals, the first word that
  // is not a flag begins COMMAND, and everything from it on is COMMAND's.
  command?: {after: number; description: string}
  // Options of the API function that the command line does not have.
  api?: Record<string, ApiType>
  // The API function's name, for its error messages.
  apiName?: string
  // Exit statuses for --help: what 1 means for this command, and its own (run: COMMAND's statuses).
  exits: Record<string, string>
  // The status of a failed operation, when it is not 1 (run: 125, the sandbox could not be set up).
  failedStatus?: number
}

// What 2 means for every command (`refused`: a well-formed line that needs a change, see
// src/errors.ts).
export const USAGE_STATUS = 'bad usage: an unknown flag, a bad value, a missing argument, or a request refused as given (such as an output that needs --force)'

// The parsed value of each flag: booleans, strings, choices as unions, arrays for repeatable flags;
// flags with a default (or required) are always present.
type FlagValue<F extends Flag> = F['type'] extends 'boolean'
  ? boolean
  : F['multiple'] extends true
    ? F['choices'] extends readonly (infer C)[] ? C[] : string[]
    : F['choices'] extends readonly (infer C)[] ? C : string
type Always<F> = F extends {default: string | boolean} | {required: true} ? true : false
export type Values<T extends OptionTable> = {
  -readonly [K in keyof T['flags'] as Always<T['flags'][K]> extends true ? K : never]: FlagValue<T['flags'][K]>
} & {
  -readonly [K in keyof T['flags'] as Always<T['flags'][K]> extends true ? never : K]?: FlagValue<T['flags'][K]>
}
