// Executing a plan safely (design §4): the tree is built in a staging directory beside the output
// and switched in by rename, under a lock; nothing is written through a symlink; a rebuild reuses
// (hard-links) every unchanged file of the previous tree instead of copying it again.
import {constants, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, realpathSync, renameSync, rmSync, statSync, symlinkSync, writeFileSync, chmodSync, lchownSync, chownSync, unlinkSync, type Stats} from 'node:fs'
import {copyFile} from 'node:fs/promises'
import {basename, dirname, join, posix} from 'node:path'
import {NsToolError, UsageError} from '../../errors.js'
import type {BuildOptions, BuildResult, BuildStats, Plan, PlanEntry} from '../types.js'
import {BUILD_ROOTFS} from '../../cli/options/build-rootfs.js'

export const MANIFEST_DIR = '.ns-tool'
const MANIFEST = `${MANIFEST_DIR}/manifest.json`
const COPY_CONCURRENCY = 8

interface ManifestFile {
  path: string
  source: string
  size: number
  mtimeMs: number
  ino: number
}

export interface Manifest {
  tool: 'ns-tool'
  version: 1
  layout: string
  // How the files were written: a rebuild with other settings rewrites them.
  settings?: string
  files: ManifestFile[]
  entries: PlanEntry[]
  // Every directory of the tree with its mtime when the build ended: adding, removing or
  // replacing anything in one changes it, so an unchanged tree is told by a stat per directory.
  dirs?: Array<[string, number]>
  // The request and what its plan was read from, so that an unchanged rebuild can skip resolving.
  cache?: PlanCache
}

export interface PlanCache {
  request: string
  // The plan but its output and entries (those are the manifest's own).
  plan: Omit<Plan, 'output' | 'entries'>
  inputs: ManifestInput[]
}

interface ManifestInput {
  path: string
  size: number
  mtimeMs: number
  ino: number
}

// Whether two fingerprints (size, mtime, inode) describe the same file contents.
function sameFingerprint(a: ManifestInput, b: ManifestInput): boolean {
  return a.size === b.size && a.mtimeMs === b.mtimeMs && a.ino === b.ino
}

// An input as it is now. One that cannot be looked at (missing, or a PATH directory this user may
// not enter) is recorded as such, so that its appearing later is noticed too.
function statInput(path: string): ManifestInput {
  try {
    const stat = statSync(path)
    return {path, size: stat.size, mtimeMs: stat.mtimeMs, ino: stat.ino}
  } catch {
    return {path, size: -1, mtimeMs: -1, ino: -1}
  }
}

// What a plan depends on, cheaply checkable: every source file (with the fingerprint it had when
// it was copied), the directories they and the programs' PATH live in (a new file there changes
// the directory's mtime), and the loader's cache and configuration. Not covered: a library
// dropped into a search directory that provides nothing yet, without ldconfig being run.
function planInputs(plan: Plan, files: ManifestFile[], sysroot = '/'): ManifestInput[] {
  const inputs = new Map<string, ManifestInput>(files.map((f) => [f.source, {path: f.source, size: f.size, mtimeMs: f.mtimeMs, ino: f.ino}]))
  const paths = new Set<string>([join(sysroot, 'etc/ld.so.cache'), join(sysroot, 'etc/ld.so.conf')])
  for (const dir of (process.env.PATH ?? '').split(':')) if (dir) paths.add(join(sysroot, dir))
  for (const entry of plan.entries) {
    if (!entry.source) continue
    if (!inputs.has(entry.source)) paths.add(entry.source)
    paths.add(dirname(entry.source))
  }
  for (const path of paths) if (!inputs.has(path)) inputs.set(path, statInput(path))
  return [...inputs.values()].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
}

// The plan of the previous build, when it was made for the same request and none of its inputs
// changed since; undefined otherwise.
function cachedPlan(manifest: Manifest | undefined, output: string, request: string): Plan | undefined {
  const cache = manifest?.cache
  if (!cache || cache.request !== request) return undefined
  for (const input of cache.inputs) {
    if (!sameFingerprint(statInput(input.path), input)) return undefined
  }
  return {...cache.plan, entries: manifest!.entries, output}
}

