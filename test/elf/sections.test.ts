// The section reader of the data rules: imported and exported dynamic symbols, against readelf's
// answer for real programs and libraries; notes as readelf -n lists them.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, realpathSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {readElfSections} from '../../src/elf/sections.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

// readelf --dyn-syms: undefined (UND) and defined symbols, versions stripped.
function readelfSymbols(path: string): {imports: string[]; exports: string[]} {
  const lines = spawnSync('readelf', ['--dyn-syms', '-W', path], {encoding: 'utf8'}).stdout.split('\n')
  const imports = new Set<string>()
  const exports = new Set<string>()
  for (const line of lines) {
    const fields = line.trim().split(/\s+/)
    if (fields.length < 8 || !/^\d+:$/.test(fields[0])) continue
    const name = fields[7].replace(/@.*$/, '')
    if (fields[6] === 'UND') imports.add(name)
    else exports.add(name)
  }
  return {imports: [...imports].sort(), exports: [...exports].sort()}
}

describe('elf/sections', function () {
  for (const path of ['/usr/bin/bash', '/usr/bin/ls', '/usr/bin/git', '/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libssl.so.3']) {
    it(`reads the symbols ${path} imports and exports as readelf does`, function () {
      if (!existsSync(path)) skipBecause(this, `${path} is not installed`)
      const real = realpathSync(path)
      const ours = readElfSections(real)
      const theirs = readelfSymbols(real)
      expect([...new Set(ours.imports)].sort()).to.deep.equal(theirs.imports)
      expect([...new Set(ours.exports)].sort()).to.deep.equal(theirs.exports)
    })
  }

  it('reads the notes readelf -n lists; a file that is not ELF has none', function () {
    const ours = readElfSections(realpathSync('/usr/bin/ls')).notes.map((note) => note.owner)
    const theirs = [...spawnSync('readelf', ['-nW', realpathSync('/usr/bin/ls')], {encoding: 'utf8'}).stdout.matchAll(/^\s+(\S+)\s+0x[0-9a-f]+\s/gm)].map((m) => m[1])
    expect(ours).to.deep.equal(theirs)
    const text = join(makeTempDir(), 'text')
    writeFileSync(text, 'not an ELF file\n')
    expect(readElfSections(text)).to.deep.equal({notes: [], imports: [], exports: []})
  })
})
