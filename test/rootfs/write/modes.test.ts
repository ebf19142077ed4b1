// Modes and owners: setuid/setgid bits only with --keep-setuid, and then really kept as root (the
// owner is set first: chown(2) clears both bits); owners kept as root.
import {expect} from 'chai'
import {chmodSync, chownSync, lstatSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../../support/cli.js'
import {compile} from '../../support/fixtures.js'
import {isRoot, skipBecause} from '../../support/skip.js'
import {makeTempDir} from '../../support/temp.js'

describe('rootfs/write: modes', function () {
  it('--keep-setuid keeps setuid and setgid as root, with the owner; without it both go', function () {
    if (!isRoot) skipBecause(this, 'a setuid file of another owner needs root to make and to copy with its owner')
    const work = makeTempDir()
    mkdirSync(join(work, 'bin'))
    const tool = compile({sources: ['resolve/plain.c'], output: join(work, 'bin/suid-tool')})
    chownSync(tool, 1000, 1000)
    chmodSync(tool, 0o6755)
    for (const [flags, mode] of [[['--keep-setuid'], 0o6755], [[], 0o0755]] as const) {
      for (const copyMode of ['copy', 'hardlink']) {
        const out = join(work, `out-${flags.length}-${copyMode}`)
        const r = cli(['build-rootfs', '-q', ...flags, '--copy-mode', copyMode, '-o', out, tool])
        expect(r.status, r.stderr).to.equal(0)
        const copy = lstatSync(join(out, tool))
        expect((copy.mode & 0o7777).toString(8), `${flags.join(' ')} ${copyMode}`).to.equal(mode.toString(8))
        expect([copy.uid, copy.gid]).to.deep.equal([1000, 1000])
      }
    }
  })
})
