// export's output path: a missing parent directory is bad usage (exit 2), and nothing is created.
import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {makeTempDir} from '../support/temp.js'

describe('export -o', function () {
  it('refuses an output whose directory does not exist, creating nothing', function () {
    const work = makeTempDir()
    const rootfs = join(work, 'rootfs')
    expect(cli(['build-rootfs', '-q', '--no-skeleton', '-o', rootfs, '--file', '/etc/hostname']).status).to.equal(0)
    for (const format of ['tar', 'oci', 'bundle']) {
      const missing = join(work, 'missing', 'dir')
      const r = cli(['export', rootfs, '--format', format, '-o', join(missing, 'out')])
      expect(r.status, `${format}: ${r.stderr}`).to.equal(2)
      expect(r.stderr).to.contain(missing).and.to.contain('does not exist')
      expect(r.stderr.trim().split('\n')).to.have.length(1)
      expect(existsSync(join(work, 'missing')), format).to.equal(false)
    }
  })
})
