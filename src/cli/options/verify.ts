// verify's options; verify() of the API takes the same ones (see index.ts).
import type {OptionTable} from './index.js'

export const VERIFY = {
  id: 'verify',
  usage: 'verify [--json] ROOTFS',
  apiName: 'verify',
  exits: {0: 'every interpreter and library resolves', 1: 'something does not resolve (one line per problem)'},
  args: {
    rootfs: {description: 'the rootfs directory to check', required: true, api: false},
  },
  flags: {
    json: {type: 'boolean', api: false, description: 'print {ok, checked, problems: [{path, kind, name, searched?, error?}]}'},
  },
  api: {searchPath: 'string'},
} as const satisfies OptionTable
