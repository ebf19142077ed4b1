// A rebuild reuses a file of the previous tree only when it is the very file ns-tool wrote, reached
// without a symlink: a tree whose directories were swapped for links to the host gets copies.
import {expect} from 'chai'
import {lstatSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../../support/cli.js'
import {makeTempDir} from '../../support/temp.js'

const LIBDIR = '/usr/lib/x86_64-linux-gnu'

describe('rootfs/write: reuse of the previous tree', function () {
  for (const clean of [false, true]) {
    it(`never takes a host file through a directory swapped for a symlink${clean ? ' (--clean)' : ''}`, function () {
      const out = join(makeTempDir(), 'rootfs')
      const first = cli(['build-rootfs', '-q', '-o', out, 'bash'])
      expect(first.status, first.stderr).to.equal(0)
      const libc = readdirSync(join(out, LIBDIR)).find((name) => name === 'libc.so.6')
      expect(libc, 'the tree has libc where the host has it').to.equal('libc.so.6')
      // The tree's library directory becomes a link to the host's own.
      rmSync(join(out, LIBDIR), {recursive: true})
      symlinkSync(LIBDIR, join(out, LIBDIR))
      const host = statSync(join(LIBDIR, 'libc.so.6'))
      const again = cli(['build-rootfs', '--json', ...(clean ? ['--clean'] : []), '-o', out, 'bash'])
      expect(again.status, again.stderr).to.equal(0)
      expect(lstatSync(join(out, LIBDIR)).isDirectory(), 'a real directory again').to.equal(true)
      const copy = lstatSync(join(out, LIBDIR, 'libc.so.6'))
      expect(copy.ino, 'libc.so.6 is not the host\'s inode').to.not.equal(host.ino)
      expect(copy.nlink).to.equal(1)
      expect(statSync(join(LIBDIR, 'libc.so.6')).nlink, 'the host file got no new link').to.equal(host.nlink)
      expect(readFileSync(join(out, LIBDIR, 'libc.so.6')).equals(readFileSync(join(LIBDIR, 'libc.so.6')))).to.equal(true)
      // The manifest records the tree's own inode of each file it wrote.
      const manifest = JSON.parse(readFileSync(join(out, 'var/lib/ns-tool/manifest.json'), 'utf8'))
      const record = manifest.files.find((f: {path: string}) => f.path === `${LIBDIR}/libc.so.6`)
      expect(record.tree.ino).to.equal(copy.ino)
      expect(record.tree.dev).to.equal(copy.dev)
    })
  }

  it('reuses the very files it wrote (same inode), and copies a file replaced in the tree', function () {
    const out = join(makeTempDir(), 'rootfs')
    expect(cli(['build-rootfs', '-q', '-o', out, 'bash']).status).to.equal(0)
    const before = lstatSync(join(out, LIBDIR, 'libc.so.6')).ino
    // Another program: the plan changes, so the tree is rebuilt; bash's files are unchanged.
    const r = cli(['build-rootfs', '--json', '-o', out, 'bash', 'ls'])
    expect(r.status, r.stderr).to.equal(0)
    expect(lstatSync(join(out, LIBDIR, 'libc.so.6')).ino).to.equal(before)
    expect(JSON.parse(r.stdout).stats.reused).to.be.greaterThan(2)
    // A file replaced in the tree (another inode, same name, other bytes) is not the file ns-tool
    // wrote: it is copied again from the host, with the new program.
    const bash = join(out, 'usr/bin/bash')
    const changed = Buffer.concat([readFileSync(bash), Buffer.from('X')])
    rmSync(bash)
    writeFileSync(bash, changed, {mode: 0o755})
    const third = cli(['build-rootfs', '--json', '-o', out, 'bash', 'ls', 'true'])
    expect(third.status, third.stderr).to.equal(0)
    expect(JSON.parse(third.stdout).stats.copied, 'bash and true').to.equal(2)
    expect(readFileSync(bash).equals(readFileSync('/usr/bin/bash'))).to.equal(true)
  })
})
