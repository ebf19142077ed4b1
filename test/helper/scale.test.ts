// Scale: 200 consecutive runs, each with a bind, a tmpfs and a background process of its own,
// leave no mount on the host and no process behind (the helper called directly, so that the
// proof costs seconds; test/sandbox/run.test.ts runs the CLI the same way 20 times).
import {expect} from 'chai'
import {readFileSync, readdirSync} from 'node:fs'
import {helperModes, makeRootfs, requireHelperTestable, runHelper, sharedHelper} from '../support/helper.js'
import {makeSharedTempDir} from '../support/temp.js'

const RUNS = 200

// Processes whose command line is exactly argv (read from /proc; ours or not, gone or not).
function processesRunning(argv: string[]): number[] {
  const wanted = argv.join('\0') + '\0'
  return readdirSync('/proc').filter((name) => /^\d+$/.test(name)).map(Number).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8') === wanted
    } catch {
      return false
    }
  })
}

for (const mode of helperModes) {
  describe(`ns-tool-helper at scale, ${mode.name}`, function () {
    this.timeout(300_000)

    it(`${RUNS} runs leave no mount and no process`, function () {
      requireHelperTestable(this)
      const root = makeRootfs()
      const source = makeSharedTempDir()
      const bin = sharedHelper()
      // A sleep no one else runs: its duration marks it as ours.
      const sleeper = ['sleep', String(900_000 + process.pid)]
      const ours = (line: string) => line.includes(root) || line.includes(source)
      const before = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(ours)
      for (let i = 0; i < RUNS; i++) {
        const r = runHelper(bin, mode.rootless, ['--bind', source, '/mnt', '--tmpfs', '/scratch', root, '/bin/sh', '-c', `${sleeper.join(' ')} & echo $!`])
        expect(r.status, r.stderr).to.equal(0)
      }
      expect(readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter(ours)).to.deep.equal(before)
      expect(processesRunning(sleeper), 'sleeps left running').to.deep.equal([])
      expect(readdirSync('/proc').filter((pid) => /^\d+$/.test(pid) && startedAs(pid, bin)), 'helpers left running').to.deep.equal([])
    })
  })
}

function startedAs(pid: string, path: string): boolean {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').startsWith(path + '\0')
  } catch {
    return false
  }
}
