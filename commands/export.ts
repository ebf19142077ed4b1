import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'

export default class Export extends BaseCommand {
  static override summary = 'Export a rootfs as a reproducible tarball, an OCI image layout or an OCI runtime bundle.'

  static override description = `tar: sorted entries, numeric owners, mtimes clamped to SOURCE_DATE_EPOCH (0 when unset): the same
tree gives the same bytes (docker import / podman import take it). oci: an OCI image layout with one
gzip layer, tagged --tag (skopeo copy oci:OUT:latest docker-daemon:... , podman load). bundle: an
OCI runtime bundle (config.json + rootfs/) that runc and crun run as is. ns-tool's bookkeeping
directory (/.ns-tool) is left out.`

  static override args = {
    rootfs: Args.string({description: 'the rootfs directory', required: true}),
  }

  static override flags = {
    format: Flags.string({description: 'what to write', options: ['tar', 'oci', 'bundle'], required: true}),
    output: Flags.string({char: 'o', description: 'the file (tar) or directory (oci, bundle) to write', required: true, helpValue: 'OUT'}),
    tag: Flags.string({description: 'oci: the image tag', default: 'latest'}),
    entrypoint: Flags.string({description: 'oci, bundle: the command to run', default: '/bin/sh'}),
    force: Flags.boolean({description: 'replace OUT if it exists'}),
    json: Flags.boolean({description: 'print {format, output, entries, digest?}'}),
    quiet: Flags.boolean({char: 'q', description: 'print nothing but errors'}),
  }

  static override examples = [
    {description: 'A tarball for docker import', command: '<%= config.bin %> <%= command.id %> rootfs --format tar -o rootfs.tar && docker import rootfs.tar mini'},
    {description: 'An OCI image', command: '<%= config.bin %> <%= command.id %> rootfs --format oci -o image --tag v1 && skopeo inspect oci:image:v1'},
    {description: 'A bundle for runc', command: '<%= config.bin %> <%= command.id %> rootfs --format bundle -o bundle --entrypoint /bin/ls && cd bundle && runc run demo'},
  ]

  async run(): Promise<void> {
    const {args, flags} = await this.parse(Export)
    const {exportRootfs} = await import('../src/export/index.js')
    const bar = !flags.quiet && !flags.json && process.stderr.isTTY ? await (await import('../src/cli/progress.js')).progressBar('exporting', 'entries', 500) : undefined
    const result = await exportRootfs(args.rootfs, {format: flags.format as 'tar' | 'oci' | 'bundle', output: flags.output, tag: flags.tag, entrypoint: flags.entrypoint, force: flags.force, progress: bar?.update})
    bar?.stop()
    if (flags.json) process.stdout.write(JSON.stringify(result, null, 2) + '\n')
    else if (!flags.quiet) process.stderr.write(`${result.output}: ${result.format}, ${result.entries} entries${result.digest ? `, manifest ${result.digest}` : ''}\n`)
  }
}
