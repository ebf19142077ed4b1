import {expect} from 'chai'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {makeTempDir} from '../support/temp.js'

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

  it('shell completion (the oclif autocomplete plugin) completes commands and their flags', () => {
    const home = makeTempDir()
    const setup = cli(['autocomplete', 'bash'], {env: {HOME: home}})
    expect(setup.status, setup.stderr).to.equal(0)
    const functions = join(home, '.cache', 'ns-tool', 'autocomplete', 'functions', 'bash', 'ns-tool.bash')
    const script = readFileSync(functions, 'utf8')
    expect(script).to.contain('build-rootfs')
    expect(script).to.match(/run .*--ephemeral/)
    expect(cli(['autocomplete', 'script', 'bash'], {env: {HOME: home}}).stdout).to.contain('autocomplete setup')
  })

  it('a flag that needs a value does not take the next flag for it: `-o --force ls` is bad usage, and nothing is written', function () {
    const work = makeTempDir()
    const r = cli(['build-rootfs', '-o', '--force', 'ls'], {cwd: work})
    expect(r.status, r.stderr).to.equal(2)
    expect(r.stderr).to.contain('--output')
    expect(readdirSync(work)).to.deep.equal([])
  })

  it('a switch given a value is bad usage, not a positional in disguise', function () {
    const work = makeTempDir()
    const r = cli(['build-rootfs', '--force=no', '-o', join(work, 'out'), 'true'])
    expect(r.status, r.stderr).to.equal(2)
    expect(r.stderr.split('\n')[0]).to.equal('ns-tool build-rootfs: --force takes no value: write --force')
    expect(existsSync(join(work, 'out'))).to.equal(false)
  })
})
