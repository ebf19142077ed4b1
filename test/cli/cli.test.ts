import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
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

  it('prints a bash completion script that completes commands and their flags', () => {
    const script = cli(['autocomplete', 'bash']).stdout
    const complete = (words: string[]) =>
      spawnSync('bash', ['-c', `${script}\nCOMP_WORDS=(${words.join(' ')}); COMP_CWORD=${words.length - 1}; _ns_tool_complete; echo "\${COMPREPLY[@]}"`], {encoding: 'utf8'}).stdout.trim()
    expect(complete(['ns-tool', 'bui'])).to.equal('build-rootfs')
    expect(complete(['ns-tool', 'run', '--eph'])).to.equal('--ephemeral')
    expect(complete(['ns-tool', 'export', '--fo'])).to.equal('--force --format')
  })
})
