#!/usr/bin/env node
// `npm test`: installs what the tests need when it can (test/support/bootstrap.js), then runs the
// whole suite with mocha; the last line printed is `tests: N passed, N failed, N skipped`.
// Extra arguments go to mocha (for example `npm test -- test/elf`).
import {spawnSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
// tsx: the bootstrap shares the tests' TypeScript checks (test/support/busybox.ts).
const boot = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'test', 'support', 'bootstrap.js')], {cwd: root, stdio: 'inherit'})
if (boot.status !== 0) process.exit(boot.status ?? 1)

const extra = process.argv.slice(2)
const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js')
const env = extra.length > 0 ? {...process.env, NS_TOOL_SPEC: extra.join(',')} : process.env
const r = spawnSync(process.execPath, [mocha], {cwd: root, stdio: 'inherit', env})
process.exit(r.status ?? 1)
