import {Command} from '@oclif/core'
import {NsToolError} from '../errors.js'
import {oclifArgv, type Parsed} from './argv.js'
import {fromOclif} from './oclif-flags.js'
import type {OptionTable} from './options/index.js'

// Every ns-tool command renders its failures the same way: one line on stderr naming the input
// at fault, the exit status, and no stack trace (set NS_TOOL_DEBUG=1 for one).
export abstract class BaseCommand extends Command {
  // The command line, parsed by oclif from the flags derived from the command's table.
  protected async parseTable<T extends OptionTable>(table: T): Promise<Parsed<T>> {
    return fromOclif(table, await this.parse(undefined, oclifArgv(table, this.argv)))
  }

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
