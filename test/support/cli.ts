// Runs the real CLI (bin/run.js over the compiled dist/ and its manifest), as a user would.
import {spawnSync, type SpawnSyncOptions} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const repoRoot = dirname(dirname(dirname(fileURLToPath(import.meta.url))))
export const binRun = join(repoRoot, 'bin', 'run.js')

export interface CliResult {
  status: number | null
  signal: NodeJS.Signals | null
  stdout: string
  stderr: string
}

export function cli(args: string[], options: SpawnSyncOptions = {}): CliResult {
  const r = spawnSync(process.execPath, [binRun, ...args], {
    encoding: 'utf8',
    timeout: 120_000,
    ...options,
    env: {...process.env, NODE_EXTRA_CA_CERTS: '', ...options.env},
  })
  return {status: r.status, signal: r.signal, stdout: String(r.stdout ?? ''), stderr: String(r.stderr ?? '')}
}
