// "Did you mean": a mistyped command gets the closest command's name (edit distance), exit 2.
// Our own hook rather than @oclif/plugin-not-found: loading that plugin costs ~100 ms at every
// start, and it prints no suggestion without a terminal.
import type {Hook} from '@oclif/core'

function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]
}

const hook: Hook<'command_not_found'> = async function (options) {
  const ids = options.config.commandIDs
  const best = ids.map((id) => ({id, d: distance(options.id, id)})).sort((a, b) => a.d - b.d)[0]
  const hint = best && best.d <= Math.max(2, Math.floor(best.id.length / 3)) ? `; did you mean ${best.id}?` : ''
  process.stderr.write(`ns-tool: ${options.id} is not a command${hint} (ns-tool --help lists them)\n`)
  process.exit(2)
}

export default hook
