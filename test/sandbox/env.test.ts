// COMMAND's environment, as container users expect: clean by default (PATH, HOME, HOSTNAME, TERM
// when it has a terminal), -e KEY=VALUE, -e KEY (the caller's value; unset when the caller has
// none), --env-file FILE in docker's format, and --env-host for the caller's whole environment.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {binRun} from '../support/cli.js'
import {fixturesDir} from '../support/fixtures.js'
import {asUser, busyboxTree, nsTool, requireRootless, runEnv, runModes} from '../support/run.js'
import {makeSharedTempDir} from '../support/temp.js'

const ROOT_PATH = 'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'

// The caller's environment: a variable of its own, and NODE_EXTRA_CA_CERTS as on this machine.
const caller: NodeJS.ProcessEnv = {...runEnv, CALLER_ONLY: 'from the caller', NODE_EXTRA_CA_CERTS: '/etc/ssl/certs/ca-certificates.crt', TERM: 'xterm-256color'}

function environment(args: string[], rootless = false): string[] {
  const r = nsTool(['run', ...args], rootless, {env: caller})
  expect(r.status, r.stderr).to.equal(0)
  return r.stdout.trim().split('\n').sort()
}

describe('run: environment', function () {
  this.timeout(120_000)
  let box = ''

  before(function () {
    box = busyboxTree(this)
  })

  for (const {name, rootless} of runModes) {
    it(`is clean by default: PATH, HOME and HOSTNAME only (${name})`, function () {
      if (rootless) requireRootless(this)
      expect(environment(['--hostname', 'box', box, '/bin/env'], rootless)).to.deep.equal(['HOME=/root', 'HOSTNAME=box', ROOT_PATH])
    })
  }

  it('HOME is / for a user other than root (as docker has it without a passwd entry)', function () {
    expect(environment(['--user', '1000', box, '/bin/env'])).to.deep.equal(['HOME=/', 'HOSTNAME=ns-tool', ROOT_PATH])
  })

  it('-e KEY=VALUE sets, -e KEY takes the caller\'s value, -e ABSENT sets nothing, later wins', function () {
    const env = environment(['-e', 'A=1', '-e', 'CALLER_ONLY', '-e', 'NOT_IN_CALLER', '-e', 'B=x=y', '-e', 'A=2', '-e', 'HOME=/home/me', box, '/bin/env'])
    expect(env).to.deep.equal(['A=2', 'B=x=y', 'CALLER_ONLY=from the caller', 'HOME=/home/me', 'HOSTNAME=ns-tool', ROOT_PATH])
  })

  it('--env-file reads docker\'s format (comments, KEY=VALUE verbatim, KEY from the caller); -e wins over it', function () {
    const file = join(makeSharedTempDir(), 'app.env')
    writeFileSync(file, '# a comment\n\nGREETING=hello world\nQUOTED="kept as is"\nCALLER_ONLY\nNOT_IN_CALLER\nA=from file\n')
    const env = environment(['--env-file', file, '-e', 'A=from flag', box, '/bin/env'])
    expect(env).to.deep.equal(['A=from flag', 'CALLER_ONLY=from the caller', 'GREETING=hello world', 'HOME=/root', 'HOSTNAME=ns-tool', ROOT_PATH, 'QUOTED="kept as is"'])
  })

  it('--env-file errors name the file and the line; a missing file is one line too', function () {
    const file = join(makeSharedTempDir(), 'bad.env')
    writeFileSync(file, 'GOOD=1\nBAD KEY=2\n')
    const bad = nsTool(['run', '--env-file', file, box, '/bin/env'], false)
    expect(bad.status).to.equal(2)
    expect(bad.stderr.trim()).to.equal(`ns-tool run: --env-file ${file}, line 2: "BAD KEY" is not a variable name (KEY=VALUE or KEY)`)
    // Node reads --env-file even after a script's path (nodejs/node#54232); bin/run.js's shebang
    // ends Node's own options with `--`, so the CLI as installed sees it: run through the shebang.
    const direct = spawnSync(binRun, ['run', '--env-file', `${file}.absent`, box, '/bin/env'], {encoding: 'utf8', env: runEnv, cwd: '/'})
    const missing = {status: direct.status, stderr: direct.stderr}
    expect(missing.status, missing.stderr).to.equal(2)
    expect(missing.stderr).to.match(/^ns-tool run: --env-file /)
    expect(missing.stderr.trim().split('\n')).to.have.length(1)
    expect(missing.stderr).to.contain(`${file}.absent`)
  })

  it('--env-host passes the caller\'s whole environment, -e on top', function () {
    const env = environment(['--env-host', '-e', 'A=1', box, '/bin/env'])
    expect(env).to.include.members(['A=1', 'CALLER_ONLY=from the caller', 'NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt', `PATH=${caller.PATH}`])
  })

  it('TERM is the caller\'s when COMMAND has a terminal', function () {
    const argv = asUser([process.execPath, binRun, 'run', box, '/bin/env'], false)
    const r = spawnSync('/usr/bin/python3', [join(fixturesDir, 'run', 'pty-driver.py'), '--', ...argv], {encoding: 'utf8', env: caller, cwd: '/'})
    const env = (JSON.parse(r.stdout).terminal as string).trim().split('\r\n').sort()
    expect(env).to.deep.equal(['HOME=/root', 'HOSTNAME=ns-tool', ROOT_PATH, 'TERM=xterm-256color'])
  })
})
