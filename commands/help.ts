import {Args, Command, loadHelpClass} from '@oclif/core'

export default class HelpCommand extends Command {
  static override summary = 'Show the help of ns-tool or of one of its commands.'

  static override usage = 'help [COMMAND]'

  static override args = {
    command: Args.string({description: 'the command (default: list them all)', ignoreStdin: true}),
  }

  static override examples = [{description: "run's flags and exit statuses", command: '<%= config.bin %> <%= command.id %> run'}]

  async run(): Promise<void> {
    const {args} = await this.parse(HelpCommand)
    const Help = await loadHelpClass(this.config)
    await new Help(this.config, this.config.pjson.oclif.helpOptions).showHelp(args.command ? [args.command] : [])
  }
}
