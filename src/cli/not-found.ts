// "Did you mean": a mistyped command gets the closest command's name, exit 2.
// Our own hook rather than @oclif/plugin-not-found: loading that plugin costs ~100 ms at every
// start, and it prints no suggestion without a terminal.
import type {Hook} from '@oclif/core'
import {didYouMean} from './suggest.js'

const hook: Hook<'command_not_found'> = async function (options) {
  const hint = didYouMean(options.id, options.config.commandIDs)
  process.stderr.write(`ns-tool: ${options.id} is not a command${hint} (ns-tool --help lists them)\n`)
  process.exit(2)
}

export default hook
