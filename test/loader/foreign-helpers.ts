// The foreign architectures the tests build trees for, from Debian packages the test bootstrap
// caches (test/support/foreign-debs.js), and qemu's emulator for each.
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import type {Context} from 'mocha'
import {cachedDebs, debCache} from '../support/foreign-debs.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

export interface ForeignArch {
  deb: 'arm64' | 'armhf'
  name: string
  id: {machine: number; elfClass: 32 | 64; endian: 'little'}
  loader: string
  triplet: string
  qemu: string
  // An ARMv7 CPU for arm: the platform (v7l) and hwcaps a Debian armhf board has.
  qemuEnv: Record<string, string>
}

export const FOREIGN: ForeignArch[] = [
  {deb: 'arm64', name: 'aarch64', id: {machine: 183, elfClass: 64, endian: 'little'}, loader: '/lib/ld-linux-aarch64.so.1', triplet: 'aarch64-linux-gnu', qemu: 'qemu-aarch64-static', qemuEnv: {}},
  {deb: 'armhf', name: 'arm', id: {machine: 40, elfClass: 32, endian: 'little'}, loader: '/lib/ld-linux-armhf.so.3', triplet: 'arm-linux-gnueabihf', qemu: 'qemu-arm-static', qemuEnv: {QEMU_CPU: 'cortex-a15'}},
]

// A sysroot of the architecture's cached packages, unpacked with dpkg -x; skips when they are not
// cached (the bootstrap downloads them, as root).
export function foreignSysroot(ctx: Context, arch: ForeignArch): string {
  const debs = cachedDebs(arch.deb)
  if (!debs) skipBecause(ctx, `no ${arch.deb} packages in ${debCache(arch.deb)} (the test bootstrap downloads them when run as root with apt access)`)
  if (spawnSync('dpkg', ['--version'], {stdio: 'ignore'}).status !== 0) skipBecause(ctx, 'no dpkg to unpack the packages')
  const root = makeTempDir(`ns-tool-${arch.deb}-`)
  for (const deb of debs) {
    const r = spawnSync('dpkg', ['-x', deb, root], {encoding: 'utf8'})
    if (r.status !== 0) throw new Error(`dpkg -x ${deb}: ${r.stderr}`)
  }
  return root
}

export function qemuPath(ctx: Context, arch: ForeignArch): string {
  const path = `/usr/bin/${arch.qemu}`
  if (!existsSync(path)) skipBecause(ctx, `${arch.qemu} is not installed (qemu-user-static)`)
  return path
}

