// trivy, run offline on a tree, an OCI layout or a directory holding an SBOM: the OS and the OS
// packages it reports. Its installation: scanner-install.js.
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {trivyPath} from './scanner-install.js'
import {makeTempDir} from './temp.js'

export function trivy(): string | undefined {
  return existsSync(trivyPath()) ? trivyPath() : undefined
}

export interface Scanned {
  os?: string
  // NAME VERSION ARCH, sorted.
  packages: string[]
  stderr: string
}

// `trivy rootfs DIR` or `trivy image --input OCI-LAYOUT`, CycloneDX out, no network.
export function scan(kind: 'rootfs' | 'image', target: string): Scanned {
  const cache = makeTempDir('ns-tool-trivy-')
  const argv = kind === 'rootfs' ? ['rootfs', target] : ['image', '--input', target]
  const r = spawnSync(trivyPath(), [...argv, '--offline-scan', '--skip-db-update', '--format', 'cyclonedx', '--cache-dir', cache, '--quiet'], {encoding: 'utf8', maxBuffer: 64 << 20, timeout: 300_000})
  if (r.status !== 0) throw new Error(`trivy ${argv.join(' ')} exited ${r.status}: ${r.stderr}`)
  const bom = JSON.parse(r.stdout) as {components?: Array<{type: string; name: string; version?: string; properties?: Array<{name: string; value: string}>; purl?: string}>}
  const components = bom.components ?? []
  const os = components.find((c) => c.type === 'operating-system')
  const packages = components
    .filter((c) => c.type === 'library' && c.purl?.startsWith('pkg:deb/'))
    .map((c) => `${c.name} ${c.version} ${/[?&]arch=([^&]+)/.exec(c.purl!)?.[1] ?? ''}`)
    .sort()
  return {os: os && `${os.name} ${os.version}`, packages, stderr: r.stderr}
}
