import {BaseCommand} from '../src/cli/base-command.js'
import {oclifArgs, oclifFlags, oclifStrict, oclifUsage} from '../src/cli/oclif-flags.js'
import {EXPORT} from '../src/cli/options/export.js'
import type {ExportOptions} from '../src/export/index.js'

export default class Export extends BaseCommand {
  static override summary = 'Export a rootfs as a reproducible tarball, an OCI image layout or an OCI runtime bundle.'

  static override description = `tar: sorted entries, numeric owners, mtimes clamped to SOURCE_DATE_EPOCH (0 when unset): the same
tree gives the same bytes (docker import / podman import take it). oci: an OCI image layout with one
gzip layer, tagged --tag (skopeo copy oci:OUT:latest docker-daemon:... , podman load). bundle: an
OCI runtime bundle (config.json + rootfs/) that runc and crun run as is. ns-tool's bookkeeping
directory (/.ns-tool) is left out.`

  static override usage = oclifUsage(EXPORT)
  static override strict = oclifStrict(EXPORT)
  static override args = oclifArgs(EXPORT)
  static override flags = oclifFlags(EXPORT)

  static override examples = [
    {description: 'A tarball for docker import', command: '<%= config.bin %> <%= command.id %> rootfs --format tar -o rootfs.tar && docker import rootfs.tar mini'},
    {description: 'An OCI image', command: '<%= config.bin %> <%= command.id %> rootfs --format oci -o image --tag v1 && skopeo inspect oci:image:v1'},
    {description: 'A bundle for runc', command: '<%= config.bin %> <%= command.id %> rootfs --format bundle -o bundle --entrypoint /bin/ls && cd bundle && runc run demo'},
  ]

  async run(): Promise<void> {
    const {args, flags} = await this.parseTable(EXPORT)
    const {toApiOptions} = await import('../src/cli/argv.js')
    const {exportRootfs} = await import('../src/export/index.js')
    const bar = !flags.quiet && !flags.json && process.stderr.isTTY ? await (await import('../src/cli/progress.js')).progressBar('exporting', 'entries', 500) : undefined
    const options = {...toApiOptions(EXPORT, flags), progress: bar?.update} as unknown as ExportOptions
    const result = await exportRootfs(args[0], options)
    bar?.stop()
    if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    else if (!flags.quiet) process.stderr.write(`${result.output}: ${result.format}, ${result.entries} entries${result.digest ? `, manifest ${result.digest}` : ''}\n`)
  }
}
