// The fast paths' bundles (dist/fast/COMMAND.cjs, made by scripts/setup.js), and V8's code cache of
// build-rootfs's (build-rootfs.cjs.v8cache): bin/run.js loads a bundle through here, and setup makes
// the cache by running the warm-ups below with WRITE_VARIABLE set.
//
// A cache is used only for the bundle it was made from, by the Node that made it: its first line
// names both (V8 itself checks only the source's length), and V8 verifies the rest's checksum (a
// damaged cache would crash it otherwise; turning that check on costs ~2.5 ms, loading node:v8).
// Anything else compiles the source, as require() would.
'use strict'
const {closeSync, existsSync, fstatSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} = require('node:fs')
const {dirname, join} = require('node:path')

const WRITE_VARIABLE = 'NS_TOOL_WRITE_CODE_CACHE'

// The bundles that have a cache, each with the command lines whose compiled code makes it (run by
// setup in a temporary directory tmp). build-rootfs's only: compiling its 270 KB is ~15 ms of a
// small build, where run's 43 KB cost ~2 ms, about what checking a cache does. The build runs
// twice: the first makes the package owners index that the second, like a user's build, reads.
const WARM_UPS = {
  'build-rootfs': (tmp) => [1, 2].map(() => ['build-rootfs', '-q', '-o', join(tmp, 'tree'), 'sh']),
}

function bundlePath(packageRoot, command) {
  return join(packageRoot, 'dist', 'fast', `${command}.cjs`)
}

function cachePath(bundle) {
  return `${bundle}.v8cache`
}

// The cache's first line for a bundle of these stats.
function header(stat) {
  return `${process.version} ${stat.dev}:${stat.ino}:${stat.size}:${stat.mtimeMs}\n`
}

// Whether a saved cache begins with this line (was made from that bundle by this Node).
function madeFor(saved, line) {
  return saved.subarray(0, line.length).toString('latin1') === line
}

// Whether the bundle has a cache this Node made from it (setup remakes it otherwise).
function isCurrent(bundle) {
  try {
    return madeFor(readFileSync(cachePath(bundle)), header(statSync(bundle)))
  } catch {
    return false
  }
}

// A fast path's bundle, loaded as require() would, and with its cache when it has one; undefined
// where the bundle was not made. NS_TOOL_DEBUG=1 says whether the cache was used.
function loadFastPath(packageRoot, command) {
  const bundle = bundlePath(packageRoot, command)
  if (!existsSync(bundle)) return undefined
  return Object.hasOwn(WARM_UPS, command) ? loadBundle(bundle) : require(bundle)
}

function loadBundle(file) {
  const {Script} = require('node:vm')
  const {createRequire, wrap} = require('node:module')
  // The flag is part of what a cache records: set alike where it is made and where it is used.
  require('node:v8').setFlagsFromString('--verify-snapshot-checksum')
  const fd = openSync(file, 'r')
  let source
  let line
  try {
    line = header(fstatSync(fd))
    source = readFileSync(fd, 'utf8')
  } finally {
    closeSync(fd)
  }
  const cache = cachePath(file)
  let saved
  try {
    saved = readFileSync(cache)
  } catch {
    // No cache: compiled from the source.
  }
  const ours = saved !== undefined && madeFor(saved, line)
  const script = new Script(wrap(source), {filename: file, cachedData: ours ? saved.subarray(line.length) : undefined})
  if (process.env.NS_TOOL_DEBUG) {
    const said = saved === undefined ? 'no code cache' : !ours ? 'code cache of another bundle or Node, not used' : script.cachedDataRejected ? 'code cache rejected' : 'code cache used'
    process.stderr.write(`ns-tool: ${file}: ${said}\n`)
  }
  const module = {exports: {}}
  script.runInThisContext()(module.exports, createRequire(file), module, file, dirname(file))
  if (process.env[WRITE_VARIABLE]) process.on('exit', () => writeCache(cache, line, script))
  return module.exports
}

// What V8 compiled by the time the process exits, under the bundle's line; a package directory
// this user may not write keeps what it has (time only).
function writeCache(cache, line, script) {
  const temp = `${cache}.${process.pid}`
  try {
    writeFileSync(temp, Buffer.concat([Buffer.from(line, 'latin1'), script.createCachedData()]))
    renameSync(temp, cache)
  } catch {
    rmSync(temp, {force: true})
  }
}

module.exports = {WARM_UPS, WRITE_VARIABLE, bundlePath, cachePath, isCurrent, loadFastPath}
