import type {Context} from 'mocha'

// Skips the running test and prints why, so a skip is never silent.
export function skipBecause(ctx: Context, reason: string): never {
  process.stdout.write(`      skipped: ${reason}\n`)
  ctx.skip()
}

export const isRoot = process.getuid?.() === 0
