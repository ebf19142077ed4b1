// export's options; exportRootfs() of the API takes the same ones (see index.ts).
import type {OptionTable} from './index.js'

export const EXPORT = {
  id: 'export',
  usage: 'export [FLAGS] ROOTFS --format tar|oci|bundle -o OUT',
  apiName: 'exportRootfs',
  args: {
    rootfs: {description: 'the rootfs directory', required: true, api: false},
  },
  flags: {
    format: {type: 'string', choices: ['tar', 'oci', 'bundle'], required: true, description: 'what to write'},
    output: {type: 'string', char: 'o', required: true, value: 'OUT', description: 'the file (tar) or directory (oci, bundle) to write'},
    tag: {type: 'string', default: 'latest', value: 'TAG', description: 'oci: the image tag'},
    entrypoint: {type: 'string', default: '/bin/sh', value: 'PATH', description: 'oci, bundle: the command to run'},
    force: {type: 'boolean', description: 'replace OUT if it exists'},
    json: {type: 'boolean', api: false, description: 'print {format, output, entries, digest?}'},
    quiet: {type: 'boolean', char: 'q', api: false, description: 'print nothing but errors'},
  },
  api: {sourceDateEpoch: 'number', progress: 'function'},
} as const satisfies OptionTable
