// Where the compiled C helper is: dist/helper/ns-tool-helper in this package, built by
// scripts/setup.js (npm install / npm start / npm test run it).
import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {NsToolError} from '../errors.js'

export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir)
  return dir
}

function builtHelper(): string {
  return helperDataPath('ns-tool-helper')
}

// A file built alongside the helper (its generated header, the system call numbers it knows).
export function helperDataPath(name: string): string {
  return join(packageRoot(), 'dist', 'helper', name)
}

export function helperPath(): string {
  const path = optionalHelperPath()
  if (path === undefined) {
    throw new NsToolError(`the namespace helper is not built (${builtHelper()}): run \`node scripts/setup.js\` in ${packageRoot()} (it needs a C compiler: apt-get install gcc libc6-dev)`)
  }
  return path
}

// The helper when it is there, for optional uses (the rootfs writer's atomic exchange).
export function optionalHelperPath(): string | undefined {
  const path = builtHelper()
  return existsSync(path) ? path : undefined
}
