// What a build keeps and removes: --force builds into a directory ns-tool did not make and keeps
// its files (the plan's entries win where paths collide, listed as replaced); only --clean removes,
// and it lists what it removed.
import {expect} from 'chai'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../../support/cli.js'
import {makeTempDir} from '../../support/temp.js'

function foreignDir(): string {
  const dir = join(makeTempDir(), 'mine')
  mkdirSync(join(dir, 'sub'), {recursive: true})
  mkdirSync(join(dir, 'etc'))
  writeFileSync(join(dir, 'notes.txt'), 'my notes\n')
  writeFileSync(join(dir, 'sub/x'), 'x\n')
  writeFileSync(join(dir, 'etc/hostname'), 'mine\n')
  return dir
}

describe('rootfs/write: --force keeps, --clean removes and says what', function () {
  it('refuses a non-empty directory ns-tool did not make, without --force, touching nothing', function () {
    const dir = foreignDir()
    for (const extra of [[], ['--clean']]) {
      const r = cli(['build-rootfs', ...extra, '-o', dir, 'true'])
      // A refusal: bad usage (2), as for -o / (the fix is a change to the command line).
      expect(r.status).to.equal(2)
      expect(r.stderr).to.contain(dir).and.to.contain('--force')
      expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).to.equal('my notes\n')
    }
  })

  it('--force keeps every file of the directory, lists the one the plan replaced', function () {
    const dir = foreignDir()
    const r = cli(['build-rootfs', '--json', '--force', '-o', dir, 'true'])
    expect(r.status, r.stderr).to.equal(0)
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).to.equal('my notes\n')
    expect(readFileSync(join(dir, 'sub/x'), 'utf8')).to.equal('x\n')
    expect(existsSync(join(dir, 'usr/bin/true'))).to.equal(true)
    const result = JSON.parse(r.stdout)
    expect(result.replaced).to.deep.equal(['/etc/hostname'])
    expect(result.removed).to.deep.equal([])
    // The human summary names it too.
    const other = foreignDir()
    const text = cli(['build-rootfs', '--force', '-o', other, 'true'])
    expect(text.status, text.stderr).to.equal(0)
    expect(text.stderr).to.match(/replaced \/etc\/hostname/)
    // Once built, the directory is ns-tool's: /etc/hostname is its own file, updated without a word.
    writeFileSync(join(dir, 'etc/hostname'), 'edited\n')
    const again = cli(['build-rootfs', '--json', '-o', dir, 'true', 'ls'])
    expect(again.status, again.stderr).to.equal(0)
    expect(JSON.parse(again.stdout).replaced).to.deep.equal([])
    expect(readFileSync(join(dir, 'notes.txt'), 'utf8')).to.equal('my notes\n')
  })

  it('--clean removes what the build would not produce and lists it, in --json too', function () {
    const dir = foreignDir()
    const r = cli(['build-rootfs', '--json', '--force', '--clean', '-o', dir, 'true'])
    expect(r.status, r.stderr).to.equal(0)
    expect(existsSync(join(dir, 'notes.txt'))).to.equal(false)
    expect(JSON.parse(r.stdout).removed).to.deep.equal(['/notes.txt', '/sub', '/sub/x'])
    // A rebuild of an ns-tool tree: what an earlier build placed and is no longer planned goes.
    writeFileSync(join(dir, 'root/note'), 'n\n')
    const again = cli(['build-rootfs', '--clean', '-o', dir, 'ls'])
    expect(again.status, again.stderr).to.equal(0)
    expect(again.stderr).to.match(/removed .*\/root\/note/).and.to.match(/removed .*\/usr\/bin\/true/)
    expect(existsSync(join(dir, 'usr/bin/true'))).to.equal(false)
    expect(existsSync(join(dir, 'usr/bin/ls'))).to.equal(true)
  })
})
