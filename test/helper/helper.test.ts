// ns-tool-helper black-box, against its command line (--help): real namespaces,
// a busybox rootfs, as root and as uid 65534 with --userns.
import {expect} from 'chai'
import type {StdioOptions} from 'node:child_process'
import {closeSync, openSync, existsSync, mkdirSync, readFileSync, readdirSync, rmdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {helperModes, makeRootfs, requireHelperTestable, runHelper, sharedHelper} from '../support/helper.js'
import {makeSharedTempDir} from '../support/temp.js'

for (const mode of helperModes) {
  describe(`ns-tool-helper, ${mode.name}`, function () {
    this.timeout(30_000)
    let root = ''
    let bin = ''

    beforeEach(function () {
      requireHelperTestable(this)
      root = makeRootfs()
      bin = sharedHelper()
    })

    const helperRun = (args: string[], stdio?: StdioOptions) => runHelper(bin, mode.rootless, args, stdio)

    it('runs COMMAND as PID 1 with the hostname applied and few pids visible', function () {
      const r = helperRun(['--hostname', 'box', root, '/bin/sh', '-c', 'echo $$; hostname; ls /proc | grep -c "^[0-9]"'])
      expect(r.stderr).to.equal('')
      const [pid, name, count] = r.stdout.trim().split('\n')
      expect(pid).to.equal('1')
      expect(name).to.equal('box')
      expect(Number(count)).to.be.at.most(3)
      expect(readFileSync('/proc/sys/kernel/hostname', 'utf8').trim()).to.not.equal('box')
    })

    it('returns the command status, 127 for a missing and 126 for a non-executable command', function () {
      expect(helperRun([root, '/bin/sh', '-c', 'exit 42']).status).to.equal(42)
      // COMMAND dies of the signals it sends itself, as PID 1 and as PID 2 under --init
      expect(helperRun([root, '/bin/sh', '-c', 'kill -TERM $$']).status).to.equal(143)
      expect(helperRun(['--init', root, '/bin/sh', '-c', 'kill -TERM $$']).status).to.equal(143)
      expect(helperRun(['--init', root, '/bin/sh', '-c', 'echo $$; kill -KILL $$']).status).to.equal(137)
      const missing = helperRun([root, '/bin/absent'])
      expect(missing.status).to.equal(127)
      expect(missing.stderr).to.contain('/bin/absent')
      writeFileSync(join(root, 'bin', 'plain'), 'not a program\n', {mode: 0o644})
      const plain = helperRun([root, '/bin/plain'])
      expect(plain.status).to.equal(126)
      expect(plain.stderr).to.contain('/bin/plain')
    })

    it('sets no_new_privs, shows only lo, and closes the fds the caller left open', function () {
      const r = helperRun([root, '/bin/sh', '-c', 'grep NoNewPrivs /proc/self/status; ls /sys/class/net; ls /proc/self/fd'],
        ['ignore', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe', 'pipe'])
      expect(r.stdout).to.match(/NoNewPrivs:\s+1/)
      const lines = r.stdout.trim().split('\n').slice(1)
      expect(lines[0]).to.equal('lo')
      // 0 1 2 and the fd ls itself opened on the directory
      expect(lines.slice(1).map(Number).sort()).to.deep.equal([0, 1, 2, 3])
    })

    it('fails closed (125) when the rootfs has proc symlinked to a host dir, touching nothing there', function () {
      const host = makeSharedTempDir()
      writeFileSync(join(host, 'marker'), 'x')
      const before = readdirSync(host)
      const evil = makeRootfs()
      // replace proc by a symlink to the host dir
      rmdirSync(join(evil, 'proc'))
      symlinkSync(host, join(evil, 'proc'))
      const r = helperRun([evil, '/bin/true'])
      expect(r.status).to.equal(125)
      expect(r.stderr).to.match(/^ns-tool-helper: /)
      expect(readdirSync(host)).to.deep.equal(before)
    })

    it('keeps core_pattern and sysrq-trigger unwritable, and 20 runs leave host mountinfo unchanged', function () {
      const r = helperRun([root, '/bin/sh', '-c',
        'echo x > /proc/sys/kernel/core_pattern 2>/dev/null && echo core-writable; echo h > /proc/sysrq-trigger 2>/dev/null && echo sysrq-writable; echo done'])
      expect(r.stdout.trim()).to.equal('done')
      const before = readFileSync('/proc/self/mountinfo', 'utf8')
      for (let i = 0; i < 20; i++) expect(helperRun([root, '/bin/true']).status).to.equal(0)
      expect(readFileSync('/proc/self/mountinfo', 'utf8')).to.equal(before)
    })

    it('gives a leaked directory fd no way to read host files', function () {
      const host = makeSharedTempDir()
      writeFileSync(join(host, 'secret'), 'host-secret\n', {mode: 0o644})
      const fd = openSync(host, 'r')
      try {
        const r = helperRun([root, '/bin/sh', '-c', 'cat /proc/self/fd/5/secret; cat /proc/1/fd/5/secret; echo end'],
          ['ignore', 'pipe', 'pipe', 'ignore', 'ignore', fd])
        expect(r.stdout).to.not.contain('host-secret')
        expect(r.stdout.trim()).to.equal('end')
      } finally {
        closeSync(fd)
      }
    })

    it('applies --setenv, --clearenv, --chdir and --read-only', function () {
      mkdirSync(join(root, 'work'), {mode: 0o777})
      const r = helperRun(['--clearenv', '--setenv', 'GREETING', 'hi', '--chdir', '/work', '--read-only', root,
        '/bin/sh', '-c', 'echo $GREETING; pwd; touch /x 2>/dev/null && echo writable || echo read-only'])
      expect(r.stdout.trim().split('\n')).to.deep.equal(['hi', '/work', 'read-only'])
      expect(existsSync(join(root, 'x'))).to.equal(false)
    })
  })
}
