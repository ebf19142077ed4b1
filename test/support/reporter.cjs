// Mocha's spec output, plus the one closing line the project promises:
// `tests: N passed, N failed, N skipped`. A skipped test's reason is printed where it is skipped.
const Mocha = require('mocha')

const {EVENT_RUN_END} = Mocha.Runner.constants

class NsToolReporter extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once(EVENT_RUN_END, () => {
      const s = this.stats
      process.stdout.write(`tests: ${s.passes} passed, ${s.failures} failed, ${s.pending} skipped\n`)
    })
  }
}

module.exports = NsToolReporter
