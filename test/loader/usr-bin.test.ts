// For every dynamic ELF program in /usr/bin: the elf resolver's closure (interpreter + libraries,
// by real path) equals what ldd (the real loader, in trace mode) loads.
import {expect} from 'chai'
import {realpathSync} from 'node:fs'
import {resolve} from '../../src/loader/index.js'
import {dynamicPrograms} from './helpers.js'
import {parseLddOutput, runLdd} from '../../src/ldd/parse.js'
import {spawnSync} from 'node:child_process'

function real(path: string): string {
  try {
    return realpathSync(path)
  } catch {
    return path
  }
}

describe('resolve: every dynamic ELF program of /usr/bin against ldd', function () {
  this.timeout(600_000)

  it('gives the same interpreter and libraries, by real path', async function () {
    const programs = dynamicPrograms('/')
    expect(programs.length).to.be.greaterThan(100)
    const sections = await runLdd(programs)
    const mismatches: string[] = []
    let compared = 0
    let missingAgreed = 0
    const lddWrong: string[] = []
    for (const [i, program] of programs.entries()) {
      const lines = sections[i].lines
      if (lines.some((l) => l.type === 'error')) continue
      // A library ldd cannot find must be missing in our closure too, by the same name.
      const lddMissing = lines.flatMap((l) => (l.type === 'not-found' ? [l.name] : []))
      if (lddMissing.length > 0) {
        const closure = await resolve([program])
        const ourMissing = [...new Set(closure.missing.map((m) => m.soname))].sort()
        if (ourMissing.join(' ') === [...new Set(lddMissing)].sort().join(' ')) {
          missingAgreed++
          continue
        }
        // ldd runs `ld.so PATH`, so $ORIGIN is the directory of the symlink it was given; a real
        // start resolves it from the real path. Ask the loader as a real start does.
        const traced = spawnSync(program, [], {encoding: 'utf8', env: {PATH: process.env.PATH, LD_TRACE_LOADED_OBJECTS: '1'}})
        const lines2 = parseLddOutput(traced.stdout + traced.stderr, [program])[0].lines
        const loaderSays = new Set(lines2.flatMap((l) => (l.type === 'library' || l.type === 'path' ? [real(l.path)] : [])))
        const ours = new Set(closure.files.filter((f) => f.kind !== 'program').map((f) => real(f.path)))
        if (realpathSync(program) === program || [...loaderSays].sort().join(' ') !== [...ours].sort().join(' ') || ourMissing.length > 0) {
          mismatches.push(`${program}: ldd misses ${lddMissing.join(' ')}, we miss ${ourMissing.join(' ') || 'nothing'}; a real start loads ${[...loaderSays].join(' ')}`)
        }
        lddWrong.push(program)
        continue
      }
      const fromLdd = new Set(lines.flatMap((l) => (l.type === 'library' ? [real(l.path)] : l.type === 'path' ? [real(l.path)] : [])))
      const closure = await resolve([program])
      const ours = new Set(closure.files.filter((f) => f.kind !== 'program').map((f) => real(f.path)))
      compared++
      const a = [...fromLdd].sort().join(' ')
      const b = [...ours].sort().join(' ')
      if (a !== b) mismatches.push(`${program}\n  ldd:  ${a}\n  ours: ${b}`)
    }
    console.log(`      compared ${compared} of ${programs.length} dynamic programs, ${missingAgreed} missing the same libraries, ${lddWrong.length} where ldd is wrong ($ORIGIN through a symlink; a real start agrees with us): ${lddWrong.slice(0, 3).join(' ')}...`)
    expect(mismatches, mismatches.join('\n')).to.deep.equal([])
    expect(compared).to.be.greaterThan(100)
  })
})
