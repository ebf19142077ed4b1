// `ns-tool run` as a user calls it, as root or as uid 65534 (rootless), and what the host looks
// like around it (mounts, processes): what the sandbox tests (test/sandbox) share.
import {spawn, spawnSync, type SpawnOptions, type SpawnSyncOptions} from 'node:child_process'
import {readdirSync, readFileSync} from 'node:fs'
import type {Context} from 'mocha'
import {join} from 'node:path'
import {requireStaticBusybox} from './busybox.js'
import {binRun, repoRoot} from './cli.js'
import {isRoot, skipBecause} from './skip.js'
import {makeSuiteTempDir} from './temp.js'

// HOME: uid 65534 cannot write root's (oclif keeps a cache there).
export const runEnv = {...process.env, NODE_EXTRA_CA_CERTS: '', HOME: '/tmp'}

export const runModes = [
  {name: 'root', rootless: false},
  {name: 'rootless (uid 65534)', rootless: true},
]

// The switch to the unprivileged test uid, prefixed to a command's argv (setpriv execs, so the
// pid stays the command's). Needs root.
export const setprivNobody = ['setpriv', '--reuid', '65534', '--regid', '65534', '--clear-groups']

// argv as root, or through setpriv as uid 65534.
export function asUser(argv: string[], rootless: boolean): string[] {
  return rootless ? [...setprivNobody, ...argv] : argv
}

let rootlessSkip: {reason?: string; error?: string} | undefined

// Skips the test (or the suite, from a before hook) unless this process may switch to uid 65534
// and uid 65534 can run the CLI from this checkout: a clone under a directory it may not enter
// (a 0700 mktemp -d) is a missing precondition, not a failure. Probed once per process. A checkout
// uid 65534 can read whose CLI still fails is a real failure: thrown, not skipped.
export function requireRootless(ctx: Context): void {
  if (!isRoot) skipBecause(ctx, 'switching to uid 65534 with setpriv needs root')
  rootlessSkip ??= probeRootless()
  if (rootlessSkip.reason) skipBecause(ctx, rootlessSkip.reason)
  if (rootlessSkip.error) throw new Error(rootlessSkip.error)
}

function probeRootless(): {reason?: string; error?: string} {
  const asNobody = (argv: string[]) => {
    const full = asUser(argv, true)
    return spawnSync(full[0], full.slice(1), {encoding: 'utf8', env: runEnv, cwd: '/', timeout: 60_000})
  }
  const version = asNobody([process.execPath, binRun, '--version'])
  if (version.status === 0) return {}
  const said = String(version.stderr ?? '').split('\n').find((line) => /error/i.test(line))?.trim() ?? `exit ${version.status}`
  const reachable = asNobody(['sh', '-c', 'test -x "$0" && test -r "$1"', process.execPath, binRun])
  if (reachable.status !== 0) return {reason: `uid 65534 cannot read the checkout ${repoRoot} or run ${process.execPath} (a directory on the way it may not enter): ${said}`}
  return {error: `uid 65534 can read ${binRun} but \`node bin/run.js --version\` fails as uid 65534: ${String(version.stderr).trim()}`}
}

// The CLI, to completion.
export function nsTool(args: string[], rootless: boolean, options: SpawnSyncOptions = {}) {
  const full = asUser([process.execPath, binRun, ...args], rootless)
  const r = spawnSync(full[0], full.slice(1), {encoding: 'utf8', timeout: 60_000, env: runEnv, cwd: '/', ...options})
  return {status: r.status, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '')}
}

// The CLI, started; the caller waits for it.
export function spawnNsTool(args: string[], rootless: boolean, options: SpawnOptions = {}) {
  const full = asUser([process.execPath, binRun, ...args], rootless)
  return spawn(full[0], full.slice(1), {env: runEnv, cwd: '/', ...options})
}

export function hostMounts(): string {
  return readFileSync('/proc/self/mountinfo', 'utf8')
    .split('\n')
    .map((l) => l.split(' ').slice(4, 6).join(' '))
    .sort()
    .join('\n')
}

// Every descendant of pid, read from /proc (children files).
export function descendants(pid: number): number[] {
  const out: number[] = []
  const visit = (p: number) => {
    let tasks: string[] = []
    try {
      tasks = readdirSync(`/proc/${p}/task`)
    } catch {
      return
    }
    for (const task of tasks) {
      let children = ''
      try {
        children = readFileSync(`/proc/${p}/task/${task}/children`, 'utf8')
      } catch {
        continue
      }
      for (const child of children.split(' ').filter(Boolean).map(Number)) {
        out.push(child)
        visit(child)
      }
    }
  }
  visit(pid)
  return out
}

// Running, not a zombie waiting for a reaper (this machine's init reaps slowly).
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z'
  } catch {
    return false
  }
}

let box: string | undefined

// A busybox tree built once per test process (the CLI's own --busybox build), readable by uid
// 65534; removed with the suite's temp dirs. Skips the suite where the sandbox tests cannot run.
export function busyboxTree(ctx: Context): string {
  if (!isRoot) skipBecause(ctx, 'these tests build their tree as root and switch to uid 65534 with setpriv')
  requireStaticBusybox(ctx)
  if (box) return box
  const dir = join(makeSuiteTempDir('ns-tool-box-'), 'box')
  const r = spawnSync(process.execPath, [binRun, 'build-rootfs', '-q', '-o', dir, '--busybox'], {encoding: 'utf8', env: runEnv})
  if (r.status !== 0) throw new Error(`build-rootfs --busybox failed: ${r.stderr}`)
  box = dir
  return dir
}
