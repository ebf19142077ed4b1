#!/usr/bin/env node
// Debian sysroots of other releases for the tests (bullseye: glibc 2.31, before glibc-hwcaps;
// trixie: glibc 2.41): made once per machine with `debootstrap --variant=minbase` from the mirror
// the host's apt already uses (read from its sources; no address is written here), plus the few
// packages the tests use, and cached under the user's cache directory. As root only.
// `node test/support/sysroots.js make bullseye` makes one (the bootstrap calls it).
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'

// Release -> the packages its tests need beyond minbase. trixie also runs ns-tool itself: npm
// start (ps) and a part of npm test (busybox-static for the helper's trees, git for a test that
// reads the checkout).
export const RELEASES = {
  bullseye: {version: 11, packages: ['python3', 'gcc', 'libc6-dev']},
  trixie: {version: 13, packages: ['python3', 'gcc', 'libc6-dev', 'nodejs', 'npm', 'procps', 'busybox-static', 'git']},
}

export function sysrootDir(release) {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'ns-tool-test', 'sysroots', release)
}

// The Debian archive the host's apt uses: the first deb line (one-line or deb822 format) whose
// suite is not a security or updates suite. Undefined when apt names none.
export function hostMirror() {
  for (const file of aptSourceFiles()) {
    const text = readFileSync(file, 'utf8')
    const found = file.endsWith('.sources') ? deb822Mirror(text) : oneLineMirror(text)
    if (found) return found
  }
  return undefined
}

function aptSourceFiles() {
  const dir = '/etc/apt/sources.list.d'
  const parts = existsSync(dir) ? readdirSync(dir).filter((f) => /\.(list|sources)$/.test(f)).sort().map((f) => join(dir, f)) : []
  return ['/etc/apt/sources.list', ...parts].filter((f) => existsSync(f))
}

const mainSuite = (suite) => !/-(security|updates|backports)$|\//.test(suite)

function oneLineMirror(text) {
  for (const line of text.split('\n')) {
    const m = /^deb\s+(?:\[[^\]]*\]\s+)?(\S+)\s+(\S+)/.exec(line.trim())
    if (m && mainSuite(m[2]) && /debian\/?$/.test(m[1])) return m[1]
  }
  return undefined
}

function deb822Mirror(text) {
  for (const stanza of text.split(/\n\s*\n/)) {
    const field = (name) => new RegExp(`^${name}:\\s*(.+)$`, 'mi').exec(stanza)?.[1].trim().split(/\s+/) ?? []
    if (!field('Types').includes('deb') || /^Enabled:\s*no/mi.test(stanza)) continue
    const uri = field('URIs').find((u) => /debian\/?$/.test(u))
    if (uri && field('Suites').some(mainSuite)) return uri
  }
  return undefined
}

// The file that lists the packages a sysroot was given, to add what a newer test asks for.
const packagesMarker = (dir) => join(dir, 'var', 'lib', 'ns-tool-test-packages')
const isComplete = (dir, release) => existsSync(packagesMarker(dir)) && readFileSync(packagesMarker(dir), 'utf8') === `${RELEASES[release].packages.join(' ')}\n`

// Why release has no sysroot and none can be made here, or undefined when it can (or is made).
function cannotMake(release) {
  const dir = sysrootDir(release)
  if (isComplete(dir, release) || process.getuid?.() === 0) return undefined
  return `no ${release} sysroot at ${dir} and not root (debootstrap needs root)`
}

// The maker's command line: one maker per machine at a time (a second run waits for the first,
// then finds the sysroot made).
function maker(release) {
  const dir = sysrootDir(release)
  mkdirSync(join(dir, '..'), {recursive: true})
  return ['flock', [`${dir}.lock`, process.execPath, fileURLToPath(import.meta.url), 'make', release]]
}

function outcome(release, stderr, status) {
  const dir = sysrootDir(release)
  if (isComplete(dir, release)) return {dir}
  return {reason: `could not make the ${release} sysroot: ${stderr.trim().split('\n').at(-1) || `exit ${status}`}`}
}

// The cached sysroot of release, or why there is none. Makes it when missing (as root).
export function debianSysroot(release) {
  if (isComplete(sysrootDir(release), release)) return {dir: sysrootDir(release)}
  const reason = cannotMake(release)
  if (reason) return {reason}
  const [cmd, args] = maker(release)
  const r = spawnSync(cmd, args, {stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8'})
  return outcome(release, r.stderr || '', r.status)
}

// Makes the sysroots of these releases side by side (each takes minutes, mostly waiting on the
// mirror); resolves to why each one that could not be made was not.
export async function makeDebianSysroots(releases) {
  const made = await Promise.all(releases.map((release) => new Promise((resolve) => {
    if (isComplete(sysrootDir(release), release)) return resolve({dir: sysrootDir(release)})
    const reason = cannotMake(release)
    if (reason) return resolve({reason})
    const [cmd, args] = maker(release)
    const child = spawn(cmd, args, {stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (chunk) => (stderr += chunk))
    child.on('close', (status) => resolve(outcome(release, stderr, status)))
  })))
  return Object.fromEntries(made.flatMap(({reason}, i) => (reason ? [[releases[i], reason]] : [])))
}

// Makes the sysroot in a temporary directory and renames it into place when complete; a sysroot
// made for fewer packages gets the others.
function make(release) {
  const dir = sysrootDir(release)
  if (!RELEASES[release]) fail(`unknown release ${release}`)
  if (isComplete(dir, release)) return
  if (existsSync(join(dir, 'etc', 'debian_version'))) {
    installPackages(dir, release)
    return
  }
  if (!existsSync('/usr/sbin/debootstrap')) fail('debootstrap is not installed (apt-get install debootstrap)')
  const mirror = hostMirror()
  if (!mirror) fail('no Debian mirror in the host\'s apt sources (/etc/apt/sources.list, sources.list.d)')
  const work = `${dir}.making`
  rmSync(work, {recursive: true, force: true})
  run('debootstrap', ['--variant=minbase', release, work, mirror])
  writeFileSync(join(work, 'etc', 'apt', 'sources.list'), `deb ${mirror} ${release} main\n`)
  installPackages(work, release)
  renameSync(work, dir)
}

function installPackages(root, release) {
  const {packages} = RELEASES[release]
  withProc(root, () => {
    const env = {DEBIAN_FRONTEND: 'noninteractive', PATH: '/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8'}
    run('chroot', [root, 'apt-get', 'update', '-q'], env)
    run('chroot', [root, 'apt-get', 'install', '-y', '-q', '--no-install-recommends', ...packages], env)
    run('chroot', [root, 'apt-get', 'clean'], env)
  })
  writeFileSync(packagesMarker(root), `${packages.join(' ')}\n`)
}

// apt's maintainer scripts want /proc; it is unmounted whatever happens.
function withProc(root, body) {
  const proc = join(root, 'proc')
  run('mount', ['-t', 'proc', 'proc', proc])
  try {
    body()
  } finally {
    spawnSync('umount', ['-l', proc])
  }
}

function run(cmd, args, env) {
  const r = spawnSync(cmd, args, {stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: env ?? process.env})
  if (r.status !== 0) fail(`${cmd} ${args.slice(0, 3).join(' ')} failed: ${(r.stderr || '').trim().split('\n').at(-1)}`)
}

function fail(message) {
  process.stderr.write(`${message}\n`)
  process.exit(1)
}

if (process.argv[1] === fileURLToPath(import.meta.url) && process.argv[2] === 'make') make(process.argv[3])
