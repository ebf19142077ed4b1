// The base of every ns-tool command: its command line parsed from its option table, and its
// failures rendered by the one renderer (src/cli/report.ts).
import {Command} from '@oclif/core'
import {UsageError} from '../errors.js'
import {oclifArgv, parseArgv, withConfigFile, type Parsed} from './argv.js'
import {fromOclif} from './oclif-flags.js'
import type {OptionTable} from '../options/index.js'
import {reportError} from './report.js'

export abstract class BaseCommand extends Command {
  private table?: OptionTable

  // The command line, parsed by oclif from the flags derived from the command's table. A line
  // oclif refuses is explained by the table's own parser, in the words the fast path uses.
  protected async parseTable<T extends OptionTable>(table: T): Promise<Parsed<T>> {
    this.table = table
    try {
      return await withConfigFile(table, fromOclif(table, await this.parse(undefined, oclifArgv(table, this.argv))))
    } catch (error) {
      if (!(error as {oclif?: unknown}).oclif) throw error
      await parseArgv(table, this.argv)
      throw new UsageError(String((error as Error).message).split('\n')[0], 'usage')
    }
  }

  protected override async catch(error: Error & {oclif?: {exit?: number}}): Promise<unknown> {
    // oclif's exit() (after help, for instance) is no failure.
    if (error.oclif?.exit === 0) return super.catch(error)
    const table = this.table
    return this.exit(reportError(error, {command: this.id, usage: table?.usage, failedStatus: table?.failedStatus}))
  }
}
