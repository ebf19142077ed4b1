// --help, -h and `ns-tool help COMMAND`: oclif's help with an EXIT STATUS section taken from the
// command's option table, and "did you mean" (exit 2) for a command that does not exist.
import {CommandHelp, Help} from '@oclif/core'
import {UsageError} from '../errors.js'
import {USAGE_STATUS} from '../options/index.js'
import {reportError} from './report.js'
import {didYouMean} from '../suggest.js'

type Sections = ReturnType<CommandHelp['sections']>

class NsToolCommandHelp extends CommandHelp {
  protected override sections(): Sections {
    const sections = super.sections()
    const exits = (this.command as {exits?: Record<string, string>}).exits
    if (!exits) return sections
    const at = sections.findIndex((section) => section.header === 'EXAMPLES')
    sections.splice(at < 0 ? sections.length : at, 0, {header: 'EXIT STATUS', generate: () => this.exitStatus(exits)})
    return sections
  }

  // Numbered statuses in order (2 is every command's), then the symbolic ones (N, 128+N).
  private exitStatus(exits: Record<string, string>): string {
    const all: Record<string, string> = {...exits, 2: USAGE_STATUS}
    const rank = (key: string) => (/^\d+$/.test(key) ? Number(key) : Infinity)
    const keys = Object.keys(all).sort((a, b) => rank(a) - rank(b))
    return this.renderList(keys.map((key) => [key, all[key]]), {indentation: 2, spacer: '', multiline: false, stripAnsi: this.opts.stripAnsi})
  }
}

export default class NsToolHelp extends Help {
  protected override CommandHelpClass = NsToolCommandHelp

  override async showHelp(argv: string[]): Promise<void> {
    const subject = argv.find((word) => !word.startsWith('-'))
    if (subject !== undefined && !this.config.findCommand(subject) && !this.config.findTopic(subject)) {
      process.exit(reportError(new UsageError(`${subject} is not a command${didYouMean(subject, this.config.commandIDs)} (ns-tool --help lists them)`)))
    }
    await super.showHelp(argv)
  }
}
