// The C helper run directly, as root or as uid 65534 with --userns, over a small busybox rootfs:
// what the helper tests (test/helper) share.
import {spawnSync, type StdioOptions} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, mkdirSync, symlinkSync} from 'node:fs'
import type {Context} from 'mocha'
import {join, resolve} from 'node:path'
import {requireStaticBusybox} from './busybox.js'
import {asUser} from './run.js'
import {isRoot, skipBecause} from './skip.js'
import {makeSharedTempDir} from './temp.js'

// NS_TOOL_TEST_HELPER: another build of it (test/helper/releases.test.ts runs these tests with the
// helper compiled by other releases' compilers).
export const helper = resolve(process.env.NS_TOOL_TEST_HELPER || 'dist/helper/ns-tool-helper')
const applets = ['sh', 'echo', 'cat', 'ls', 'hostname', 'ps', 'sleep', 'wc', 'true', 'grep', 'kill', 'stat', 'touch']

export const helperModes = [
  {name: 'root', rootless: false},
  {name: 'rootless (uid 65534)', rootless: true},
]

// What every helper test needs: the built helper, busybox for its rootfs, and root (the tests
// switch to uid 65534 and run rootful mode). Skips the test, saying which is missing.
export function requireHelperTestable(ctx: Context): void {
  if (!existsSync(helper)) skipBecause(ctx, 'dist/helper/ns-tool-helper is missing (run node scripts/setup.js)')
  requireStaticBusybox(ctx)
  if (!isRoot) skipBecause(ctx, 'the helper tests switch to uid 65534 and run rootful mode: they need root')
}

export function makeRootfs(): string {
  const root = makeSharedTempDir()
  for (const dir of ['bin', 'proc', 'dev', 'sys', 'tmp']) mkdirSync(join(root, dir), {mode: 0o755})
  copyFileSync('/bin/busybox', join(root, 'bin', 'busybox'))
  chmodSync(join(root, 'bin', 'busybox'), 0o755)
  for (const applet of applets) symlinkSync('busybox', join(root, 'bin', applet))
  return root
}

// The helper copied to a place uid 65534 can reach (the checkout may not be).
export function sharedHelper(): string {
  const dir = makeSharedTempDir()
  copyFileSync(helper, join(dir, 'ns-tool-helper'))
  chmodSync(join(dir, 'ns-tool-helper'), 0o755)
  return join(dir, 'ns-tool-helper')
}

export interface HelperResult {
  status: number | null
  stdout: string
  stderr: string
}

// Runs the helper at bin (from sharedHelper) with --no-pty, through setpriv when rootless.
export function runHelper(bin: string, rootless: boolean, args: string[], stdio: StdioOptions = ['ignore', 'pipe', 'pipe']): HelperResult {
  const argv = [bin, ...(rootless ? ['--userns'] : []), '--no-pty', ...args]
  const full = asUser(argv, rootless)
  const r = spawnSync(full[0], full.slice(1), {encoding: 'utf8', timeout: 20_000, cwd: '/', stdio})
  return {status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '')}
}
