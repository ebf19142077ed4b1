import {Command} from '@oclif/core'
import {NsToolError} from '../errors.js'

// Every ns-tool command renders its failures the same way: one line on stderr naming the input
// at fault, the exit status of design §1, and no stack trace (set NS_TOOL_DEBUG=1 for one).
export abstract class BaseCommand extends Command {
  protected override async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<unknown> {
    if (error instanceof NsToolError) {
      process.stderr.write(`ns-tool ${this.id}: ${error.message}\n`)
      if (process.env.NS_TOOL_DEBUG) process.stderr.write(`${error.stack}\n`)
      return this.exit(error.exitCode)
    }
    // oclif's own errors (unknown flag, missing argument, exit()) carry their status already.
    if (error.oclif) return super.catch(error)
    process.stderr.write(`ns-tool ${this.id}: internal error: ${error.message}\n${error.stack ?? ''}\n`)
    return this.exit(1)
  }
}
