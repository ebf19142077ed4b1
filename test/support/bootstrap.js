#!/usr/bin/env node
// Installs the system packages the tests use, when missing and when we are root (CI is root):
// busybox-static (static busybox for --busybox and chroot), pax-utils (lddtree, a reference),
// gcc (fixtures are compiled at test time). Not root: nothing is installed and the tests that need
// a missing tool skip themselves, printing why.
import {spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'

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
]

const missing = wanted.filter(([, file]) => !existsSync(file)).map(([pkg]) => pkg)
if (missing.length === 0) process.exit(0)
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
