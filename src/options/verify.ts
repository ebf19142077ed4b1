// verify's options; verify() of the API takes the same ones (see index.ts).
import {DATA_FLAGS} from './build-rootfs.js'
import type {OptionTable} from './index.js'

export const VERIFY = {
  id: 'verify',
  usage: 'verify [--no-data] [--json] ROOTFS',
  apiName: 'verify',
  exits: {0: 'every interpreter and library resolves', 1: 'something does not resolve (one line per problem)'},
  args: {
    rootfs: {description: 'the rootfs directory to check', required: true, api: false},
  },
  flags: {
    // No default here: absent, verify holds the tree to what its manifest says it was built with.
    data: {type: 'boolean', allowNo: true, description: 'check the data rules and the .note.dlopen libraries too (default: as the tree was built; --no-data: the ELF closure alone)'},
    dlopen: {...DATA_FLAGS.dlopen, default: undefined, description: 'the .note.dlopen priorities to check (default: those the tree was built with, else recommended)'},
    json: {type: 'boolean', api: false, description: 'print {ok, checked, problems: [{path, kind, name, searched?, error?}], data, dlopen}'},
  },
  api: {searchPath: 'string'},
} as const satisfies OptionTable
