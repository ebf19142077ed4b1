// The Debian 11 and 13 sysroots (test/support/sysroots.js) as tests use them: the sysroot or a
// skip with its reason, commands run inside it with chroot, and work directories inside it that
// are removed after the test.
import {spawnSync, type SpawnSyncReturns} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import type {Context} from 'mocha'
import {isRoot, skipBecause} from './skip.js'
import {debianSysroot} from './sysroots.js'

export type Release = 'bullseye' | 'trixie'
export const RELEASE_NAMES: Record<Release, string> = {bullseye: 'Debian 11 (bullseye)', trixie: 'Debian 13 (trixie)'}

// The sysroot of release, made once per machine; skips the test, saying why, when there is none.
export function releaseSysroot(ctx: Context, release: Release): string {
  if (!isRoot) skipBecause(ctx, `the ${release} sysroot needs root (debootstrap, chroot)`)
  const found = debianSysroot(release)
  if (!found.dir) skipBecause(ctx, found.reason ?? `no ${release} sysroot`)
  return found.dir
}

// A command run inside the sysroot (chroot), with a clean environment.
export function inChroot(root: string, argv: string[], env: Record<string, string> = {}, input?: string): SpawnSyncReturns<string> {
  return spawnSync('chroot', [root, ...argv], {
    encoding: 'utf8',
    input,
    maxBuffer: 64 * 1024 * 1024,
    env: {PATH: '/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin', LANG: 'C.UTF-8', ...env},
  })
}

// Like inChroot, but fails the test with the command's output when it fails.
export function inChrootOk(root: string, argv: string[], env: Record<string, string> = {}): string {
  const r = inChroot(root, argv, env)
  if (r.status !== 0) throw new Error(`chroot ${root} ${argv.join(' ')}: exit ${r.status}\n${r.stdout}${r.stderr}`)
  return r.stdout
}

const workDirs: string[] = []

// A directory below the sysroot's /tmp: its in-sysroot path (what chroot'ed commands see) and its
// host path. Removed after the test (root hook in hooks.ts calls removeReleaseWorkDirs).
export function releaseWorkDir(root: string): {inside: string; host: string} {
  const host = mkdtempSync(join(root, 'tmp', 'ns-tool-test-'))
  workDirs.push(host)
  return {host, inside: host.slice(root.length)}
}

export function removeReleaseWorkDirs(): void {
  for (const dir of workDirs.splice(0)) rmSync(dir, {recursive: true, force: true})
}

// The real path inside the sysroot of each path, as the sysroot's own readlink sees it.
export function realPathsInside(root: string, paths: string[]): Map<string, string> {
  const unique = [...new Set(paths)]
  const real = new Map<string, string>()
  for (let i = 0; i < unique.length; i += 500) {
    const batch = unique.slice(i, i + 500)
    const lines = inChrootOk(root, ['readlink', '-f', '--', ...batch]).split('\n')
    batch.forEach((path, j) => real.set(path, lines[j] || path))
  }
  return real
}
