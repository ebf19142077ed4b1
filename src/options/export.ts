// export's options; exportRootfs() of the API takes the same ones (see index.ts).
import {UsageError} from '../errors.js'
import type {OptionTable} from './index.js'

// --layers N: a whole number of layers, 1 or more.
function layerCount(value: string): number {
  const n = Number(value)
  if (!/^\d+$/.test(value) || n < 1) throw new UsageError(`--layers ${value}: give a whole number of layers, 1 or more`)
  return n
}

export const EXPORT = {
  id: 'export',
  usage: 'export [FLAGS] ROOTFS --format tar|oci|bundle -o OUT',
  apiName: 'exportRootfs',
  exits: {0: 'OUT was written', 1: 'the export failed; nothing is left half-written'},
  args: {
    rootfs: {description: 'the rootfs directory', required: true, api: false},
  },
  flags: {
    format: {type: 'string', choices: ['tar', 'oci', 'bundle'], required: true, description: 'what to write'},
    output: {type: 'string', char: 'o', required: true, value: 'OUT', description: 'the file (tar) or directory (oci, bundle) to write'},
    tag: {type: 'string', default: 'latest', value: 'TAG', description: 'oci: the image tag'},
    entrypoint: {type: 'string', value: 'PATH', description: "oci, bundle: the command to run (default: the tree's /bin/sh, else the first shell it holds, as run chooses; an image of a tree without a shell has none, a bundle needs one)"},
    layers: {type: 'string', value: 'N', apiType: 'number', toApi: layerCount, description: 'oci: up to N layers by owning package, the most shared first, the rest in the last'},
    net: {type: 'string', choices: ['none', 'host'], value: 'none|host', description: 'bundle: the network namespace, as run\'s --net (none: its own, the default; host: the host\'s); with host, the host\'s resolvers and hosts as run mounts them'},
    hostname: {type: 'string', value: 'NAME', description: 'bundle: the hostname (default ns-tool)'},
    dns: {type: 'string', multiple: true, value: 'IP', description: 'bundle: a nameserver of the /etc/resolv.conf bound into the container, as run\'s --dns'},
    'add-host': {type: 'string', multiple: true, value: 'NAME:IP', description: 'bundle: a line of the /etc/hosts bound into the container, as run\'s --add-host'},
    sbom: {type: 'boolean', description: 'attach SPDX and CycloneDX SBOMs: OCI artifacts referring to the image; OUT.spdx.json and OUT.cdx.json beside a tarball; in a bundle'},
    force: {type: 'boolean', description: 'replace OUT if it exists'},
    json: {type: 'boolean', api: false, description: 'print {format, output, entries, digest?, layers?, referrers?, referrersTag?, sboms?}'},
    quiet: {type: 'boolean', char: 'q', api: false, description: 'print nothing but errors'},
  },
  api: {sourceDateEpoch: 'number', progress: 'function'},
} as const satisfies OptionTable
