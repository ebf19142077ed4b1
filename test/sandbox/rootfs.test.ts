// What run checks about ROOTFS before it starts anything: that it is a directory, and whether its
// files are the host's own inodes (a tree built with --copy-mode hardlink), which COMMAND must not
// be able to change unless the user says so.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {requireStaticBusybox} from '../support/busybox.js'
import {cli} from '../support/cli.js'
import {compile} from '../support/fixtures.js'
import {busyboxTree, nsTool, requireRootless, runModes} from '../support/run.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeSharedTempDir} from '../support/temp.js'

describe('run: ROOTFS', function () {
  this.timeout(120_000)

  before(function () {
    if (!isRoot) skipBecause(this, 'these tests switch to uid 65534 with setpriv')
    requireStaticBusybox(this)
  })

  it('a file given as ROOTFS is "not a directory", exit 2, with no advice to build there', function () {
    const file = join(makeSharedTempDir(), 'tree.tar')
    writeFileSync(file, 'not a tree')
    const r = cli(['run', file, '/bin/true'])
    expect(r.status).to.equal(2)
    expect(r.stderr.trim()).to.equal(`ns-tool run: ${file}: not a directory (ROOTFS is the directory of a tree, such as one ns-tool build-rootfs made)`)
  })

  // A read-only bind mount carries flags a user namespace may not clear (read-only, nosuid, nodev,
  // noexec, atime): every remount of the helper must keep them, as runc does.
  it('rootless: a tree behind a read-only bind mount (nosuid, nodev, noatime) runs, also with --read-only', function () {
    requireRootless(this)
    const tree = busyboxTree(this)
    const point = makeSharedTempDir()
    const mount = (args: string[]) => expect(spawnSync('mount', args, {encoding: 'utf8'}).status, `mount ${args.join(' ')}`).to.equal(0)
    mount(['--bind', tree, point])
    try {
      mount(['-o', 'remount,bind,ro,nosuid,nodev,noatime', point])
      for (const extra of [[], ['--read-only']]) {
        const r = nsTool(['run', ...extra, point, '/bin/sh', '-c', 'echo inside; touch /x 2>/dev/null || echo refused'], true)
        expect(r.stderr, extra.join(' ')).to.equal('')
        expect(r.status, extra.join(' ')).to.equal(0)
        expect(r.stdout).to.equal('inside\nrefused\n')
      }
    } finally {
      spawnSync('umount', [point])
    }
  })

  for (const {name, rootless} of runModes) {
    describe(name, () => {
      before(function () {
        if (rootless) requireRootless(this)
      })

      // A program of the host's (a file of ours, owned by the user who builds) linked into a tree
      // built with --copy-mode hardlink, with busybox for a shell.
      function hardLinkTree(): {tree: string; program: string} {
        const dir = makeSharedTempDir()
        const program = join(dir, 'prog')
        copyFileSync(compile({sources: ['run/crash.c'], flags: ['-static']}), program)
        chmodSync(program, 0o755)
        if (rootless) spawnSync('chown', ['65534:65534', program])
        const tree = join(dir, 'tree')
        const built = nsTool(['build-rootfs', '-q', '--copy-mode', 'hardlink', '--busybox', '-o', tree, '-f', `${program}:/usr/bin/prog`], rootless)
        expect(built.status, built.stderr).to.equal(0)
        expect(statSync(join(tree, 'usr/bin/prog')).ino, 'the tree holds the host\'s inode').to.equal(statSync(program).ino)
        return {tree, program}
      }

      it('a hard-link tree is mounted read-only, with a one-line notice: the host\'s program stays as it was', function () {
        const {tree, program} = hardLinkTree()
        const before = readFileSync(program)
        const r = nsTool(['run', tree, '/bin/sh', '-c', 'echo X >> /usr/bin/prog; echo X > /new'], rootless)
        expect(readFileSync(program).equals(before), 'the host\'s program was changed').to.equal(true)
        expect(r.stderr).to.contain('Read-only file system')
        const notice = r.stderr.split('\n').filter((line) => line.startsWith('ns-tool run:'))
        expect(notice).to.deep.equal([`ns-tool run: ${tree} shares its files with the host (built with --copy-mode hardlink): mounted read-only (--writable to allow writes, --ephemeral to discard them)`])
        expect(existsSync(join(tree, 'new'))).to.equal(false)
      })

      it('--writable lets COMMAND write (the host\'s file too); --ephemeral keeps both unchanged, with no notice', function () {
        const {tree, program} = hardLinkTree()
        const before = readFileSync(program)
        const ephemeral = nsTool(['run', '--ephemeral', tree, '/bin/sh', '-c', 'echo X >> /usr/bin/prog && echo written'], rootless)
        expect(ephemeral.stdout).to.equal('written\n')
        expect(ephemeral.stderr).to.not.contain('ns-tool run:')
        expect(readFileSync(program).equals(before)).to.equal(true)
        const writable = nsTool(['run', '--writable', tree, '/bin/sh', '-c', 'echo X >> /usr/bin/prog && echo written'], rootless)
        expect(writable.stdout, writable.stderr).to.equal('written\n')
        expect(writable.stderr).to.equal('')
        expect(readFileSync(program).length).to.equal(before.length + 2)
      })
    })
  }
})
