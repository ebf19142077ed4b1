// The staging tree beside the output, and the switch that puts it in the output's place in one
// step; what a killed build left beside the output is cleaned up by the next one.
import {chmodSync, existsSync, lstatSync, mkdirSync, readdirSync, renameSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {removeTree} from './beneath.js'
import {parentError} from './faults.js'
import {stagingPrefix} from './output.js'

// Test hook: NS_TOOL_TEST_PAUSE=<point> stops the build there (so a test can signal it at a known
// moment) until the build is aborted. Never set by users.
export async function pausePoint(name: string, signal?: AbortSignal): Promise<void> {
  if (process.env.NS_TOOL_TEST_PAUSE !== name) return
  process.stderr.write(`ns-tool: paused at ${name}\n`)
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 600_000)
    signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), {once: true})
  })
}


// A new staging directory, private to this build (0700) until it is switched in.
export function createStaging(output: string): string {
  const staging = join(dirname(output), `${stagingPrefix(output)}${process.pid}`)
  try {
    mkdirSync(staging, {mode: 0o700})
  } catch (error) {
    throw parentError(output, error)
  }
  return staging
}

// A previous build killed between the two renames of the switch left the old tree aside: put it
// back. Staging dirs of killed builds are removed (we hold the lock, so none is live).
export function recover(output: string): void {
  const parent = dirname(output)
  const aside = `${output}.ns-tool-old`
  if (!existsSync(output) && lstatSync(aside, {throwIfNoEntry: false})?.isDirectory()) renameSync(aside, output)
  else removeTree(aside)
  for (const entry of readdirSync(parent)) {
    if (entry.startsWith(stagingPrefix(output))) removeTree(join(parent, entry))
  }
}

// Puts the staging tree in the output's place; the previous tree, if any, is removed.
export async function switchIn(staging: string, output: string, onSwitched: () => void, signal?: AbortSignal): Promise<void> {
  chmodSync(staging, 0o755)
  if (!existsSync(output)) {
    renameSync(staging, output)
    onSwitched()
    return
  }
  // renameat2(RENAME_EXCHANGE) swaps the two trees in one step: at every instant the output is
  // either the old tree or the new one. Node has no binding for it; the C helper does.
  const {optionalHelperPath} = await import('../../helper/locate.js')
  const helper = optionalHelperPath()
  const {spawnSync} = await import('node:child_process')
  if (helper && spawnSync(helper, ['--rename-exchange', staging, output], {stdio: 'ignore'}).status === 0) {
    onSwitched()
    await pausePoint('switch', signal)
    removeTree(staging)
    return
  }
  // Without the helper: two renames; a kill between them leaves the old tree aside, and the next
  // build puts it back (recover()).
  const aside = `${output}.ns-tool-old`
  renameSync(output, aside)
  await pausePoint('switch', signal)
  renameSync(staging, output)
  onSwitched()
  removeTree(aside)
}
