// The start-up path of build-rootfs (no oclif) knows the same flags as the command, and parses a
// plain invocation as oclif would; anything else is left to oclif.
import {expect} from 'chai'
import BuildRootfs from '../../commands/build-rootfs.js'
import {BUILD_FLAGS, fastBuildArgs} from '../../src/cli/build-rootfs.js'

describe('build-rootfs argv', () => {
  it('knows exactly the flags of the command, with the same short names, options and defaults', () => {
    const shape = (f: {type: string; char?: string; multiple?: boolean; allowNo?: boolean; options?: readonly string[]; default?: unknown}) => ({value: f.type === 'option', char: f.char, multiple: Boolean(f.multiple), allowNo: Boolean(f.allowNo), options: f.options, default: f.default})
    const oclif = Object.fromEntries(Object.entries(BuildRootfs.flags).map(([name, f]) => [name, shape(f as Parameters<typeof shape>[0])]))
    const ours = Object.fromEntries(Object.entries(BUILD_FLAGS).map(([name, f]) => [name, {value: f.value, char: f.char, multiple: Boolean(f.multiple), allowNo: Boolean(f.allowNo), options: f.options, default: f.default}]))
    expect(ours).to.deep.equal(oclif)
  })

  it('parses plain invocations and leaves the rest to oclif', () => {
    const parsed = fastBuildArgs(['-o', 'out', 'bash', '--layout=flat', '-f', 'a:/b', '--file', 'c', '--busybox', '--no-skeleton', '-q', 'ls'])!
    expect(parsed.programs).to.deep.equal(['bash', 'ls'])
    expect(parsed.flags).to.deep.include({output: 'out', layout: 'flat', file: ['a:/b', 'c'], busybox: '', skeleton: false, quiet: true, resolver: 'elf', 'copy-mode': 'auto'})
    expect(fastBuildArgs(['--layout', 'sideways', 'ls'])).to.equal(undefined)
    expect(fastBuildArgs(['--config', 'x.yaml'])).to.equal(undefined)
    expect(fastBuildArgs(['--bogus', 'ls'])).to.equal(undefined)
  })
})
