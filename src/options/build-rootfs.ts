// build-rootfs's options; build() and plan() of the API take the same ones (see index.ts).
import {UsageError} from '../errors.js'
import type {OptionTable} from './index.js'
import {parseEnv} from './run.js'

// The flags of what is not an ELF dependency (src/data); deps has them too.
export const DATA_FLAGS = {
  data: {type: 'boolean', allowNo: true, default: true, description: "add what the programs need besides ELF dependencies: their packages' run-time files, the data rules (an interpreter's library, gconv, CA bundle, terminfo, zoneinfo...), the libraries .note.dlopen names; --no-data: the ELF closure alone"},
  dlopen: {type: 'string', choices: ['required', 'recommended', 'suggested', 'none'], default: 'recommended', value: 'PRIORITY', description: 'follow the .note.dlopen features of this priority and the higher ones (none: ignore the notes)'},
  trace: {type: 'string', multiple: true, value: "'COMMAND LINE'", api: 'traces', description: 'run it with /bin/sh -c, in run\'s clean environment, in a sandbox that sees the host read-only (/tmp and the working directory writable, the writes thrown away) and add every file it and its children open, execute, stat or list, with their dependencies (repeatable)'},
  'trace-timeout': {type: 'string', default: '60', value: 'SECONDS', apiType: 'number', toApi: (value: string) => seconds(value), description: 'kill a traced command still running after SECONDS'},
  env: {type: 'string', char: 'e', multiple: true, value: 'KEY[=VALUE]', api: 'traceEnv', apiType: 'record', toApi: (values: string[]) => parseEnv(values), description: 'set a variable for the traced commands (KEY alone: the caller\'s value), as run -e does; their environment is otherwise run\'s clean one'},
  'env-file': {type: 'string', multiple: true, value: 'FILE', path: 'whole', api: 'traceEnvFile', description: 'set the variables of FILE for the traced commands, as run --env-file does; -e wins'},
  locale: {type: 'string', multiple: true, value: 'NAME', api: 'locales', description: "add the host's compiled locale NAME (de_DE.UTF-8), from its directory or the locale-archive; C.UTF-8 comes with glibc (repeatable)"},
  lang: {type: 'string', multiple: true, value: 'LL', api: 'langs', description: "add the message catalogues of language LL (de, pt_BR) of the tree's packages (repeatable)"},
  'skip-rule': {type: 'string', multiple: true, value: 'RULE', api: 'skipRules', description: 'leave out the data rule RULE, by its id: python-stdlib, library-packages, data-packages, helpers, c-utf8... (an unknown one lists them all; docs/data-rules.md) (repeatable)'},
} as const

function seconds(value: string): number {
  if (!/^[1-9]\d{0,6}$/.test(value)) throw new UsageError(`--trace-timeout ${value}: expected a whole number of seconds (at least 1)`)
  return Number(value)
}

export const BUILD_ROOTFS = {
  id: 'build-rootfs',
  usage: 'build-rootfs [FLAGS] [PROGRAM...]',
  apiName: 'build',
  exits: {0: 'the tree was built (or was already up to date)', 1: 'the build failed (a library that cannot be found, a file that cannot be read); the previous tree is left as it was'},
  args: {
    program: {description: 'programs: names looked up on PATH, or paths', variadic: true, api: false, configKey: 'programs'},
  },
  flags: {
    output: {type: 'string', char: 'o', default: 'rootfs', value: 'DIR', path: 'whole', description: 'the rootfs directory'},
    file: {type: 'string', char: 'f', multiple: true, value: 'SRC[:DEST]', api: 'files', path: 'source', description: 'add a file, directory (recursively) or symlink at DEST or its own path; ELF files get their dependencies'},
    layout: {type: 'string', choices: ['host', 'flat'], default: 'host', description: 'host: files at their host paths (with /bin -> usr/bin etc.); flat: /bin and /lib64 plus an ld.so.cache'},
    resolver: {type: 'string', choices: ['elf', 'ldd'], default: 'elf', description: 'elf: read ELF headers and emulate the loader; ldd: run ldd (host only)'},
    sysroot: {type: 'string', value: 'DIR', path: 'whole', description: 'look programs and libraries up inside DIR instead of / (implies --resolver elf)'},
    base: {type: 'string', value: 'TARBALL|DIR', path: 'whole', description: 'start from an existing rootfs: a .tar, .tar.gz, .tar.xz, .tar.zst or a directory'},
    busybox: {
      type: 'string',
      value: 'PATH',
      path: 'whole',
      description: 'add a static busybox and one symlink per applet (PATH: that busybox; default: the one on PATH)',
      // A bare --busybox means the one on PATH: the next word is its PATH only when it names a busybox.
      optionalValue: (next: string) => /busybox/.test(next.split('/').pop() ?? ''),
      apiType: 'string|boolean',
      toApi: (value: string) => (value === '' ? true : value),
    },
    'copy-mode': {type: 'string', choices: ['auto', 'copy', 'reflink', 'hardlink'], default: 'auto', description: 'auto: reflink where the filesystem can, else copy'},
    clean: {type: 'boolean', description: 'remove from DIR whatever this build would not produce, listing it'},
    force: {type: 'boolean', description: 'build into a non-empty directory that ns-tool did not make; its files are kept (an entry of the build replaces one at the same path, listed)'},
    'dry-run': {type: 'boolean', api: false, description: 'print the plan, write nothing'},
    json: {type: 'boolean', api: false, description: 'print the manifest (plan entries, programs, missing, stats) as JSON'},
    'allow-missing': {type: 'boolean', description: 'a library that cannot be found is a warning instead of an error'},
    skeleton: {type: 'boolean', allowNo: true, default: true, description: 'add the skeleton directories and /etc files, and what scanners read (os-release, the packages\' status.d entries and copyright files)'},
    'keep-setuid': {type: 'boolean', description: 'keep setuid/setgid bits (dropped by default)'},
    ...DATA_FLAGS,
    quiet: {type: 'boolean', char: 'q', api: false, description: 'print nothing but errors and warnings'},
    config: {type: 'string', value: 'FILE', api: false, config: false, description: 'read options from a JSON or YAML file (keys: the long flag names, and "programs"; paths relative to the file); flags given here win'},
  },
  api: {progress: 'function', warn: 'function', signal: 'abort-signal', traceOutput: 'string'},
} as const satisfies OptionTable
