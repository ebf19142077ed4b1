// The tracer's time limit (--trace-timeout) cannot be lost: the helper's tracer, linked into a
// driver (fixtures/helper/trace-deadline.c) that holds it up just before it blocks while the
// traced command sleeps (where an alarm() checked before a blocking waitpid was lost), still
// kills the command when the time is up.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {compile, haveCompiler, helperFlags, helperSources} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'

describe('ns-tool-helper: the trace time limit', function () {
  this.timeout(90_000)

  it('a limit that falls while the tracer is about to block still ends the command (exit 124, a timeout record)', function () {
    if (!haveCompiler()) skipBecause(this, 'no C compiler to link the tracer into the driver')
    if (!isRoot) skipBecause(this, 'the driver makes a PID namespace and mounts its /proc, which needs root')
    const driver = compile({sources: ['helper/trace-deadline.c', ...helperSources()], flags: [...helperFlags(), '-Wl,--wrap=waitpid,--wrap=poll']})
    // A lost limit lets the command sleep its 60 s out: the driver is stopped at 30 s (status null).
    const r = spawnSync(driver, ['--trace', '3', '--trace-timeout', '1', '--no-pty', '/', '/bin/sleep', '60'], {encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe', 'pipe'], timeout: 30_000, killSignal: 'SIGKILL'})
    expect(r.stderr).to.include('held\n')
    expect(r.signal, 'the command was not killed when its time was up').to.equal(null)
    expect(r.stderr).to.include('the traced command was still running after 1 s: killed')
    expect(r.status).to.equal(124)
    const records = String(r.output[3]).split('\0')
    expect(records.slice(-3)).to.deep.equal(['timeout', '1', ''])
  })
})
