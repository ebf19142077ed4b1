// --no-data gives the ELF closure alone (the trees of before data existed), data only ever adds to
// it, and the package-aware rules (library and data packages, helpers, C.UTF-8) grow the trees of
// `bash ls ps` and of python3 by at most 10% over the rules before them.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {plan, resolve} from '../../src/index.js'
import {cli} from '../support/cli.js'
import {compile} from '../support/fixtures.js'
import {makeTempDir} from '../support/temp.js'

const PROGRAMS = ['bash', 'ls', 'ps']
// The package-aware rules (docs/data-rules.md); --locale and --lang add only what is asked for.
const PACKAGE_RULES = ['library-packages', 'data-packages', 'helpers', 'c-utf8']

// Bytes as `du -sb` counts them, ns-tool's own bookkeeping (/var/lib/ns-tool, left out of exports) aside.
function treeBytes(dir: string): number {
  return Number(spawnSync('du', ['-sb', '--exclude=./var/lib/ns-tool', dir], {encoding: 'utf8'}).stdout.split('\t')[0])
}

describe('data: --no-data and the size budget', function () {
  it('--no-data plans the ELF closure, its links and the skeleton, nothing else; with data every one of those entries is kept', async function () {
    const output = join(makeTempDir(), 'out')
    const bare = await plan(PROGRAMS, {output, data: false})
    const full = await plan(PROGRAMS, {output})
    const closure = await resolve(PROGRAMS)
    // Provenance's files (the OS identity, copyright files, the package database) aside.
    const provenance = /^(os identity|copyright|package database)$/
    const sources = new Set(bare.entries.filter((entry) => entry.type === 'file' && entry.source && !provenance.test(entry.reason)).map((entry) => entry.source!))
    const closureFiles = new Set(closure.files.flatMap((file) => [file.path, ...(file.variants ?? [])]))
    // Each copied file is a file of the closure (the plan places it at its real path).
    for (const source of sources) expect([...closureFiles].some((path) => spawnSync('realpath', [path], {encoding: 'utf8'}).stdout.trim() === source), source).to.equal(true)
    expect(bare.entries.filter((entry) => !/^(program|interpreter|library|parent|skeleton|merged \/usr link|link on the way|os identity|copyright|package database)/.test(entry.reason)), 'only closure, link, skeleton and provenance reasons').to.deep.equal([])
    // (A library gains the data's ELF files among those needing it; the package database lists
    // what the tree has of each package, so the data's files too.)
    const kept = new Map(full.entries.map((entry) => [entry.path, entry]))
    for (const {neededBy, ...entry} of bare.entries.filter((e) => e.reason !== 'package database')) {
      const {neededBy: more, ...same} = kept.get(entry.path) ?? {neededBy: undefined}
      expect(same, entry.path).to.deep.equal(entry)
      expect(more ?? [], entry.path).to.include.members(neededBy ?? [])
    }
    expect(full.entries.length).to.be.greaterThan(bare.entries.length)
  })

  it('the package-aware rules grow the trees of bash ls ps and of python3 by at most 10%', function () {
    const dir = makeTempDir()
    for (const programs of [PROGRAMS, ...(existsSync('/usr/bin/python3') ? [['/usr/bin/python3']] : [])]) {
      const sizes = [['--no-data'], PACKAGE_RULES.flatMap((id) => ['--skip-rule', id]), []].map((flags, i) => {
        const output = join(dir, `${programs.length}-${i}`)
        const r = cli(['build-rootfs', '-q', '-o', output, ...flags, ...programs])
        expect(r.status, r.stderr).to.equal(0)
        return treeBytes(output)
      })
      process.stdout.write(`      ${programs.join(' ')}: --no-data ${sizes[0]} bytes, the rules before ${sizes[1]}, every rule ${sizes[2]} (+${((sizes[2] / sizes[1] - 1) * 100).toFixed(1)}%)\n`)
      expect(sizes[2] / sizes[1], programs.join(' ')).to.be.at.most(1.1)
    }
  })

  it('verify holds a tree to what it was built with: a --no-data tree passes, --data asks for the rest, a tree without its manifest is held to the defaults', function () {
    const output = join(makeTempDir(), 'bare')
    const r = cli(['build-rootfs', '-q', '--no-data', '-o', output, ...PROGRAMS])
    expect(r.status, r.stderr).to.equal(0)
    const plain = cli(['verify', output])
    expect({status: plain.status, stdout: plain.stdout}, plain.stderr).to.deep.equal({status: 0, stdout: ''})
    expect(plain.stderr).to.include('(data not checked: the tree was built with --no-data)')
    const json = JSON.parse(cli(['verify', '--json', output]).stdout) as {ok: boolean; data: boolean; dlopen: string}
    expect({ok: json.ok, data: json.data, dlopen: json.dlopen}).to.deep.equal({ok: true, data: false, dlopen: 'none'})

    // Asked for, the data bash and ps go without is named, rule by rule.
    const asked = cli(['verify', '--json', '--data', output])
    expect(asked.status).to.equal(1)
    const rules = (JSON.parse(asked.stdout) as {problems: Array<{kind: string; name: string}>}).problems.filter((p) => p.kind === 'data').map((p) => p.name)
    expect(rules).to.include.members(['gconv modules', 'zoneinfo'])

    // Without the manifest nothing says how the tree was built: the defaults hold (data on).
    rmSync(join(output, 'var/lib/ns-tool'), {recursive: true})
    expect(cli(['verify', output]).status).to.equal(1)
    // With data, the same programs' tree passes with the data checked.
    const full = join(makeTempDir(), 'data')
    expect(cli(['build-rootfs', '-q', '-o', full, ...PROGRAMS]).status).to.equal(0)
    const checked = JSON.parse(cli(['verify', '--json', full]).stdout) as {ok: boolean; data: boolean; dlopen: string}
    expect({ok: checked.ok, data: checked.data, dlopen: checked.dlopen}).to.deep.equal({ok: true, data: true, dlopen: 'recommended'})
  })

  it('a rebuild that leaves the tree as it was still records what it was built with (a static program: data adds nothing)', function () {
    const dir = makeTempDir()
    const program = compile({sources: ['resolve/plain.c'], flags: ['-static']})
    const output = join(dir, 'out')
    const built = (flags: string[]) => {
      const r = cli(['build-rootfs', '-q', '-o', output, ...flags, program])
      expect(r.status, r.stderr).to.equal(0)
      return JSON.parse(cli(['verify', '--json', output]).stdout) as {data: boolean; dlopen: string}
    }
    expect(built(['--no-data'])).to.deep.include({data: false, dlopen: 'none'})
    expect(built([])).to.deep.include({data: true, dlopen: 'recommended'})
    expect(built(['--dlopen', 'required'])).to.deep.include({data: true, dlopen: 'required'})
  })
})
