// --trace: the traced sandbox (host read-only; /tmp and the working directory the host's under a
// throw-away layer; run's clean environment) and what the tracer records of a command and all its
// descendants, native and 32-bit, as root and as uid 65534; its time limit; how it ends.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {traceCommand} from '../../src/data/trace.js'
import {binRun, cli} from '../support/cli.js'
import {compile32} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'
import {asUser, descendants, requireRootless, runEnv} from '../support/run.js'

// A directory outside /tmp (whose writes the sandbox throws away), removed after the test.
function hostDir(): string {
  const dir = mkdtempSync('/var/tmp/ns-tool-trace-test-')
  chmodSync(dir, 0o777)
  created.push(dir)
  return dir
}
const created: string[] = []

function asNobody(args: string[]) {
  const full = asUser([process.execPath, binRun, ...args], true)
  const r = spawnSync(full[0], full.slice(1), {encoding: 'utf8', cwd: '/', timeout: 120_000, env: runEnv})
  return {status: r.status, stdout: String(r.stdout), stderr: String(r.stderr)}
}

describe('data/trace', function () {
  afterEach(() => {
    while (created.length > 0) rmSync(created.pop()!, {recursive: true, force: true})
  })

  it('records what the command and all its descendants execute, open, stat and list, relative paths made absolute', async function () {
    if (!existsSync('/usr/bin/python3')) skipBecause(this, 'python3 is not installed')
    const dir = hostDir()
    writeFileSync(join(dir, 'data.txt'), 'x\n')
    // A pipeline (two children), a subshell, a grandchild python, a cd then a relative open, a
    // directory listed, a landmark only probed.
    const command = `ls /usr/share/zoneinfo/Etc > /dev/null; (cd ${dir} && cat data.txt) | cat > /dev/null; /usr/bin/python3 -c "import os; os.stat('/usr/lib/python3.11/lib-dynload')"; test -e /usr/share/misc`
    const traced = await traceCommand(command, {output: 'ignore'})
    expect(traced.status).to.equal(0)
    const use = (path: string) => traced.paths.get(path)
    expect(use('/usr/bin/ls'), 'ls executed').to.equal('exec')
    expect(use('/usr/bin/python3'), 'python3 (a grandchild) executed').to.equal('exec')
    expect(use('/usr/share/zoneinfo/Etc'), 'listed').to.be.oneOf(['list', 'open'])
    expect(use(join(dir, 'data.txt')), 'opened by a relative path after cd').to.equal('open')
    expect(use('/usr/lib/python3.11/os.py'), 'read (or its cached bytecode checked) by python').to.be.oneOf(['open', 'stat'])
    expect(use('/usr/lib/python3.11/lib-dynload'), 'a landmark python stats').to.not.equal(undefined)
    expect(use('/usr/share/misc'), 'probed by test -e').to.equal('stat')
    expect([...traced.paths.keys()].some((path) => /^\/(proc|tmp|dev|sys)(\/|$)/.test(path)), 'the sandbox\'s own /proc, /tmp, /dev, /sys are not the host\'s').to.equal(false)
  })

  it('a 32-bit program is traced too: its opens, stats and execs through the i386 entry', async function () {
    const dir = hostDir()
    const program = join(dir, 'open32')
    compile32(this, 'run/open32.c', program)
    chmodSync(program, 0o755)
    const traced = await traceCommand(`${program} /etc/debian_version /usr/share/misc /bin/true`, {output: 'ignore'})
    expect(traced.status).to.equal(0)
    expect(traced.paths.get(program)).to.equal('exec')
    expect(traced.paths.get('/etc/debian_version'), 'opened by the 32-bit program').to.equal('open')
    expect(traced.paths.get('/usr/share/misc'), 'stat-ed by the 32-bit program').to.equal('stat')
    expect(traced.paths.get('/usr/bin/true') ?? traced.paths.get('/bin/true'), 'executed by the 32-bit program').to.equal('exec')
  })

  it('an fstat of an open descriptor names no path: a memfd\'s is not recorded', async function () {
    if (!existsSync('/usr/bin/python3')) skipBecause(this, 'python3 is not installed')
    const traced = await traceCommand(`/usr/bin/python3 -c "import os; fd = os.memfd_create('ns-tool-probe'); os.fstat(fd); os.stat('/etc/debian_version')"`, {output: 'ignore'})
    expect(traced.status).to.equal(0)
    expect(traced.paths.get('/etc/debian_version')).to.equal('stat')
    expect([...traced.paths.keys()].filter((path) => path.includes('memfd'))).to.deep.equal([])
  })

  it('the helper killed by a signal is reported with that signal\'s status (128+N), not 137', async function () {
    const pending = traceCommand('sleep 30', {output: 'ignore', timeout: 60})
    let helperPid: number | undefined
    for (let i = 0; i < 400 && helperPid === undefined; i++) {
      await new Promise((resolve) => setTimeout(resolve, 25))
      helperPid = descendants(process.pid).find((pid) => {
        try {
          return readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === 'ns-tool-helper'
        } catch {
          return false
        }
      })
    }
    expect(helperPid, 'the helper started').to.not.equal(undefined)
    process.kill(helperPid!, 'SIGALRM')
    let message = ''
    try {
      await pending
    } catch (error) {
      message = (error as Error).message
    }
    expect(message).to.equal("--trace 'sleep 30': the traced sandbox could not run it (the helper was killed by SIGALRM, status 142)")
  })

  // What run gives COMMAND (a clean environment; -e and --env-file on top), not the caller's.
  it('runs the command in run\'s environment: the caller\'s LANG and SSL_CERT_FILE change nothing; -e and --env-file apply', function () {
    if (!existsSync('/usr/lib/locale/C.utf8/LC_CTYPE')) skipBecause(this, 'the host has no compiled C.utf8 locale')
    if (!existsSync('/usr/bin/python3')) skipBecause(this, 'python3 is not installed')
    const cert = readdirSync('/etc/ssl/certs').map((name) => join('/etc/ssl/certs', name)).find((path) => path.endsWith('.pem'))
    if (!cert) skipBecause(this, 'no CA certificate in /etc/ssl/certs')
    // PYTHONCOERCECLOCALE=0: python would otherwise load C.UTF-8 whatever the environment says.
    const command = 'ls / > /dev/null; PYTHONCOERCECLOCALE=0 /usr/bin/python3 -c "import ssl; ssl.create_default_context()"'
    const traced = (args: string[], env: Record<string, string>) => {
      const r = cli(['build-rootfs', '--dry-run', '--json', '--no-data', '-o', '/tmp/never', ...args, '--trace', command, '/bin/true'], {env, cwd: '/'})
      expect(r.status, r.stderr).to.equal(0)
      return (JSON.parse(r.stdout).entries as Array<{path: string}>).map((entry) => entry.path)
    }
    const clean = traced([], {LANG: '', LC_ALL: '', SSL_CERT_FILE: ''})
    expect(clean.filter((path) => path.startsWith('/usr/lib/locale/C.utf8')), 'a clean run opens no locale').to.deep.equal([])
    expect(clean).to.not.include(cert)
    const callers = traced([], {LANG: 'C.UTF-8', SSL_CERT_FILE: cert!})
    expect(callers, 'the caller\'s environment does not reach the trace').to.deep.equal(clean)
    const dir = hostDir()
    writeFileSync(join(dir, 'env'), `SSL_CERT_FILE=${cert}\n`)
    const given = traced(['-e', 'LANG=C.UTF-8', '--env-file', join(dir, 'env')], {})
    expect(given).to.include('/usr/lib/locale/C.utf8/LC_CTYPE')
    expect(given).to.include(cert)
  })

  it('sees the host\'s /tmp and working directory (a script there runs), writes go to a throw-away layer', function () {
    if (!existsSync('/usr/bin/python3')) skipBecause(this, 'python3 is not installed')
    const dir = makeTempDir()
    expect(dir.startsWith('/tmp/')).to.equal(true)
    writeFileSync(join(dir, 'app.py'), "import json\nopen('out.txt', 'w').write('written')\nopen('/tmp/ns-tool-trace-scratch', 'w').write('x')\nprint(open('out.txt').read())\n")
    const r = cli(['build-rootfs', '--dry-run', '--json', '--no-data', '-o', '/tmp/never', '--trace', `python3 ${dir}/app.py`, '/bin/true'], {cwd: dir})
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stderr).to.include('written')
    expect(r.stderr).to.not.include('warning')
    const paths = (JSON.parse(r.stdout).entries as Array<{path: string}>).map((entry) => entry.path)
    expect(paths).to.include('/usr/lib/python3.11/json/__init__.py')
    expect(readdirSync(dir), 'the host is unchanged').to.deep.equal(['app.py'])
    expect(existsSync('/tmp/ns-tool-trace-scratch')).to.equal(false)
  })

  for (const rootless of [false, true]) {
    it(`the traced command cannot write to the host: EROFS, the host unchanged (${rootless ? 'uid 65534' : 'root'})`, function () {
      if (!rootless && !isRoot) skipBecause(this, 'needs root')
      if (rootless) requireRootless(this)
      const dir = hostDir()
      const file = join(dir, 'file')
      writeFileSync(file, 'before\n')
      chmodSync(file, 0o666)
      const before = readdirSync(dir).sort()
      // Written in the throw-away layer over the host's /tmp.
      const scratch = `/tmp/ns-tool-trace-private-${process.pid}-${rootless ? 'nobody' : 'root'}`
      const command = `echo after > ${file}; echo "write: $?"; rm -f ${file}; touch ${dir}/new; mkdir ${dir}/d; echo private > ${scratch} && cat ${scratch} && echo "home=$HOME pwd=$(pwd)"`
      const args = ['build-rootfs', '--dry-run', '--no-data', '-o', join(dir, 'out'), '--trace', command, '/bin/true']
      const r = rootless ? asNobody(args) : cli(args)
      expect(r.status, r.stderr).to.equal(0)
      expect(r.stderr).to.match(/Read-only file system/)
      expect(r.stderr).to.match(/write: [12]/)
      // run's environment (HOME of uid 0 inside), the caller's working directory (/ here).
      expect(r.stderr).to.include('private\nhome=/root pwd=/')
      expect(readFileSync(file, 'utf8')).to.equal('before\n')
      expect(readdirSync(dir).sort()).to.deep.equal(before)
      expect(existsSync(scratch), 'the host\'s /tmp is unchanged').to.equal(false)
    })
  }

  it('as uid 65534: a traced python run brings python\'s modules into the plan, with the reason', function () {
    requireRootless(this)
    if (!existsSync('/usr/bin/python3')) skipBecause(this, 'python3 is not installed')
    const r = asNobody(['build-rootfs', '--dry-run', '--json', '--no-data', '-o', '/tmp/never', '--trace', '/usr/bin/python3 -c "import json"', '/usr/bin/python3'])
    expect(r.status, r.stderr).to.equal(0)
    const entries = JSON.parse(r.stdout).entries as Array<{path: string; reason: string}>
    const json = entries.find((entry) => entry.path === '/usr/lib/python3.11/json/__init__.py')
    expect(json?.reason).to.equal('traced: /usr/bin/python3 -c "import json"')
  })

  it('as uid 65534: a file the command tried but the user may not read is left out with a warning, not a failed build', function () {
    requireRootless(this)
    const secret = '/etc/.pwd.lock'
    if (!existsSync(secret)) skipBecause(this, `${secret} is not on this host`)
    const r = asNobody(['build-rootfs', '--dry-run', '--json', '--no-data', '-o', '/tmp/never', '--trace', `cat ${secret}; cat /etc/debian_version`, '/bin/true'])
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stderr).to.include(`warning: ${secret} (traced: cat ${secret}; cat /etc/debian_version): not readable by this user, left out`)
    const paths = JSON.parse(r.stdout).entries.map((entry: {path: string}) => entry.path)
    expect(paths).to.include('/etc/debian_version')
    expect(paths).to.not.include(secret)
  })

  it('kills a command still running after --trace-timeout, with a message naming the flag', function () {
    const started = Date.now()
    const r = cli(['build-rootfs', '--dry-run', '--no-data', '--trace', 'sleep 60; echo late', '--trace-timeout', '1', '/bin/true'])
    expect(r.status).to.equal(1)
    expect(r.stderr).to.include("--trace 'sleep 60; echo late': still running after 1 s, killed (give it longer with --trace-timeout SECONDS)")
    expect(r.stderr).to.not.include('late\n')
    expect(Date.now() - started).to.be.below(50_000)
  })

  it('a command that fails is a warning: the files it used are kept', function () {
    const r = cli(['build-rootfs', '--dry-run', '--json', '--no-data', '--trace', 'cat /etc/debian_version; exit 3', '/bin/true'])
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stderr).to.include("warning: --trace 'cat /etc/debian_version; exit 3' exited with status 3; the files it used are kept")
    expect(JSON.parse(r.stdout).entries.map((e: {path: string}) => e.path)).to.include('/etc/debian_version')
  })

  it('the API takes traces (plan and build)', async function () {
    const {plan} = await import('../../src/index.js')
    const result = await plan(['/bin/true'], {output: join(makeTempDir(), 'out'), data: false, traces: ['cat /etc/debian_version'], traceOutput: 'ignore'})
    expect(result.entries.find((entry) => entry.path === '/etc/debian_version')?.reason).to.equal('traced: cat /etc/debian_version')
  })

  it('a --config file takes trace: a list of command lines (and data: false)', function () {
    const dir = makeTempDir()
    writeFileSync(join(dir, 'rootfs.yaml'), "programs: [/bin/true]\ndata: false\ntrace:\n  - cat /etc/debian_version\n  - 'test -e /usr/share/misc'\n")
    const r = cli(['build-rootfs', '--config', join(dir, 'rootfs.yaml'), '--dry-run', '--json', '-o', join(dir, 'out')])
    expect(r.status, r.stderr).to.equal(0)
    const reasons = Object.fromEntries(JSON.parse(r.stdout).entries.map((e: {path: string; reason: string}) => [e.path, e.reason]))
    expect(reasons['/etc/debian_version']).to.equal('traced: cat /etc/debian_version')
    expect(reasons['/usr/share/misc']).to.equal('traced: test -e /usr/share/misc')
  })

  it('--trace-timeout takes whole seconds; --trace and --sysroot do not go together', function () {
    const bad = cli(['build-rootfs', '--dry-run', '--trace', 'true', '--trace-timeout', 'soon', '/bin/true'])
    expect(bad.status).to.equal(2)
    expect(bad.stderr).to.include('--trace-timeout soon: expected a whole number of seconds')
    const sysroot = cli(['build-rootfs', '--dry-run', '--sysroot', makeTempDir(), '--trace', 'true', '/bin/true'])
    expect(sysroot.status).to.equal(2)
    expect(sysroot.stderr).to.include('--trace runs host commands: it cannot be combined with --sysroot')
  })
})