export function readManifest(output: string): Manifest | undefined {
  try {
    const manifest = JSON.parse(readFileSync(join(output, MANIFEST), 'utf8')) as Manifest
    return manifest.tool === 'ns-tool' ? manifest : undefined
  } catch {
    return undefined
  }
}

export function isNsToolRootfs(dir: string): boolean {
  return readManifest(dir) !== undefined
}

// Test hook: NS_TOOL_TEST_PAUSE=<point> stops the build there (so a test can SIGKILL it at a known
// moment). Never set by users.
function pausePoint(name: string): void {
  if (process.env.NS_TOOL_TEST_PAUSE !== name) return
  process.stderr.write(`ns-tool: paused at ${name}\n`)
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 600_000)
}

function checkOutput(plan: Plan, options: BuildOptions, manifest: Manifest | undefined): Manifest | undefined {
  const output = plan.output
  if (output === '/' || realpathOrSelf(output) === '/') throw new UsageError('--output /: refusing to build a rootfs over the host\'s root; give a new directory')
  const stat = lstatSync(output, {throwIfNoEntry: false})
  if (stat?.isSymbolicLink()) throw new UsageError(`--output ${output}: is a symbolic link; give the directory itself`)
  if (stat && !stat.isDirectory()) throw new UsageError(`--output ${output}: exists and is not a directory`)
  const real = realpathOrSelf(output)
  for (const entry of plan.entries) {
    if (entry.source && (entry.source === real || entry.source.startsWith(real + '/'))) {
      throw new UsageError(`--output ${output}: contains ${entry.source}, one of the sources; choose an output outside the source tree`)
    }
  }
  if (!stat) return undefined
  if (!manifest && readdirSync(output).length > 0 && !options.force) {
    throw new NsToolError(`--output ${output}: is a non-empty directory that ns-tool did not make; pass --force to build into it, or choose another directory`)
  }
  return manifest
}

