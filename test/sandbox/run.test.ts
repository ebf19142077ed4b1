// `run` and `chroot` black-box: real namespaces, as root and as uid 65534 (rootless).
import {expect} from 'chai'
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, mkdirSync, openSync, closeSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {requireStaticBusybox} from '../support/busybox.js'
import {binRun, cli} from '../support/cli.js'
import {compile} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeSuiteTempDir} from '../support/temp.js'
import {alive, asUser, descendants, hostMounts, nsTool, requireRootless, runEnv as env, runModes} from '../support/run.js'

describe('run', function () {
  this.timeout(180_000)
  let shared: string
  let bash: string
  let box: string
  let escape: string
  let tiocsti: string
  const started: number[] = []

  before(function () {
    if (!isRoot) skipBecause(this, 'these tests build their trees as root and switch to uid 65534 with setpriv')
    shared = makeSuiteTempDir('ns-tool-run-')
    bash = join(shared, 'bash')
    box = join(shared, 'box')
    const a = cli(['build-rootfs', '-q', '-o', bash, 'bash', 'ls', 'ps'])
    expect(a.status, a.stderr).to.equal(0)
    requireStaticBusybox(this)
    const b = cli(['build-rootfs', '-q', '-o', box, '--busybox'])
    expect(b.status, b.stderr).to.equal(0)
    escape = compile({sources: ['run/escape.c'], flags: ['-static'], output: join(box, 'escape')})
    tiocsti = compile({sources: ['run/tiocsti.c'], flags: ['-static'], output: join(box, 'tiocsti')})
    chmodSync(escape, 0o755)
    chmodSync(tiocsti, 0o755)
  })

  after(() => {
    // The suite's temp dirs are removed by the shared hook; kill anything still running of ours.
    for (const pid of started) if (alive(pid)) process.kill(pid, 'SIGKILL')
  })

  for (const {name, rootless} of runModes) {
    describe(name, () => {
      before(function () {
        if (rootless) requireRootless(this)
      })

      it('the seed demo: bash is PID 1, ps its child, only the rootfs is visible', function () {
        const r = nsTool(['run', bash, '/bin/bash', '-c', 'ps -ef; ls -a /'], rootless)
        expect(r.status, r.stderr).to.equal(0)
        const lines = r.stdout.trim().split('\n')
        expect(lines[1]).to.match(/^root\s+1\s+0 .*\/bin\/bash -c ps -ef; ls -a \/$/)
        expect(lines[2]).to.match(/^root\s+\d+\s+1 .*ps -ef$/)
        const listed = lines.slice(3).filter((n) => n !== '.' && n !== '..').sort()
        expect(listed).to.deep.equal(readdirSync(bash).sort())
      })

      it('is PID 1 with at most 3 pids visible, its own hostname, loopback only, NoNewPrivs, no host IPC', function () {
        const script = 'echo $$; ls /proc | grep -c "^[0-9]"; hostname; ip -o link | cut -d: -f2; grep NoNewPrivs /proc/self/status; cat /proc/sysvipc/shm | wc -l'
        const hostHostname = readFileSync('/proc/sys/kernel/hostname', 'utf8')
        const made = spawnSync('ipcmk', ['-M', '4096'], {encoding: 'utf8'})
        const id = /(\d+)/.exec(made.stdout)?.[1]
        try {
          const r = nsTool(['run', '--hostname', 'inside', box, '/bin/sh', '-c', script], rootless)
          expect(r.status, r.stderr).to.equal(0)
          const [pid, count, host, links, nnp, shm] = r.stdout.trim().split('\n')
          expect(pid).to.equal('1')
          expect(Number(count)).to.be.at.most(3)
          expect(host).to.equal('inside')
          expect(links.trim()).to.equal('lo')
          expect(nnp).to.match(/NoNewPrivs:\s+1/)
          expect(shm.trim(), 'only the header line of /proc/sysvipc/shm').to.equal('1')
          expect(readFileSync('/proc/sys/kernel/hostname', 'utf8')).to.equal(hostHostname)
        } finally {
          if (id) spawnSync('ipcrm', ['-m', id])
        }
      })

      it('exits with the command\'s status, 128+N, 127 and 126', function () {
        expect(nsTool(['run', box, '/bin/sh', '-c', 'exit 42'], rootless).status).to.equal(42)
        expect(nsTool(['run', box, '/bin/sh', '-c', '/bin/sh -c "kill -TERM \\$\\$"; exit $?'], rootless).status).to.equal(143)
        expect(nsTool(['run', '--init', box, '/bin/sh', '-c', 'kill -KILL $$'], rootless).status).to.equal(137)
        const missing = nsTool(['run', box, '/no/such/command'], rootless)
        expect(missing.status).to.equal(127)
        expect(missing.stderr).to.contain('/no/such/command')
        expect(nsTool(['run', box, '/etc/passwd'], rootless).status).to.equal(126)
      })

      it('has the six device nodes, the /dev links, and proc mounted nosuid,nodev,noexec', function () {
        const r = nsTool(['run', box, '/bin/sh', '-c', 'for n in null zero full random urandom tty; do stat -L -c "%n %t,%T" /dev/$n; done; for l in fd stdin stdout stderr ptmx; do readlink /dev/$l; done; grep " /proc " /proc/self/mountinfo'], rootless)
        expect(r.status, r.stderr).to.equal(0)
        const lines = r.stdout.trim().split('\n')
        expect(lines.slice(0, 6)).to.deep.equal(['/dev/null 1,3', '/dev/zero 1,5', '/dev/full 1,7', '/dev/random 1,8', '/dev/urandom 1,9', '/dev/tty 5,0'])
        expect(lines.slice(6, 11)).to.deep.equal(['/proc/self/fd', '/proc/self/fd/0', '/proc/self/fd/1', '/proc/self/fd/2', 'pts/ptmx'])
        expect(lines[11]).to.match(/ \/proc \S*nosuid,nodev,noexec/)
      })

      it('closes the caller\'s extra fds: /proc/self/fd shows 0 1 2 and the reader\'s own', function () {
        const five = openSync('/etc', 'r')
        const six = openSync('/etc/hostname', 'r')
        try {
          const argv = [binRun, 'run', box, '/bin/sh', '-c', 'ls /proc/self/fd; cat /proc/self/fd/5/hostname 2>&1']
          const full = asUser([process.execPath, ...argv], rootless)
          const r = spawnSync(full[0], full.slice(1), {encoding: 'utf8', env, cwd: '/', stdio: ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', five, six]})
          expect(r.status).to.not.equal(null)
          const lines = r.stdout.trim().split('\n')
          expect(lines.slice(0, 4)).to.deep.equal(['0', '1', '2', '3'])
          expect(r.stdout).to.not.contain(readFileSync('/etc/hostname', 'utf8').trim() + '\n')
        } finally {
          closeSync(five)
          closeSync(six)
        }
      })

      it('applies -e, -w, --read-only, --ephemeral, --bind and --bind :ro', function () {
        const data = join(shared, `data-${rootless ? 'rootless' : 'root'}`)
        mkdirSync(data, {recursive: true})
        chmodSync(data, 0o777)
        writeFileSync(join(data, 'in'), 'from host\n')
        const env1 = nsTool(['run', '-e', 'GREETING=hi there', '-w', '/etc', box, '/bin/sh', '-c', 'echo "$GREETING"; pwd'], rootless)
        expect(env1.stdout).to.equal('hi there\n/etc\n')
        const ro = nsTool(['run', '--read-only', box, '/bin/sh', '-c', 'touch /etc/x && echo wrote'], rootless)
        expect(ro.stdout).to.not.contain('wrote')
        expect(ro.stderr).to.match(/Read-only file system/)
        // Rootless, overlay copy-up needs the files' owner mapped: use a tree the user owns (as a
        // rootless user's own build would be).
        const own = rootless ? join(shared, 'box-65534') : box
        if (rootless && !existsSync(own)) {
          expect(spawnSync('cp', ['-a', box, own]).status).to.equal(0)
          expect(spawnSync('chown', ['-R', '65534:65534', own]).status).to.equal(0)
        }
        const eph = nsTool(['run', '--ephemeral', own, '/bin/sh', '-c', 'echo gone > /tmp/ephemeral && cat /tmp/ephemeral'], rootless)
        expect(eph.stdout, eph.stderr).to.equal('gone\n')
        expect(eph.stderr).to.not.contain('warning')
        expect(existsSync(join(own, 'tmp', 'ephemeral'))).to.equal(false)
        if (rootless) {
          // Someone else's tree: the write fails, and the helper said why beforehand.
          const foreign = nsTool(['run', '--ephemeral', box, '/bin/sh', '-c', 'echo x > /tmp/ephemeral'], rootless)
          expect(foreign.stderr).to.match(/warning: --ephemeral: .* belongs to another user.*EOVERFLOW/)
        }
        const rw = nsTool(['run', '--bind', `${data}:/data`, box, '/bin/sh', '-c', 'cat /data/in; echo back > /data/out'], rootless)
        expect(rw.stdout, rw.stderr).to.equal('from host\n')
        expect(readFileSync(join(data, 'out'), 'utf8')).to.equal('back\n')
        const bindRo = nsTool(['run', '--bind', `${data}:/data:ro`, box, '/bin/sh', '-c', 'cat /data/in; echo x > /data/out2'], rootless)
        expect(bindRo.stdout).to.equal('from host\n')
        expect(existsSync(join(data, 'out2'))).to.equal(false)
      })

      it('passes COMMAND\'s arguments verbatim, with or without --', function () {
        expect(nsTool(['run', box, '/bin/echo', 'a', 'b', 'a', '-e', '--help'], rootless).stdout).to.equal('a b a -e --help\n')
        expect(nsTool(['run', box, '--', '/bin/echo', 'a', 'b', 'a'], rootless).stdout).to.equal('a b a\n')
        expect(nsTool(['run', '--', box, '/bin/echo', '--', 'x'], rootless).stdout).to.equal('-- x\n')
      })

      it('keeps a chroot escape contained, /proc/sys and sysrq-trigger unwritable, the caller\'s cwd unreachable', function () {
        const marker = join(shared, `outside-marker-${process.pid}`)
        writeFileSync(marker, 'host')
        try {
          const r = nsTool(['run', box, '/escape', marker], rootless, {cwd: shared})
          expect(r.stdout.trim(), r.stderr).to.equal('contained')
          const w = nsTool(['run', box, '/bin/sh', '-c', 'echo x > /proc/sys/kernel/core_pattern || echo refused; if [ -e /proc/sysrq-trigger ]; then echo x > /proc/sysrq-trigger || echo refused; else echo refused; fi; ls /proc/self/cwd/ | head -3; pwd'], rootless, {cwd: shared})
          expect(w.stdout.split('\n').slice(0, 2)).to.deep.equal(['refused', 'refused'])
          expect(w.stdout).to.not.contain(`outside-marker-${process.pid}`)
        } finally {
          rmSync(marker, {force: true})
        }
      })

      it('a rootfs whose proc, dev, sys or dev/null is a symlink to a host path changes nothing there', function () {
        for (const link of ['proc', 'dev', 'sys', 'dev/null']) {
          const tree = join(shared, `hostile-${link.replace('/', '-')}-${rootless}`)
          const target = join(shared, `target-${link.replace('/', '-')}-${rootless}`)
          mkdirSync(join(tree, 'bin'), {recursive: true})
          copyFileSync('/bin/busybox', join(tree, 'bin', 'busybox'))
          chmodSync(join(tree, 'bin', 'busybox'), 0o755)
          symlinkSync('busybox', join(tree, 'bin', 'sh'))
          mkdirSync(target)
          chmodSync(target, 0o777)
          // The other mount points are there, so the link is what stops the run (uid 65534 could
          // not make a missing one in this root-owned tree either).
          for (const dir of ['proc', 'dev', 'sys']) if (dir !== link) mkdirSync(join(tree, dir))
          if (link === 'dev/null') {
            writeFileSync(join(target, 'file'), 'host file')
            symlinkSync(join(target, 'file'), join(tree, 'dev', 'null'))
          } else {
            symlinkSync(target, join(tree, link))
          }
          const before = readdirSync(target).join(',')
          const r = nsTool(['run', tree, '/bin/sh', '-c', 'echo ran'], rootless)
          expect(readdirSync(target).join(','), link).to.equal(before)
          if (link === 'dev/null') expect(readFileSync(join(target, 'file'), 'utf8')).to.equal('host file')
          // A link where the helper makes a mount point stops the run naming it; dev/null lies
          // under the fresh tmpfs /dev, so the tree's link is never reached and the command runs.
          if (link === 'dev/null') expect({status: r.status, stdout: r.stdout}, r.stderr).to.deep.equal({status: 0, stdout: 'ran\n'})
          else {
            expect(r.status, r.stderr).to.equal(125)
            expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1)
            expect(r.stderr).to.contain(`/${link} is a symlink`)
          }
          expect(hostMounts()).to.not.contain(target)
        }
      })

      it('20 runs leave no mount of theirs on the host', function () {
        // The mounts this suite's trees could leave (other suites may mount meanwhile elsewhere).
        const ours = () => hostMounts().split('\n').filter((line) => line.startsWith(shared)).join('\n')
        const before = ours()
        for (let i = 0; i < 20; i++) expect(nsTool(['run', box, '/bin/true'], rootless).status).to.equal(0)
        expect(ours()).to.equal(before)
      })

      it('gives COMMAND its own pty under a terminal; TIOCSTI cannot reach the caller\'s terminal', function () {
        const runner = asUser([process.execPath], rootless).join(' ')
        const tty = spawnSync('script', ['-qec', `${runner} ${binRun} run ${box} /bin/tty`, '/dev/null'], {encoding: 'utf8', env, cwd: '/'})
        expect(tty.stdout.trim()).to.match(/^\/dev\/pts\/\d+$/)
        // Whatever the command pushes into "its" terminal must not be read by the caller's shell.
        for (const pty of ['--pty', '--no-pty']) {
          const shell = `${runner} ${binRun} run ${pty} ${box} /tiocsti; read -t 1 line; echo "caller read: [$line]"`
          const r = spawnSync('script', ['-qec', shell, '/dev/null'], {encoding: 'utf8', env, cwd: '/', input: ''})
          expect(r.stdout, pty).to.contain('caller read: []')
          expect(r.stdout, pty).to.not.contain('caller read: [echo INJECTED')
        }
      })

      it('SIGTERM to ns-tool reaches a trap; SIGKILL to ns-tool leaves no process behind; background jobs end with COMMAND', async function () {
        const argv = [binRun, 'run', box, '/bin/sh', '-c', 'trap "echo trapped; exit 7" TERM; echo ready; while true; do sleep 0.1; done']
        const spawnIt = (args: string[]) => {
          const full = asUser([process.execPath, ...args], rootless)
          return spawn(full[0], full.slice(1), {env, cwd: '/'})
        }
        const ready = (child: ReturnType<typeof spawn>) =>
          new Promise<string>((resolve) => {
            let out = ''
            child.stdout!.on('data', (c) => {
              out += c
              if (out.includes('ready')) resolve(out)
            })
          })
        const term = spawnIt(argv)
        started.push(term.pid!)
        await ready(term)
        // setpriv execs node, so the pid is ns-tool's.
        process.kill(term.pid!, 'SIGTERM')
        const [code, out, err] = await new Promise<[number | null, string, string]>((resolve) => {
          let text = ''
          let errors = ''
          term.stdout!.on('data', (c) => (text += c))
          term.stderr!.on('data', (c) => (errors += c))
          // 'close', not 'exit': the output may still be on its way when the process has exited.
          term.on('close', (c) => resolve([c, text, errors]))
        })
        expect(out, `exit ${code}, stderr: ${err}`).to.contain('trapped')
        expect(code).to.equal(7)

        const killed = spawnIt(argv)
        started.push(killed.pid!)
        await ready(killed)
        const inside = descendants(killed.pid!)
        expect(inside.length).to.be.greaterThan(1)
        process.kill(killed.pid!, 'SIGKILL')
        await new Promise((resolve) => killed.on('exit', resolve))
        await new Promise((resolve) => setTimeout(resolve, 500))
        expect(inside.filter(alive), 'processes left behind').to.deep.equal([])

        const bg = nsTool(['run', box, '/bin/sh', '-c', 'sleep 1000 & echo $!'], rootless)
        expect(bg.status).to.equal(0)
        const leftover = spawnSync('sh', ['-c', 'ps -eo args | grep -c "^sleep 1000$"'], {encoding: 'utf8'})
        expect(leftover.stdout.trim()).to.equal('0')
      })
    })
  }

  it('chroot -- ls / builds a busybox rootfs in the cache directory on first use, then runs', function () {
    const cache = join(shared, 'cache')
    const r = cli(['chroot', '--', 'ls', '/'], {env: {XDG_CACHE_HOME: cache}})
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stdout.split('\n')).to.include.members(['bin', 'proc', 'etc'])
    expect(existsSync(join(cache, 'ns-tool', 'chroot', 'bin', 'busybox'))).to.equal(true)
    const again = cli(['chroot', '--', 'echo', 'a', 'b', 'a'], {env: {XDG_CACHE_HOME: cache}})
    expect(again.stdout).to.equal('a b a\n')
  })

  it('chroot as uid 65534 finds busybox on PATH past a directory it may not enter', function () {
    requireRootless(this)
    const closed = join(shared, 'closed-dir')
    mkdirSync(closed, {mode: 0o700})
    const r = nsTool(['chroot', '--rootfs', join(shared, 'chroot-rootless'), '--', '/bin/sh', '-c', 'echo inside'], true, {env: {...env, PATH: `${closed}:${process.env.PATH}`}})
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('inside\n')
  })

  it('rejects bad flag values with exit 2, one line and the usage line', function () {
    for (const args of [['--bind', 'nope'], ['--user', 'root'], ['-e', '=VALUE']]) {
      const r = cli(['run', ...args, box, '/bin/true'])
      expect(r.status, args.join(' ')).to.equal(2)
      const lines = r.stderr.trim().split('\n')
      expect(lines[0]).to.contain(args[1])
      expect(lines.slice(1), r.stderr).to.deep.equal(['usage: ns-tool run [FLAGS] ROOTFS [COMMAND [ARG...]]  (ns-tool help run for more)'])
    }
    expect(cli(['run', join(shared, 'absent'), '/bin/true']).status).to.equal(2)
  })
})
