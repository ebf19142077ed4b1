// deps's options; resolve() of the API takes the same ones (see index.ts).
import {DATA_FLAGS} from './build-rootfs.js'
import type {OptionTable} from './index.js'

export const DEPS = {
  id: 'deps',
  usage: 'deps [FLAGS] PROGRAM...',
  apiName: 'resolve',
  exits: {0: 'every file was found', 1: 'something is missing (each missing library is named, with the places searched)'},
  args: {
    program: {description: 'programs: names looked up on PATH, or paths', required: true, variadic: true, api: false},
  },
  flags: {
    format: {type: 'string', choices: ['tree', 'json', 'dot'], default: 'tree', api: false, description: 'tree (who needs what, found where), json ({programs, files, missing}), dot (Graphviz)'},
    json: {type: 'boolean', api: false, description: 'same as --format json'},
    sysroot: {type: 'string', value: 'DIR', description: 'look programs and libraries up inside DIR instead of / (implies --resolver elf)'},
    resolver: {type: 'string', choices: ['elf', 'ldd'], default: 'elf', description: 'elf: read ELF headers and emulate the loader; ldd: run the host ldd and parse it'},
    'ld-library-path': {
      type: 'boolean',
      api: 'ldLibraryPath',
      apiType: 'string',
      toApi: (honour: boolean) => (honour ? (process.env.LD_LIBRARY_PATH ?? '') : undefined),
      description: 'honour $LD_LIBRARY_PATH as the loader would (host only; off by default)',
    },
    // resolve() of the API is the ELF closure alone: the data is the command's (and build's).
    data: {...DATA_FLAGS.data, api: false},
    dlopen: {...DATA_FLAGS.dlopen, api: false},
    trace: {...DATA_FLAGS.trace, api: false},
    'trace-timeout': {...DATA_FLAGS['trace-timeout'], api: false},
    locale: {...DATA_FLAGS.locale, api: false},
    lang: {...DATA_FLAGS.lang, api: false},
    'skip-rule': {...DATA_FLAGS['skip-rule'], api: false},
  },
  api: {searchPath: 'string', treePath: 'string', extraFiles: 'string[]', loaderInvocation: 'boolean'},
} as const satisfies OptionTable
