// Every path the helper creates or opens inside the rootfs is walked one component at a time
// beneath its parent's fd: a symlink or ".." in the tree never leads it to the host.
import {expect} from 'chai'
import {existsSync, mkdirSync, readdirSync, rmdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {basename, dirname, join} from 'node:path'
import {helperModes, makeRootfs, requireHelperTestable, runHelper, sharedHelper} from '../support/helper.js'
import {makeSharedTempDir} from '../support/temp.js'

for (const mode of helperModes) {
  describe(`ns-tool-helper paths inside the rootfs, ${mode.name}`, function () {
    this.timeout(30_000)
    let root = ''
    let bin = ''

    beforeEach(function () {
      requireHelperTestable(this)
      root = makeRootfs()
      bin = sharedHelper()
    })

    const helperRun = (args: string[]) => runHelper(bin, mode.rootless, args)

    it('creates nothing on the host through a symlinked component (--tmpfs, --bind of a directory, of a file)', function () {
      const host = makeSharedTempDir()
      symlinkSync(host, join(root, 'evil'))
      const source = makeSharedTempDir()
      writeFileSync(join(source, 'file'), 'x')
      for (const args of [['--tmpfs', '/evil/probe'], ['--bind', source, '/evil/dir'], ['--bind', join(source, 'file'), '/evil/file'], ['--tmpfs', '/evil/a/b']]) {
        const r = helperRun([...args, root, '/bin/true'])
        expect(readdirSync(host), args.join(' ')).to.deep.equal([])
        expect(r.status, args.join(' ')).to.equal(125)
        expect(r.stderr, args.join(' ')).to.match(/^ns-tool-helper: .*\/evil is a symlink/)
      }
    })

    it('refuses ".." in a destination, making nothing beside the tree', function () {
      const name = `escape-${process.pid}-${mode.rootless ? 'rootless' : 'root'}`
      const beside = join(dirname(root), name)
      try {
        const r = helperRun(['--tmpfs', `/../${name}`, root, '/bin/true'])
        expect(existsSync(beside), `${beside} was created`).to.equal(false)
        expect(r.status).to.equal(125)
        expect(r.stderr).to.contain('..')
      } finally {
        // Only what this test's helper run made (the bug being tested), never anything else.
        if (existsSync(beside)) rmdirSync(beside)
      }
    })

    it('creates the missing parents of a destination inside the tree', function () {
      const source = makeSharedTempDir()
      writeFileSync(join(source, 'file'), 'bound\n')
      const r = helperRun(['--tmpfs', '/a/b/c', '--bind', join(source, 'file'), '/new/dir/file', root,
        '/bin/sh', '-c', 'cat /new/dir/file; grep -c " /a/b/c " /proc/self/mountinfo'])
      expect(r.stderr).to.equal('')
      expect(r.stdout).to.equal('bound\n1\n')
      expect(existsSync(join(root, 'a', 'b', 'c'))).to.equal(true)
      expect(existsSync(join(root, 'new', 'dir', 'file'))).to.equal(true)
    })

    it('resolves --chdir after the pivot: a symlink in it leads into the tree, not to the host', function () {
      const host = makeSharedTempDir()
      writeFileSync(join(host, 'host-marker'), 'x')
      // The same absolute path, inside the tree.
      mkdirSync(join(root, 'tmp', basename(host)))
      writeFileSync(join(root, 'tmp', basename(host), 'tree-marker'), 'x')
      symlinkSync(host, join(root, 'evil'))
      const r = helperRun(['--chdir', '/evil', root, '/bin/ls'])
      expect(r.stdout, r.stderr).to.equal('tree-marker\n')
    })
  })
}
