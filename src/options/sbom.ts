// sbom's options; sbom() of the API takes the same ones (see index.ts).
import type {OptionTable} from './index.js'

export const SBOM = {
  id: 'sbom',
  usage: 'sbom [FLAGS] ROOTFS',
  apiName: 'sbom',
  exits: {0: 'the SBOM was written', 1: 'it could not be made (ROOTFS unreadable, OUT not writable)'},
  args: {
    rootfs: {description: 'a rootfs made by ns-tool build-rootfs', required: true, api: false},
  },
  flags: {
    format: {type: 'string', choices: ['spdx-json', 'cyclonedx-json'], default: 'spdx-json', description: 'SPDX 2.3 or CycloneDX 1.5, as JSON'},
    output: {type: 'string', char: 'o', value: 'FILE', api: false, description: 'write it to FILE instead of standard output'},
  },
  api: {created: 'number'},
} as const satisfies OptionTable
