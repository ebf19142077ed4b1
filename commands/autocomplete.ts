import {Args} from '@oclif/core'
import {BaseCommand} from '../src/cli/base-command.js'

export default class Autocomplete extends BaseCommand {
  static override summary = 'Print a shell completion script (bash or zsh) for ns-tool.'

  static override description = `Completes command names, and each command's flags. Load it from your shell's start-up file:
  bash: eval "$(ns-tool autocomplete bash)"    (~/.bashrc)
  zsh:  eval "$(ns-tool autocomplete zsh)"     (~/.zshrc; uses bashcompinit)`

  static override args = {
    shell: Args.string({description: 'the shell', options: ['bash', 'zsh'], default: 'bash'}),
  }

  static override examples = [{description: 'Enable completion in bash', command: 'eval "$(<%= config.bin %> <%= command.id %> bash)"'}]

  async run(): Promise<void> {
    const {args} = await this.parse(Autocomplete)
    const {completionScript} = await import('../src/cli/completion.js')
    const commands = this.config.commands
      .filter((command) => !command.hidden)
      .map((command) => ({id: command.id, flags: Object.entries(command.flags).flatMap(([name, flag]) => [`--${name}`, ...(flag.char ? [`-${flag.char}`] : [])])}))
    process.stdout.write(completionScript(this.config.bin, commands, args.shell as 'bash' | 'zsh'))
  }
}
