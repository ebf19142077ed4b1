import {BaseCommand} from '../src/cli/base-command.js'
import {oclifArgs, oclifFlags, oclifUsage} from '../src/cli/oclif-flags.js'
import {SBOM} from '../src/options/sbom.js'

export default class Sbom extends BaseCommand {
  static override summary = 'Write the SBOM of a rootfs ns-tool built: SPDX 2.3 or CycloneDX 1.5 JSON.'

  static override description = `Every regular file of ROOTFS with its SHA-256 (and SHA-1), the Debian package that ships it (name, version, architecture, purl, the licenses of its /usr/share/doc/NAME/copyright, whether only part of its files are present), which program needs which library and so which package, the ns-tool version and the build's inputs (from ROOTFS/.ns-tool/manifest.json). The document's time is SOURCE_DATE_EPOCH when set, else now; its ids derive from the content.`

  static override usage = oclifUsage(SBOM)
  static override args = oclifArgs(SBOM)
  static override flags = oclifFlags(SBOM)
  static exits = SBOM.exits

  static override examples = [
    {description: 'SPDX on standard output', command: '<%= config.bin %> <%= command.id %> rootfs > rootfs.spdx.json'},
    {description: 'CycloneDX, then a vulnerability scan of it', command: '<%= config.bin %> <%= command.id %> rootfs --format cyclonedx-json -o rootfs.cdx.json && trivy sbom rootfs.cdx.json'},
  ]

  async run(): Promise<void> {
    const {args, flags} = await this.parseTable(SBOM)
    const {sbom} = await import('../src/export/sbom.js')
    const text = await sbom(args[0], {format: flags.format})
    if (flags.output === undefined) return void process.stdout.write(text)
    const {renameSync, writeFileSync} = await import('node:fs')
    const temp = `${flags.output}.ns-tool-sbom-${process.pid}`
    writeFileSync(temp, text)
    renameSync(temp, flags.output)
  }
}
