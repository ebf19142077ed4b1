// The fast path's flag table (src/cli/run.ts) and the oclif command's flags describe one command line.
import {expect} from 'chai'
import Run from '../../commands/run.js'
import {RUN_FLAGS, splitRunArgv} from '../../src/cli/run.js'

describe('run argv', () => {
  it('knows exactly the flags of the run command, with the same values and short names', () => {
    const oclif = Object.entries(Run.flags).map(([name, f]) => ({name, value: f.type === 'option', char: f.char, multiple: Boolean((f as {multiple?: boolean}).multiple), options: (f as {options?: string[]}).options}))
    const ours = Object.entries(RUN_FLAGS).map(([name, f]) => ({name, value: f.value, char: f.char, multiple: Boolean(f.multiple), options: f.options}))
    expect(ours).to.deep.equal(oclif)
  })

  it('splits flags, ROOTFS and COMMAND, keeping COMMAND\'s words verbatim', () => {
    expect(splitRunArgv(['-e', 'A=1', '--init', 'R', '/bin/echo', 'a', 'b', 'a', '-e', '--help'])).to.deep.equal({flagWords: ['--env=A=1', '--init'], rootfs: 'R', command: ['/bin/echo', 'a', 'b', 'a', '-e', '--help'], unknown: undefined})
    expect(splitRunArgv(['R', '--', '/bin/ls', '--', 'x']).command).to.deep.equal(['/bin/ls', '--', 'x'])
    expect(splitRunArgv(['--', 'R', '/bin/ls']).rootfs).to.equal('R')
    expect(splitRunArgv(['--bogus', 'R']).unknown).to.equal('--bogus')
  })
})
