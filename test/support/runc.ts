// runc running a bundle that `ns-tool export --format bundle` wrote: what the export and network
// tests share.
import {spawnSync} from 'node:child_process'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

// Runs BUNDLE with runc after EDIT has changed its config.json; the container is deleted after.
// Returns runc's status and output.
export function runcRun(runc: string, bundle: string, edit: (config: {process: {args: string[]}; linux: Record<string, unknown>}) => void = () => {}) {
  const path = join(bundle, 'config.json')
  const config = JSON.parse(readFileSync(path, 'utf8'))
  edit(config)
  // This machine mixes cgroup v1 and v2; no resources are requested, so runc needs no controller.
  delete config.linux.resources
  writeFileSync(path, JSON.stringify(config))
  const name = `ns-tool-test-${process.pid}`
  const run = spawnSync(runc, ['run', '--bundle', bundle, name], {encoding: 'utf8', timeout: 60_000})
  spawnSync(runc, ['delete', '--force', name])
  return {status: run.status, stdout: String(run.stdout ?? ''), stderr: String(run.stderr ?? '')}
}
