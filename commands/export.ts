import {BaseCommand} from '../src/cli/base-command.js'
import {oclifArgs, oclifFlags, oclifUsage} from '../src/cli/oclif-flags.js'
import {EXPORT} from '../src/options/export.js'
import type {ExportOptions} from '../src/export/index.js'

export default class Export extends BaseCommand {
  static override summary = 'Export a rootfs as a reproducible tarball, an OCI image layout or an OCI runtime bundle.'

  static override description = `tar: sorted entries, numeric owners, mtimes clamped to SOURCE_DATE_EPOCH (0 when unset): the same tree gives the same bytes (docker import / podman import take it). oci: an OCI image layout, one gzip layer, or with --layers N up to N layers by owning package (the most widely shared first, the rest in the last), tagged --tag; the same tree gives the same digests (skopeo copy pushes it, podman runs it). bundle: an OCI runtime bundle (config.json + rootfs/) that runc and crun run as is. --sbom attaches SPDX 2.3 and CycloneDX 1.5 SBOMs: to the image as OCI artifacts whose subject is the image (and an index of them tagged sha256-HEX, the referrers tag schema), beside a tarball as OUT.spdx.json and OUT.cdx.json, in a bundle as sbom.*.json. ns-tool's bookkeeping directory (/.ns-tool) is left out.`

  static override usage = oclifUsage(EXPORT)
  static override args = oclifArgs(EXPORT)
  static override flags = oclifFlags(EXPORT)
  static exits = EXPORT.exits

  static override examples = [
    {description: 'A tarball for docker import', command: '<%= config.bin %> <%= command.id %> rootfs --format tar -o rootfs.tar && docker import rootfs.tar mini'},
    {description: 'An OCI image', command: '<%= config.bin %> <%= command.id %> rootfs --format oci -o image --tag v1 && skopeo inspect oci:image:v1'},
    {description: 'Layered by package, with SBOMs, pushed to a registry', command: '<%= config.bin %> <%= command.id %> rootfs --format oci --layers 8 --sbom -o image && skopeo copy oci:image:latest docker://registry.example/mini:latest'},
    {description: 'A bundle for runc', command: '<%= config.bin %> <%= command.id %> rootfs --format bundle -o bundle --entrypoint /bin/ls && cd bundle && runc run demo'},
  ]

  async run(): Promise<void> {
    const {args, flags} = await this.parseTable(EXPORT)
    const {toApiOptions} = await import('../src/options/api.js')
    const {exportRootfs} = await import('../src/export/index.js')
    const bar = !flags.quiet && !flags.json && process.stderr.isTTY ? await (await import('../src/cli/progress.js')).progressBar('exporting', 'entries', 500) : undefined
    const options = {...toApiOptions(EXPORT, flags), progress: bar?.update} as unknown as ExportOptions
    const result = await exportRootfs(args[0], options)
    bar?.stop()
    if (flags.json) return void process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    if (flags.quiet) return
    const facts = [`${result.entries} entries`]
    if (result.digest) facts.push(`manifest ${result.digest}`)
    if (result.layers && result.layers.length > 1) facts.push(`${result.layers.length} layers`)
    if (result.referrersTag) facts.push(`SBOMs attached (their index is tagged ${result.referrersTag})`)
    if (result.sboms) facts.push(`SBOMs ${result.sboms.join(' ')}`)
    process.stderr.write(`${result.output}: ${result.format}, ${facts.join(', ')}\n`)
  }
}
