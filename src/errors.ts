// Errors that reach the user. Each carries the exit status of design §1 and a message that names the
// thing at fault and, where there is one, the fix. Anything else escaping a command is a bug.

export class NsToolError extends Error {
  readonly exitCode: number

  constructor(message: string, exitCode = 1) {
    super(message)
    this.name = new.target.name
    this.exitCode = exitCode
  }
}

// Bad usage: a flag combination, an argument or a config value that can never work (exit 2).
export class UsageError extends NsToolError {
  constructor(message: string) {
    super(message, 2)
  }
}
