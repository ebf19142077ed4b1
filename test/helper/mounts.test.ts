// The helper's mounts that combine: --ephemeral's overlay with --bind, whatever the bind source.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {helperModes, makeRootfs, requireHelperTestable, runHelper, sharedHelper} from '../support/helper.js'
import {makeSharedTempDir} from '../support/temp.js'

for (const mode of helperModes) {
  describe(`ns-tool-helper mounts, ${mode.name}`, function () {
    this.timeout(30_000)
    let root = ''
    let bin = ''

    beforeEach(function () {
      requireHelperTestable(this)
      root = makeRootfs()
      // Rootless, overlay copy-up needs the tree's owner mapped: the user's own tree.
      if (mode.rootless) expect(spawnSync('chown', ['-R', '65534:65534', root]).status).to.equal(0)
      bin = sharedHelper()
    })

    const helperRun = (args: string[]) => runHelper(bin, mode.rootless, args)

    it('--ephemeral with binds from /tmp (which the overlay\'s own tmpfs covers), read-write and read-only', function () {
      const data = makeSharedTempDir()
      expect(data.startsWith('/tmp/')).to.equal(true)
      writeFileSync(join(data, 'in'), 'from host\n', {mode: 0o666})
      const r = helperRun(['--ephemeral', '--bind', data, '/mnt', '--ro-bind', join(data, 'in'), '/in', root,
        '/bin/sh', '-c', 'cat /mnt/in /in; echo back > /mnt/out; echo x > /in || echo refused; touch /written'])
      expect(r.stdout, r.stderr).to.equal('from host\nfrom host\nrefused\n')
      expect(readFileSync(join(data, 'out'), 'utf8')).to.equal('back\n')
      expect(readFileSync(join(data, 'in'), 'utf8')).to.equal('from host\n')
      expect(existsSync(join(root, 'written')), 'the tree is left untouched').to.equal(false)
      expect(existsSync(join(root, 'mnt')), 'the bind point is made in the overlay only').to.equal(false)
    })
  })
}
