#!/usr/bin/env node
// `npm start`: the seed demo. Builds ./rootfs with bash, ls and ps, then enters it and lists `/`.
import {spawnSync} from 'node:child_process'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const cli = (args) => {
  console.error(`$ ns-tool ${args.join(' ')}`)
  const r = spawnSync(process.execPath, [join(root, 'bin', 'run.js'), ...args], {cwd: root, stdio: 'inherit'})
  if (r.status !== 0) process.exit(r.status ?? 1)
}

cli(['build-rootfs', '--output', 'rootfs', 'bash', 'ls', 'ps'])
cli(['run', 'rootfs', '/bin/ls', '-l', '/'])
console.error('\nEnter it with: ./bin/run.js run rootfs /bin/bash')
