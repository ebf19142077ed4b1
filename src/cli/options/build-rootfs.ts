// build-rootfs's options; build() and plan() of the API take the same ones (see index.ts).
import type {OptionTable} from './index.js'

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
    quiet: {type: 'boolean', char: 'q', api: false, description: 'print nothing but errors'},
    config: {type: 'string', value: 'FILE', api: false, config: false, description: 'read options from a JSON or YAML file (keys: the long flag names, and "programs"; paths relative to the file); flags given here win'},
  },
  api: {progress: 'function', warn: 'function', signal: 'abort-signal'},
} as const satisfies OptionTable
