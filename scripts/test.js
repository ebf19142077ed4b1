#!/usr/bin/env node
// `npm test`: type-checks the sources and the tests (tsconfig.test.json), installs what the tests
// need when it can (test/support/bootstrap.js), then runs the whole suite with mocha; the last line
// printed is `tests: N passed, N failed, N skipped`. A type error fails the run before any test.
// Extra arguments go to mocha (for example `npm test -- test/elf`).
import {spawnSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const node = (argv, options = {}) => spawnSync(process.execPath, argv, {cwd: root, stdio: 'inherit', ...options}).status ?? 1

// Incremental (its build info in dist/), so a run after a small change checks little again.
const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc')
if (node([tsc, '-p', 'tsconfig.test.json']) !== 0) {
  console.error('test: type errors in the sources or the tests (above); fix them first')
  process.exit(1)
}

// tsx: the bootstrap shares the tests' TypeScript checks (test/support/busybox.ts).
const boot = node(['--import', 'tsx', join(root, 'test', 'support', 'bootstrap.js')])
if (boot !== 0) process.exit(boot)

const extra = process.argv.slice(2)
const mocha = join(root, 'node_modules', 'mocha', 'bin', 'mocha.js')
const env = extra.length > 0 ? {...process.env, NS_TOOL_SPEC: extra.join(',')} : process.env
process.exit(node([mocha], {env}))