function realpathOrSelf(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

// Whether a killed build left something for recover() to clean up.
function leftovers(output: string): boolean {
  const name = basename(output)
  if (existsSync(`${output}.ns-tool-old`)) return true
  try {
    return readdirSync(dirname(output)).some((entry) => entry.startsWith(`${name}.ns-tool-staging-`))
  } catch {
    // No parent directory yet: nothing was left there.
    return false
  }
}

// A previous build killed between the two renames of the switch left the old tree aside: put it
// back. Staging dirs of killed builds are removed (we hold the lock, so none is live).
function recover(output: string): void {
  const parent = dirname(output)
  const name = basename(output)
  const aside = `${output}.ns-tool-old`
  if (!existsSync(output) && existsSync(aside)) renameSync(aside, output)
  else if (existsSync(aside)) rmSync(aside, {recursive: true, force: true})
  for (const entry of readdirSync(parent)) {
    if (entry.startsWith(`${name}.ns-tool-staging-`)) rmSync(join(parent, entry), {recursive: true, force: true})
  }
}

async function withLock<T>(output: string, body: () => Promise<T>): Promise<T> {
  const lockfile = (await import('proper-lockfile')).default
  mkdirSync(dirname(output), {recursive: true})
  let release: () => Promise<void>
  try {
    // A short staleness window: a build killed with SIGKILL cannot release its lock, and the next
    // build takes it over after 5 s instead of failing.
    release = await lockfile.lock(output, {lockfilePath: `${output}.ns-tool.lock`, realpath: false, stale: 5_000, update: 1_000, retries: {retries: 20, minTimeout: 200, maxTimeout: 1000}})
  } catch (error) {
    throw new NsToolError(`--output ${output}: another ns-tool build holds ${output}.ns-tool.lock; wait for it to finish (${(error as Error).message})`)
  }
  try {
    return await body()
  } finally {
    await release().catch(() => undefined)
  }
}

// Makes the parent directories of path inside root, refusing any component that is a symlink.
// `known` holds the directories already checked or made by this build.
function safeParent(root: string, path: string, known: Set<string>): string {
  const parts = posix.dirname(path).split('/').filter(Boolean)
  let current = root
  for (const part of parts) {
    current = current + '/' + part
    if (known.has(current)) continue
    const stat = lstatSync(current, {throwIfNoEntry: false})
    if (!stat) mkdirSync(current, {mode: 0o755})
    else if (stat.isSymbolicLink()) throw new NsToolError(`${path}: refusing to write through the symbolic link ${current.slice(root.length)} in the tree`)
    else if (!stat.isDirectory()) throw new NsToolError(`${path}: ${current.slice(root.length)} is not a directory`)
    known.add(current)
  }
  return root + path
}

// What writeEntries knows of a directory it made, without asking the kernel again.
const DIRECTORY = {isDirectory: () => true}

interface CopyJob {
  entry: PlanEntry
  dest: string
  source: Stats
}

// Builds output for a request: the previous build's plan when it was made for the same request
// and nothing it was read from changed, else makePlan()'s.
export async function buildOutput(output: string, request: string, makePlan: () => Promise<Plan>, options: BuildOptions = {}): Promise<BuildResult> {
  // A rebuild that would change nothing writes nothing, so it needs no lock: the tree it checks
  // is replaced only by a whole-tree rename, and a tree that looks changed takes the locked path.
  if (!options.base && !options.clean && !leftovers(output)) {
    const manifest = readManifest(output)
    const reused = cachedPlan(manifest, output, request)
    if (reused) {
      const previous = checkOutput(reused, options, manifest)
      if (previous && unchanged(previous, reused, settingsOf(options), true)) {
        await warnMissing(reused, options)
        return untouched(reused, previous)
      }
    }
  }
  return withLock(output, async () => {
    recover(output)
    const manifest = readManifest(output)
    const reused = options.base ? undefined : cachedPlan(manifest, output, request)
    if (reused) await warnMissing(reused, options)
    return writeLocked(reused ?? (await makePlan()), manifest, {...options, request}, reused !== undefined)
  })
}

// The result of a build that left the tree as it was.
function untouched(plan: Plan, previous: Manifest): BuildResult {
  return {...plan, stats: {copied: 0, reused: previous.files.length, linked: 0, removed: 0, kept: 0, bytesCopied: 0}}
}

// A reused plan's missing libraries and warnings are told again, as a fresh plan's would be.
async function warnMissing(plan: Plan, options: BuildOptions): Promise<void> {
  if (plan.missing.length > 0) {
    const {missingLine} = await import('../../loader/missing.js')
    for (const missing of plan.missing) options.warn?.(`warning: ${missingLine(missing)}`)
  }
  for (const warning of plan.warnings ?? []) options.warn?.(warning)
}

// reused: the plan is the previous build's, whose inputs (every source among them) were just
// found unchanged.
async function writeLocked(plan: Plan, manifest: Manifest | undefined, options: BuildOptions & {request?: string}, reused: boolean): Promise<BuildResult> {
  const output = plan.output
  const previous = checkOutput(plan, options, manifest)
  // Nothing changed (same plan, same settings, every source as it was, every file still there):
  // leave the tree alone, without even a new staging directory.
  if (previous && !options.clean && !options.base && unchanged(previous, plan, settingsOf(options), reused)) {
    // A plan made afresh (another request, an input touched) is recorded for the next rebuild;
    // the manifest is replaced by rename, the tree is not touched.
    if (!reused && options.request) {
      const refreshed = {...previous, dirs: previous.dirs ?? directoryTimes(output, plan), cache: planCache(plan, previous.files, options)}
      writeManifest(output, refreshed, `${MANIFEST}.ns-tool-new`)
    }
    return untouched(plan, previous)
  }
  const staging = `${output}.ns-tool-staging-${process.pid}`
  const stats: BuildStats = {copied: 0, reused: 0, linked: 0, removed: 0, kept: 0, bytesCopied: 0}
  mkdirSync(staging, {mode: 0o755})
  try {
    if (options.base) {
      const {extractBase} = await import('./base.js')
      await extractBase(options.base, staging, {root: process.getuid?.() === 0})
    }
    const files = await writeEntries(plan, staging, previous, options, stats)
    if (!options.clean && previous) stats.kept = carryOver(output, staging, plan)
    else if (previous) stats.removed = countRemoved(output, plan)
    await makeLdCache(plan, staging, options)
    const cache = options.request ? planCache(plan, files, options) : undefined
    mkdirSync(join(staging, MANIFEST_DIR), {recursive: true, mode: 0o755})
    // After the last change to the tree's directories (renames keep a directory's mtime).
    const dirs = directoryTimes(staging, plan)
    writeManifest(staging, {tool: 'ns-tool', version: 1, layout: plan.layout, settings: settingsOf(options), files, entries: plan.entries, dirs, cache})
    pausePoint('staged')
    await switchIn(staging, output)
  } catch (error) {
    rmSync(staging, {recursive: true, force: true})
    throw error
  }
  return {...plan, stats}
}

// The mtime of every directory of the plan in the tree at root.
function directoryTimes(root: string, plan: Plan): Array<[string, number]> {
  return ['/', ...plan.entries.filter((e) => e.type === 'dir').map((e) => e.path)].map((path) => [path, lstatSync(root + path).mtimeMs])
}

function planCache(plan: Plan, files: ManifestFile[], options: BuildOptions & {request?: string}): PlanCache {
  const {output: _output, entries: _entries, ...body} = plan
  return {request: options.request!, plan: body, inputs: planInputs(plan, files, options.sysroot)}
}

// Writes the manifest of the tree at root; through a temporary name when one is given.
function writeManifest(root: string, manifest: Manifest, temporary?: string): void {
  const text = JSON.stringify(manifest) + '\n'
  if (!temporary) return writeFileSync(join(root, MANIFEST), text)
  writeFileSync(join(root, temporary), text)
  renameSync(join(root, temporary), join(root, MANIFEST))
}

function settingsOf(options: BuildOptions): string {
  return JSON.stringify({copyMode: options.copyMode ?? BUILD_ROOTFS.flags['copy-mode'].default, keepSetuid: options.keepSetuid ?? false, root: process.getuid?.() === 0})
}

function unchanged(previous: Manifest, plan: Plan, settings: string, reused: boolean): boolean {
  if (previous.settings !== settings || previous.layout !== plan.layout) return false
  // A reused plan is the previous one, its sources already checked.
  if (!reused) {
    if (JSON.stringify(previous.entries) !== JSON.stringify(plan.entries)) return false
    if (!previous.files.every((file) => sameFingerprint(statInput(file.source), file))) return false
  }
  // Every entry still in the tree: a file deleted from it is put back. Told by the directories'
  // mtimes where the manifest has them; else access(2) for files and directories (no stat to
  // decode), and a symlink looked at itself, not followed.
  const root = plan.output
  if (previous.dirs) return previous.dirs.every(([path, mtimeMs]) => lstatSync(root + path, {throwIfNoEntry: false})?.mtimeMs === mtimeMs)
  for (const entry of plan.entries) {
    const present = entry.type === 'symlink' ? lstatSync(root + entry.path, {throwIfNoEntry: false})?.isSymbolicLink() : existsSync(root + entry.path)
    if (!present) return false
  }
  return true
}

async function switchIn(staging: string, output: string): Promise<void> {
  if (!existsSync(output)) {
    renameSync(staging, output)
    return
  }
  // renameat2(RENAME_EXCHANGE) swaps the two trees in one step: at every instant the output is
  // either the old tree or the new one. Node has no binding for it; the C helper does.
  const {optionalHelperPath} = await import('../../helper/locate.js')
  const helper = optionalHelperPath()
  const {spawnSync} = await import('node:child_process')
  if (helper && spawnSync(helper, ['--rename-exchange', staging, output], {stdio: 'ignore'}).status === 0) {
    pausePoint('switch')
    rmSync(staging, {recursive: true, force: true})
    return
  }
  // Without the helper: two renames; a kill between them leaves the old tree aside, and the next
  // build puts it back (recover()).
  const aside = `${output}.ns-tool-old`
  renameSync(output, aside)
  pausePoint('switch')
  renameSync(staging, output)
  rmSync(aside, {recursive: true, force: true})
}

async function writeEntries(plan: Plan, staging: string, previous: Manifest | undefined, options: BuildOptions, stats: BuildStats): Promise<ManifestFile[]> {
  const isRoot = process.getuid?.() === 0
  const before = new Map((previous?.files ?? []).map((f) => [f.path, f]))
  const jobs: CopyJob[] = []
  const files: ManifestFile[] = []
  const dirModes: Array<[string, number]> = []
  const dirs = new Set<string>()
  // A fresh staging directory holds only what this loop made; a base tree must be looked at.
  const fresh = !options.base
  for (const entry of plan.entries) {
    const dest = safeParent(staging, entry.path, dirs)
    const existing = fresh ? (dirs.has(dest) ? DIRECTORY : undefined) : lstatSync(dest, {throwIfNoEntry: false})
    if (entry.type === 'dir') {
      if (!existing) mkdirSync(dest, {mode: 0o755})
      else if (!existing.isDirectory()) throw new NsToolError(`${entry.path}: the base has a file where a directory is needed`)
      dirs.add(dest)
      if (entry.mode !== undefined) dirModes.push([dest, entry.mode])
      continue
    }
    if (existing?.isDirectory()) {
      // A base tree's real directory stands where the host has a link (Alpine's /bin): keep it.
      if (entry.type === 'symlink') continue
      throw new NsToolError(`${entry.path}: the base has a directory where a file is needed`)
    }
    if (existing) unlinkSync(dest)
    if (entry.type === 'symlink') {
      symlinkSync(entry.target!, dest)
      continue
    }
    if (entry.content !== undefined) {
      writeFileSync(dest, entry.content, {mode: entry.mode ?? 0o644})
      continue
    }
    const source = statSync(entry.source!)
    const record = {path: entry.path, source: entry.source!, size: source.size, mtimeMs: source.mtimeMs, ino: source.ino}
    files.push(record)
    const old = before.get(entry.path)
    // Unchanged since the last build (size, mtime, inode): link the previous copy, read nothing.
    if (old && old.source === record.source && sameFingerprint(old, record)) {
      try {
        linkSync(join(plan.output, entry.path), dest)
        stats.reused++
        continue
      } catch {
        // The previous copy is gone or elsewhere: copy again.
      }
    }
    jobs.push({entry, dest, source})
  }
  const total = jobs.length
  let done = 0
  const worker = async () => {
    for (let job = jobs.shift(); job; job = jobs.shift()) {
      await copyOne(job, options, isRoot, stats)
      options.progress?.(++done, total)
    }
  }
  await Promise.all(Array.from({length: COPY_CONCURRENCY}, worker))
  // Directory modes last: a 0555 /proc must not stop us from creating what goes below it.
  for (const [dest, mode] of dirModes.reverse()) chmodSync(dest, mode)
  return files
}

async function copyOne(job: CopyJob, options: BuildOptions, isRoot: boolean, stats: BuildStats): Promise<void> {
  const {entry, dest, source} = job
  const mode = options.keepSetuid ? source.mode & 0o7777 : source.mode & 0o1777
  const copyMode = options.copyMode ?? BUILD_ROOTFS.flags['copy-mode'].default
  if (copyMode === 'hardlink' && mode === (source.mode & 0o7777)) {
    try {
      linkSync(entry.source!, dest)
      stats.linked++
      return
    } catch {
      // Another filesystem, or protected_hardlinks: fall back to a copy.
    }
  }
  const flag = copyMode === 'reflink' ? constants.COPYFILE_FICLONE_FORCE : copyMode === 'copy' ? 0 : constants.COPYFILE_FICLONE
  try {
    await copyFile(entry.source!, dest, flag)
  } catch (error) {
    if (copyMode === 'reflink') throw new NsToolError(`--copy-mode reflink: ${entry.source} cannot be cloned here (${(error as NodeJS.ErrnoException).code}); use --copy-mode auto`)
    throw new NsToolError(`${entry.source}: cannot copy (${(error as Error).message})`)
  }
  chmodSync(dest, mode)
  if (isRoot) chownSync(dest, source.uid, source.gid)
  stats.copied++
  stats.bytesCopied += source.size
}

// Without --clean, what the user (or an earlier build) put in the tree stays: linked, not copied.
function carryOver(output: string, staging: string, plan: Plan): number {
  const planned = new Set(plan.entries.map((e) => e.path))
  // The cache is remade from the new ld.so.conf, never carried over.
  planned.add('/etc/ld.so.cache')
  let kept = 0
  const walk = (dir: string) => {
    for (const name of readdirSync(join(output, dir))) {
      const path = posix.join(dir, name)
      if (path === `/${MANIFEST_DIR}`) continue
      const from = join(output, path)
      const to = join(staging, path)
      const stat = lstatSync(from)
      const exists = lstatSync(to, {throwIfNoEntry: false})
      if (stat.isDirectory()) {
        if (!exists) {
          mkdirSync(to, {mode: stat.mode & 0o7777})
          if (process.getuid?.() === 0) lchownSync(to, stat.uid, stat.gid)
        }
        if (!exists || exists.isDirectory()) walk(path)
        continue
      }
      if (planned.has(path) || exists) continue
      if (stat.isSymbolicLink()) symlinkSync(readlinkSync(from), to)
      else linkSync(from, to)
      kept++
    }
  }
  walk('/')
  return kept
}

function countRemoved(output: string, plan: Plan): number {
  const planned = new Set(plan.entries.map((e) => e.path))
  let removed = 0
  const walk = (dir: string) => {
    for (const name of readdirSync(join(output, dir))) {
      const path = posix.join(dir, name)
      if (path === `/${MANIFEST_DIR}`) continue
      const stat = lstatSync(join(output, path))
      if (stat.isDirectory()) walk(path)
      if (!planned.has(path)) removed++
    }
  }
  walk('/')
  return removed
}

// /etc/ld.so.cache, where the loader needs one. The plan lists what it holds; a base tree brings
// libraries of its own, which only ldconfig's scan of the tree knows: then the host's ldconfig,
// chrooted into the staging tree (-X: leave the library links as planned), makes it from the
// tree's /etc/ld.so.conf. ldconfig -r needs chroot(): as a normal user it runs in a user
// namespace where it is root.
async function makeLdCache(plan: Plan, staging: string, options: BuildOptions): Promise<void> {
  if (!options.base) {
    if (!plan.ldCache) return
    const {serializeLdCache} = await import('../../loader/ld-cache.js')
    writeFileSync(safeParent(staging, '/etc/ld.so.cache', new Set()), serializeLdCache(plan.ldCache), {mode: 0o644})
    return
  }
  if (plan.libraryDirs.length === 0 || !plan.entries.some((e) => e.path === '/etc/ld.so.conf')) return
  const ldconfig = ['/sbin/ldconfig', '/usr/sbin/ldconfig'].find((p) => existsSync(p))
  if (!ldconfig) {
    options.warn?.('warning: no ldconfig on this host: the rootfs has no /etc/ld.so.cache (libraries outside the loader\'s default directories will not be found)')
    return
  }
  const {spawnSync} = await import('node:child_process')
  const argv = ['-X', '-r', staging]
  const run = process.getuid?.() === 0 ? spawnSync(ldconfig, argv, {encoding: 'utf8'}) : spawnSync('unshare', ['--user', '--map-root-user', ldconfig, ...argv], {encoding: 'utf8'})
  if (run.status !== 0 || !existsSync(join(staging, 'etc', 'ld.so.cache'))) {
    const detail = (run.stderr || run.error?.message || '').trim().split('\n')[0]
    if (plan.layout === 'flat') throw new NsToolError(`ldconfig could not make /etc/ld.so.cache for the flat layout (${detail}); run as root or enable user namespaces, or use --layout host`)
    options.warn?.(`warning: ldconfig could not make /etc/ld.so.cache (${detail})`)
  }
}
