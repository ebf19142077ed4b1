// Plans kept for later builds of the same request into any output: a script that builds the same
// programs again and again, each time into a fresh directory, plans once. A stored plan is used
// only while every input it was read from is unchanged — the check a rebuild makes before it
// reuses its own tree's plan (manifest.ts: cachedPlan). A build with --trace or --base stores none:
// what a traced command saw, or what an archive holds, is no input a stat can check.
import {mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cacheDir, cacheKey} from '../../cache-dir.js'
import {packageRoot} from '../../helper/locate.js'
import type {BuildOptions, Plan, PlanEntry} from '../types.js'
import {freshPlan, plansReused, type PlanCache} from './manifest.js'

// The plans a user keeps at most; the least recently used go first.
const KEPT = 64
const FORMAT = 1

interface StoredPlan extends PlanCache {
  format: number
  entries: PlanEntry[]
}

function storeDir(): string {
  return cacheDir('plans')
}

// One file per request, user (what a user may read decides what a plan holds) and build of
// ns-tool: set-up's stamp of the compiled code, so that a plan made by other code is never used.
function storePath(request: string): string {
  return join(storeDir(), `${cacheKey(`${process.getuid?.() ?? ''}\n${buildStamp()}\n${request}`)}.json`)
}

let stamp: string | undefined
function buildStamp(): string {
  try {
    stamp ??= readFileSync(join(packageRoot(), 'dist', '.build-stamp'), 'utf8').trim()
  } catch {
    stamp = ''
  }
  return stamp
}

// Whether a build of `options` may keep its plan for others.
export function storable(options: BuildOptions): boolean {
  return !options.base && (options.traces?.length ?? 0) === 0 && plansReused()
}

// The stored plan for `request`, placed at `output`, when nothing it was read from changed.
export function storedPlan(request: string, output: string): Plan | undefined {
  let stored: StoredPlan
  try {
    stored = JSON.parse(readFileSync(storePath(request), 'utf8')) as StoredPlan
  } catch {
    return undefined
  }
  if (stored.format !== FORMAT) return undefined
  return freshPlan(stored, stored.entries, request, output)
}

// Keeps a plan that was just made and written (cache: its inputs as the build saw them). A store
// that cannot be written costs the next build its planning, nothing else.
export function storePlan(cache: PlanCache, entries: PlanEntry[], options: BuildOptions): void {
  if (!storable(options)) return
  try {
    mkdirSync(storeDir(), {recursive: true, mode: 0o700})
    const path = storePath(cache.request)
    const temporary = `${path}.${process.pid}.tmp`
    writeFileSync(temporary, JSON.stringify({format: FORMAT, ...cache, entries} satisfies StoredPlan), {mode: 0o600})
    renameSync(temporary, path)
    prune()
  } catch {
    // A read-only or full cache directory: nothing is kept.
  }
}

// At most KEPT plans: the least recently written beyond that are removed.
function prune(): void {
  const names = readdirSync(storeDir()).filter((name) => name.endsWith('.json'))
  if (names.length <= KEPT) return
  const byAge = names.map((name) => ({name, mtimeMs: statSync(join(storeDir(), name)).mtimeMs})).sort((a, b) => a.mtimeMs - b.mtimeMs)
  for (const {name} of byAge.slice(0, byAge.length - KEPT)) rmSync(join(storeDir(), name), {force: true})
}
