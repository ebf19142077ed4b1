// Signals and PID 1: a signal whose default action is to terminate ends COMMAND even when it is
// PID 1 with no handler for it, whether it comes from outside, from a terminal or from COMMAND
// itself, with the status the same command gets outside a namespace.
import {expect} from 'chai'
import {spawnSync, type ChildProcess} from 'node:child_process'
import {constants} from 'node:os'
import {join} from 'node:path'
import {binRun} from '../support/cli.js'
import {compile, fixturesDir} from '../support/fixtures.js'
import {asUser, busyboxTree, nsTool, requireRootless, runEnv, runModes, spawnNsTool} from '../support/run.js'
import {makeSharedTempDir} from '../support/temp.js'

function ready(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    let out = ''
    child.stdout!.on('data', (chunk) => {
      out += chunk
      if (out.includes('ready')) resolve()
    })
  })
}

// The exit status, or 'still running' when it has not ended in `ms` (it is then killed).
function exited(child: ChildProcess, ms: number): Promise<number | string> {
  return new Promise((resolve) => {
    const guard = setTimeout(() => {
      child.kill('SIGKILL')
      resolve('still running')
    }, ms)
    // 'close': the output is all in once the process has exited and its pipes are drained.
    child.on('close', (code, signal) => {
      clearTimeout(guard)
      resolve(code ?? `signal ${signal}`)
    })
  })
}

describe('run: signals', function () {
  this.timeout(180_000)
  let box = ''
  let crash = ''

  before(function () {
    box = busyboxTree(this)
    crash = compile({sources: ['run/crash.c'], flags: ['-static'], output: join(box, 'crash')})
  })

  for (const {name, rootless} of runModes) {
    describe(name, () => {
      before(function () {
        if (rootless) requireRootless(this)
      })

      it('SIGTERM, SIGINT and SIGHUP sent to ns-tool end a PID 1 that has no handler, with 128+N', async function () {
        for (const signal of ['SIGTERM', 'SIGINT', 'SIGHUP'] as const) {
          const child = spawnNsTool(['run', box, '/bin/sh', '-c', 'echo ready; exec sleep 1000'], rootless)
          await ready(child)
          process.kill(child.pid!, signal)
          expect(await exited(child, 20_000), signal).to.equal(128 + constants.signals[signal])
        }
      })

      it('a signal PID 1 ignores changes nothing; one it handles reaches the handler', async function () {
        const ignoring = spawnNsTool(['run', box, '/bin/sh', '-c', 'trap "" TERM; echo ready; sleep 1; echo done'], rootless)
        let out = ''
        ignoring.stdout!.on('data', (chunk) => (out += chunk))
        await ready(ignoring)
        process.kill(ignoring.pid!, 'SIGTERM')
        expect(await exited(ignoring, 20_000)).to.equal(0)
        expect(out).to.equal('ready\ndone\n')
        const trapping = spawnNsTool(['run', box, '/bin/sh', '-c', 'trap "exit 7" TERM; echo ready; while true; do sleep 0.1; done'], rootless)
        await ready(trapping)
        process.kill(trapping.pid!, 'SIGTERM')
        expect(await exited(trapping, 20_000)).to.equal(7)
      })

      it('a command that signals itself ends with the status it gets outside a namespace', function () {
        const cases = [
          ['/bin/sh', '-c', 'kill -TERM $$; echo survived'],
          ['/bin/sh', '-c', 'kill -USR1 $$; echo survived'],
          ['/bin/sh', '-c', 'kill -SEGV $$; echo survived'],
          ['/bin/sh', '-c', 'kill -CHLD $$; echo survived'],
          ['/crash', 'abort'],
          ['/crash', 'fault'],
          ['/crash', 'raise', String(constants.signals.SIGQUIT)],
        ]
        // The same program outside, where core files (if any) land in a directory of ours.
        const cwd = makeSharedTempDir()
        for (const argv of cases) {
          const host = argv[0] === '/crash' ? [crash, ...argv.slice(1)] : ['/bin/busybox', 'sh', ...argv.slice(1)]
          const outside = spawnSync(host[0], host.slice(1), {cwd, encoding: 'utf8'})
          const expected = outside.status ?? 128 + constants.signals[outside.signal!]
          const inside = nsTool(['run', box, ...argv], rootless, {cwd})
          expect(inside.status, `${argv.join(' ')} (outside: ${expected})`).to.equal(expected)
          expect(inside.stdout, argv.join(' ')).to.equal(outside.stdout)
        }
      })

      // Through a terminal that pty-driver.py gives ns-tool, where it types Ctrl-C once the line
      // "ready" is shown whole (typed after "ready" alone, the echoed ^C could come before the
      // line's end, which the terminal flushes separately).
      const atTerminal = (argv: string[]) => {
        const r = spawnSync('/usr/bin/python3', [join(fixturesDir, 'run', 'pty-driver.py'), '--marker', 'ready\\r\\n', '--input', '\\x03', '--timeout', '20', '--', ...argv],
          {encoding: 'utf8', env: runEnv, cwd: '/'})
        return JSON.parse(r.stdout) as {status: number; terminal: string}
      }

      it('Ctrl-C at a terminal ends a PID 1 that has no handler, with 130', function () {
        const r = atTerminal(asUser([process.execPath, binRun, 'run', box, '/bin/sh', '-c', 'echo ready; exec sleep 1000'], rootless))
        expect(r.status, r.terminal).to.equal(130)
      })

      it('Ctrl-C at a terminal, with no pty of COMMAND\'s own, reaches its whole process group as it would outside', function () {
        const outside = atTerminal([crash, 'family'])
        expect(outside.terminal).to.contain('child: signal 2')
        const inside = atTerminal(asUser([process.execPath, binRun, 'run', '--no-pty', box, '/crash', 'family'], rootless))
        expect(inside).to.deep.equal(outside)
      })
    })
  }
})
