// Terminals: COMMAND gets a pty of its own only when stdin and stdout are both terminals (a
// terminal on stdin with output to a file keeps plain \n line ends); --pty / --no-pty override.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {binRun} from '../support/cli.js'
import {fixturesDir} from '../support/fixtures.js'
import {asUser, busyboxTree, requireRootless, runEnv, runModes} from '../support/run.js'
import {makeSharedTempDir} from '../support/temp.js'

// argv with a terminal of pty-driver.py's as stdin, and as stdout too unless `stdout` (a file).
function atTerminal(argv: string[], stdout?: string): {status: number; terminal: string; file: string} {
  const driver = [join(fixturesDir, 'run', 'pty-driver.py'), ...(stdout ? ['--stdout', stdout] : []), '--timeout', '30', '--']
  const r = spawnSync('/usr/bin/python3', [...driver, ...argv], {encoding: 'utf8', env: runEnv, cwd: '/'})
  const result = JSON.parse(r.stdout)
  return {...result, file: stdout ? readFileSync(stdout, 'utf8') : ''}
}

const probe = 'echo a; [ -t 0 ] && echo stdin-terminal; [ -t 1 ] && echo stdout-terminal; ls /dev/pts | grep -v ptmx | wc -l'

describe('run: terminals', function () {
  this.timeout(120_000)
  let box = ''

  before(function () {
    box = busyboxTree(this)
  })

  for (const {name, rootless} of runModes) {
    describe(name, () => {
      const nsTool = (args: string[]) => asUser([process.execPath, binRun, 'run', ...args], rootless)
      let out = ''
      before(function () {
        if (rootless) requireRootless(this)
      })
      beforeEach(() => {
        out = join(makeSharedTempDir(), 'out')
      })

      it('a terminal on stdin and a file on stdout: no pty, the file gets what the command wrote', function () {
        const r = atTerminal(nsTool([box, '/bin/sh', '-c', probe]), out)
        expect(r.status, r.terminal).to.equal(0)
        expect(r.file).to.equal('a\nstdin-terminal\n0\n')
      })

      it('terminals on both: a pty of its own, in the sandbox\'s devpts', function () {
        const r = atTerminal(nsTool([box, '/bin/sh', '-c', probe]))
        expect(r.status).to.equal(0)
        expect(r.terminal).to.equal('a\r\nstdin-terminal\r\nstdout-terminal\r\n1\r\n')
      })

      it('--pty gives one even with stdout a file; --no-pty none even with both terminals', function () {
        const forced = atTerminal(nsTool(['--pty', box, '/bin/sh', '-c', probe]), out)
        expect(forced.file).to.equal('a\r\nstdin-terminal\r\nstdout-terminal\r\n1\r\n')
        const refused = atTerminal(nsTool(['--no-pty', box, '/bin/sh', '-c', probe]))
        expect(refused.terminal).to.equal('a\r\nstdin-terminal\r\nstdout-terminal\r\n0\r\n')
      })
    })
  }
})
