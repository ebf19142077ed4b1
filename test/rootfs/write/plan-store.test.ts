// A plan is kept for later builds of the same request into any directory (a script building the
// same programs into fresh directories plans once), and used only while every input it was read
// from is unchanged; a build with --trace keeps none.
import {expect} from 'chai'
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../../support/cli.js'
import {compile} from '../../support/fixtures.js'
import {makeTempDir} from '../../support/temp.js'

interface Entry {
  path: string
  reason: string
}

describe('rootfs/write: plans kept for later builds', function () {
  const dir = makeTempDir()
  const cache = join(dir, 'cache')
  const env = {XDG_CACHE_HOME: cache}
  const program = join(dir, 'app', 'bin', 'tool')
  const stored = () => readdirSync(join(cache, 'ns-tool', 'plans')).filter((name) => name.endsWith('.json'))
  const plan = (output: string) => {
    const r = cli(['build-rootfs', '--no-data', '--dry-run', '--json', '-o', output, program], {env})
    expect(r.status, r.stderr).to.equal(0)
    return JSON.parse(r.stdout) as {output: string; entries: Entry[]}
  }

  before(function () {
    mkdirSync(join(dir, 'app', 'bin'), {recursive: true})
    compile({sources: ['resolve/plain.c'], output: program})
  })

  it('a build into a new directory follows the plan an earlier build of the same request kept', function () {
    const first = cli(['build-rootfs', '-q', '--no-data', '-o', join(dir, 'one'), program], {env})
    expect(first.status, first.stderr).to.equal(0)
    expect(stored()).to.have.length(1)
    const fresh = plan(join(dir, 'two'))
    // What the second build follows is the kept plan: a mark put into it shows.
    const file = join(cache, 'ns-tool', 'plans', stored()[0])
    const kept = JSON.parse(readFileSync(file, 'utf8')) as {entries: Entry[]}
    const marked = kept.entries.find((entry) => entry.path === program)!
    marked.reason += ' (kept)'
    writeFileSync(file, JSON.stringify(kept))
    const again = plan(join(dir, 'two'))
    expect(again.output).to.equal(join(dir, 'two'))
    expect(again.entries.find((entry) => entry.path === program)?.reason).to.equal(`${fresh.entries.find((entry) => entry.path === program)?.reason} (kept)`)
    expect(again.entries.map((entry) => entry.path)).to.deep.equal(fresh.entries.map((entry) => entry.path))
    const second = cli(['build-rootfs', '-q', '--no-data', '-o', join(dir, 'two'), program], {env})
    expect(second.status, second.stderr).to.equal(0)
    expect(readdirSync(join(dir, 'two'), {recursive: true}).sort()).to.deep.equal(readdirSync(join(dir, 'one'), {recursive: true}).sort())
  })

  it('is not used once an input changed: the program rebuilt with a library of its own gets it', function () {
    const lib = join(dir, 'app', 'lib', 'libname.so')
    mkdirSync(join(dir, 'app', 'lib'), {recursive: true})
    compile({sources: ['resolve/name.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libname.so'], output: lib})
    compile({sources: ['resolve/main.c', lib], flags: ['-Wl,-rpath,$ORIGIN/../lib'], output: program})
    const after = plan(join(dir, 'three'))
    expect(after.entries.map((entry) => entry.path)).to.include(lib)
    expect(after.entries.find((entry) => entry.path === program)?.reason).to.not.include('(kept)')
  })

  it('a build with --trace keeps no plan (what a traced command saw is no input a stat can check)', function () {
    const traced = {XDG_CACHE_HOME: join(dir, 'cache-traced')}
    const r = cli(['build-rootfs', '-q', '--no-data', '--trace', 'true', '-o', join(dir, 'traced'), program], {env: traced})
    expect(r.status, r.stderr).to.equal(0)
    expect(readdirSync(join(dir, 'cache-traced', 'ns-tool')).includes('plans'), 'no plans directory').to.equal(false)
  })
})
