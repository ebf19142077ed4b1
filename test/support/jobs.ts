// Real jobs run in trees built by the CLI (through `ns-tool run`) and on the host, for the tests
// that compare the two (test/data/jobs.test.ts, test/data/package-data.test.ts).
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {join} from 'node:path'
import {binRun, cli} from './cli.js'
import {makeSuiteTempDir} from './temp.js'

const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

export interface Job {
  // The command: argv, or a shell line (run with /bin/sh -c; the tree then has sh).
  argv?: string[]
  shell?: string
  env?: Record<string, string>
  // Flags for `ns-tool run` (e.g. --net host for a job that asks for the host's addresses).
  run?: string[]
}

// Builds a tree with the CLI (once per describe block); the error names what failed.
export function buildTree(programs: string[], flags: string[] = []): string {
  const output = join(makeSuiteTempDir(), 'rootfs')
  const r = cli(['build-rootfs', '-q', '-o', output, ...flags, ...programs], {timeout: 300_000})
  if (r.status !== 0) throw new Error(`build-rootfs ${[...flags, ...programs].join(' ')}: ${r.stderr}`)
  return output
}

function argvOf(job: Job): string[] {
  return job.argv ?? ['/bin/sh', '-c', job.shell!]
}

// Both sides start from this environment (run passes its own on, or a clean one: either way the
// job sees the same), plus the job's.
const BASE_ENV = {PATH, HOME: '/root', NODE_EXTRA_CA_CERTS: ''}

// The job in the tree through `ns-tool run` (its own namespaces).
export function inTree(rootfs: string, job: Job): {status: number | null; stdout: string; stderr: string} {
  const env = Object.entries(job.env ?? {}).flatMap(([key, value]) => ['-e', `${key}=${value}`])
  const r = spawnSync(process.execPath, [binRun, 'run', ...(job.run ?? []), ...env, rootfs, '--', ...argvOf(job)], {encoding: 'utf8', cwd: '/', env: BASE_ENV, timeout: 120_000})
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}

// The same job on the host.
export function onHost(job: Job): {status: number | null; stdout: string; stderr: string} {
  const argv = argvOf(job)
  const r = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8', cwd: '/', env: {...BASE_ENV, ...job.env}, timeout: 120_000})
  return {status: r.status, stdout: r.stdout, stderr: r.stderr}
}

export function expectSameAsHost(rootfs: string, job: Job): string {
  const host = onHost(job)
  expect(host.status, `on the host: ${host.stderr}`).to.equal(0)
  const tree = inTree(rootfs, job)
  expect({status: tree.status, stdout: tree.stdout}, tree.stderr).to.deep.equal({status: host.status, stdout: host.stdout})
  return tree.stdout
}
