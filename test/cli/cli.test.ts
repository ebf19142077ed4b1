import {expect} from 'chai'
import {cli} from '../support/cli.js'

describe('cli', () => {
  it('prints its version', () => {
    const r = cli(['--version'])
    expect(r.status).to.equal(0)
    expect(r.stdout).to.match(/^ns-tool\/\d+\.\d+\.\d+ /)
  })

  it('rejects an unknown command with a non-zero exit', () => {
    const r = cli(['no-such-command'])
    expect(r.status).to.not.equal(0)
    expect(r.stderr).to.include('no-such-command')
  })

  it('suggests the closest command for a typo, without prompting', () => {
    const r = cli(['buld-rootfs'], {input: ''})
    expect(r.status).to.equal(2)
    expect(r.stderr.trim()).to.equal('ns-tool: buld-rootfs is not a command; did you mean build-rootfs? (ns-tool --help lists them)')
  })
})
