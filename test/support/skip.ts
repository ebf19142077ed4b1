import {spawnSync} from 'node:child_process'
import type {Context} from 'mocha'

// Skips the running test and prints why, so a skip is never silent.
export function skipBecause(ctx: Context, reason: string): never {
  process.stdout.write(`      skipped: ${reason}\n`)
  ctx.skip()
}

export const isRoot = process.getuid?.() === 0

// The path of a tool on PATH, or undefined (a test that needs it then skips, saying so).
export function which(tool: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${tool}`], {encoding: 'utf8'})
  return r.status === 0 ? r.stdout.trim() : undefined
}
