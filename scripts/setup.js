#!/usr/bin/env node
// Brings a checkout to a runnable state with no other step: installs npm dependencies when they
// are missing or stale, compiles the TypeScript, writes the oclif manifest and builds the C helper.
// Each step runs only when its inputs are newer than its outputs, so a second call costs ~50 ms.
// Flags: --no-install (used by npm's prepare hook, which runs inside npm install), --force.
import {spawnSync} from 'node:child_process'
import {existsSync, readdirSync, statSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join, relative} from 'node:path'
import {createRequire} from 'node:module'
import {fileURLToPath, pathToFileURL} from 'node:url'
import {compileHelper} from './helper-build.js'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const args = new Set(process.argv.slice(2))
const force = args.has('--force')

function run(cmd, argv, opts = {}) {
  const r = spawnSync(cmd, argv, {cwd: root, stdio: 'inherit', ...opts})
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`)
  return r.status === 0
}

function mtime(path) {
  try {
    return statSync(path).mtimeMs
  } catch {
    return 0
  }
}

// Newest mtime of the files below dir whose name passes keep.
function newest(dir, keep) {
  let latest = 0
  if (!existsSync(dir)) return 0
  for (const entry of readdirSync(dir, {withFileTypes: true, recursive: true})) {
    if (!entry.isFile() || !keep(entry.name)) continue
    latest = Math.max(latest, mtime(join(entry.parentPath ?? entry.path, entry.name)))
  }
  return latest
}

function fail(message) {
  console.error(`setup: ${message}`)
  process.exit(1)
}

function installDependencies() {
  const marker = join(root, 'node_modules', '.package-lock.json')
  const stale = mtime(join(root, 'package.json')) > mtime(marker) || mtime(join(root, 'package-lock.json')) > mtime(marker)
  if (existsSync(marker) && !stale && !force) return
  console.error('setup: installing npm dependencies')
  // --ignore-scripts: our own prepare hook would re-enter this script; the build follows below.
  if (!run('npm', ['install', '--no-audit', '--no-fund', '--ignore-scripts'])) fail('npm install failed')
}

// bin/run.js's fast paths, each in one CommonJS file made from src/cli/fast-COMMAND.ts
// (fast-build-rootfs.ts says why), at the path bin/code-cache.js gives. lazyImports: whether what the
// modules import lazily goes into the bundle too ('bundle') or is loaded from dist/src when asked
// ('dist'; fast-run.ts says why).
const codeCache = createRequire(import.meta.url)('../bin/code-cache.js')
const fastPaths = [
  {command: 'build-rootfs', lazyImports: 'bundle'},
  {command: 'run', lazyImports: 'dist'},
].map((path) => ({...path, entry: join(root, 'dist', 'src', 'cli', `fast-${path.command}.js`), output: codeCache.bundlePath(root, path.command)}))

async function buildTypeScript() {
  const stamp = join(root, 'dist', '.build-stamp')
  const sources = Math.max(
    newest(join(root, 'src'), (n) => n.endsWith('.ts')),
    newest(join(root, 'commands'), (n) => n.endsWith('.ts')),
    mtime(join(root, 'tsconfig.json')),
    mtime(join(root, 'package.json')),
  )
  if (!force && mtime(stamp) >= sources && existsSync(join(root, 'oclif.manifest.json')) && fastPaths.every((path) => existsSync(path.output))) return
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
  if (!existsSync(tsc)) fail('TypeScript is not installed; run `npm install` first')
  console.error('setup: compiling TypeScript')
  // A command file removed from the sources must not survive in dist/ (the manifest lists dist/commands).
  // (The incremental build info goes too, or tsc would think the removed outputs are current.)
  for (const entry of ['commands', 'src', '.tsbuildinfo']) rmSync(join(root, 'dist', entry), {recursive: true, force: true})
  for (const {output} of fastPaths) rmSync(dirname(output), {recursive: true, force: true})
  if (!run(process.execPath, [tsc, '-p', 'tsconfig.json'])) fail('TypeScript compilation failed')
  for (const path of fastPaths) await bundleFastPath(path)
  console.error('setup: writing oclif.manifest.json')
  if (!run(process.execPath, [join(root, 'scripts', 'manifest.js')])) fail('writing the oclif manifest failed')
  writeFileSync(stamp, new Date().toISOString() + '\n')
}

// A bundle is made from tsc's output; the npm packages stay outside it. CommonJS has no
// import.meta: its one use, a module's own URL, becomes the bundle's (dist/fast/ is in the package
// as dist/src/ is, which is all those uses need).
async function bundleFastPath({command, lazyImports, entry, output}) {
  console.error(`setup: bundling the ${command} fast path (${relative(root, output)})`)
  const {build} = await import('esbuild')
  // A lazily imported module left out is imported from dist/src, at its path from the bundle.
  const fromDist = {
    name: 'lazy-imports-from-dist',
    setup(builder) {
      builder.onResolve({filter: /^\./}, (args) => {
        if (args.kind !== 'dynamic-import') return undefined
        const path = relative(dirname(output), join(args.resolveDir, args.path))
        return {path: path.startsWith('.') ? path : `./${path}`, external: true}
      })
    },
  }
  try {
    await build({
      entryPoints: [entry],
      outfile: output,
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      packages: 'external',
      define: {'import.meta.url': '__bundleUrl'},
      // import() becomes require(): bin/run.js runs a bundle as a vm.Script (to hand V8 its code
      // cache), where import() needs an experimental flag; require() loads ES modules too (Node >= 20.19).
      supported: {'dynamic-import': false},
      banner: {js: "const __bundleUrl = require('node:url').pathToFileURL(__filename).href;"},
      plugins: lazyImports === 'dist' ? [fromDist] : [],
      logLevel: 'warning',
    })
  } catch (error) {
    fail(`bundling the ${command} fast path failed: ${error.message}`)
  }
}

// The TypeScript the helper's generated header comes from (capabilities, PATH, seccomp table).
function generatorInputs() {
  const sandbox = join(root, 'src', 'sandbox')
  const files = [join(sandbox, 'capabilities.ts'), join(sandbox, 'helper-defaults.ts'), join(root, 'src', 'loader', 'program.ts')]
  return Math.max(...files.map(mtime), newest(join(sandbox, 'seccomp'), (n) => n.endsWith('.ts')))
}

async function buildHelper() {
  const sourceDir = join(root, 'src', 'helper')
  const sources = existsSync(sourceDir) ? readdirSync(sourceDir).filter((n) => n.endsWith('.c')) : []
  if (sources.length === 0) return
  const outputDir = join(root, 'dist', 'helper')
  const output = join(outputDir, 'ns-tool-helper')
  const newestSource = Math.max(newest(sourceDir, (n) => n.endsWith('.c') || n.endsWith('.h')), generatorInputs())
  if (!force && mtime(output) >= newestSource) return
  const cc = process.env.CC || 'cc'
  const probe = spawnSync(cc, ['--version'], {stdio: 'ignore'})
  if (probe.error || probe.status !== 0) {
    fail(`no C compiler (${cc}) to build the helper: install one (Debian/Ubuntu: apt-get install gcc libc6-dev; Fedora: dnf install gcc glibc-static)`)
  }
  console.error('setup: compiling the C helper')
  const failure = await compileHelper({sourceDir, outputDir, cc, log: (line) => console.error(`setup: ${line}`)})
  if (failure) {
    if (failure.output) process.stderr.write(failure.output)
    fail(failure.message)
  }
}

// V8's code cache of the bundles that have one (bin/code-cache.js), made when one has none from
// this Node: its warm-ups run as users run them, in a temporary directory with a cache directory
// of its own (the user's ~/.cache is not touched). A warm-up that fails still leaves the cache of
// what it ran.
function makeCodeCaches() {
  const cached = fastPaths.filter((path) => Object.hasOwn(codeCache.WARM_UPS, path.command))
  if (!force && cached.every((path) => codeCache.isCurrent(path.output))) return
  console.error("setup: making the fast paths' code caches")
  const work = mkdtempSync(join(tmpdir(), 'ns-tool-setup-'))
  const env = {...process.env, XDG_CACHE_HOME: join(work, 'cache'), [codeCache.WRITE_VARIABLE]: '1'}
  try {
    for (const {command} of cached) {
      for (const argv of codeCache.WARM_UPS[command](work)) spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...argv], {cwd: work, env, stdio: 'ignore'})
    }
  } finally {
    rmSync(work, {recursive: true, force: true})
  }
}

if (!args.has('--no-install')) installDependencies()
await buildTypeScript()
await buildHelper()
makeCodeCaches()
