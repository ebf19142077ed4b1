// A mistyped command (`ns-tool buld-rootfs bash`) gets the closest command's name, exit 2.
// Our own hook rather than @oclif/plugin-not-found: loading that plugin costs ~100 ms at every
// start, and it prints no suggestion without a terminal.
import type {Hook} from '@oclif/core'
import {UsageError} from '../errors.js'
import {reportError} from './report.js'
import {didYouMean} from '../suggest.js'

const hook: Hook<'command_not_found'> = async function (options) {
  // With spaces between topics, oclif joins the words that follow into the id (buld-rootfs:bash).
  const name = options.id.split(':')[0]
  process.exit(reportError(new UsageError(`${name} is not a command${didYouMean(name, options.config.commandIDs)} (ns-tool --help lists them)`)))
}

export default hook
