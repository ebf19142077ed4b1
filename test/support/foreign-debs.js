// Debian packages of other architectures, for the foreign-architecture tests: the bootstrap
// downloads them once into the user's cache (as root only: it adds the architectures to dpkg with
// `dpkg --add-architecture`), and each test unpacks them into a sysroot with `dpkg -x`.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'

// Debian architecture -> the packages a test sysroot holds (bash with its libraries, coreutils
// and theirs on arm64, a static busybox, and arm64's ldconfig to make an ld.so.cache).
export const FOREIGN_PACKAGES = {
  arm64: ['libc6', 'libc-bin', 'libtinfo6', 'bash', 'busybox-static', 'coreutils', 'libacl1', 'libattr1', 'libgmp10', 'libselinux1', 'libpcre2-8-0'],
  armhf: ['libc6', 'libtinfo6', 'bash', 'busybox-static'],
}

export function debCache(arch) {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ns-tool', 'test-debs', arch)
}

// The cached .deb files of arch, or undefined when one is missing.
export function cachedDebs(arch) {
  const dir = debCache(arch)
  const files = existsSync(dir) ? readdirSync(dir) : []
  const found = FOREIGN_PACKAGES[arch].map((pkg) => files.find((file) => file.startsWith(`${pkg}_`) && file.endsWith(`_${arch}.deb`)))
  return found.every(Boolean) ? found.map((file) => join(dir, file)) : undefined
}

// Downloads the packages of arch that are not cached. Returns why it could not, or undefined.
export function downloadDebs(arch) {
  if (cachedDebs(arch)) return undefined
  if (process.getuid?.() !== 0) return 'not root (adding a dpkg architecture needs root)'
  const quiet = {stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: {...process.env, DEBIAN_FRONTEND: 'noninteractive'}}
  if (spawnSync('dpkg', ['--add-architecture', arch], quiet).status !== 0) return `dpkg --add-architecture ${arch} failed`
  const dir = debCache(arch)
  mkdirSync(dir, {recursive: true})
  const wanted = FOREIGN_PACKAGES[arch].map((pkg) => `${pkg}:${arch}`)
  const download = () => spawnSync('apt-get', ['download', '-q', ...wanted], {...quiet, cwd: dir})
  if (download().status !== 0) {
    spawnSync('apt-get', ['update', '-q'], quiet)
    const again = download()
    if (again.status !== 0) return `apt-get download ${wanted.join(' ')} failed: ${again.stderr.trim().split('\n').at(-1)}`
  }
  return cachedDebs(arch) ? undefined : `apt-get download left packages of ${arch} missing`
}
