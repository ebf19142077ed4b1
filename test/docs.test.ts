// The README's recipes run as a user runs them: every fenced `sh` block, in order, with `sh -e` in
// one fresh directory, `ns-tool` on PATH (as `npm link` puts it) and `ns-tool` importable (as
// `npm install ns-tool` makes it). The README marks what a block is with an HTML comment before it:
//   <!-- docs-test: file: NAME -->    the block is a file the next recipes use (written as NAME)
//   <!-- docs-test: skip: REASON -->  the block is not run here, and REASON says why (printed)
// Any other block must be `sh`, so no recipe is left untested by accident.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {binRun, repoRoot} from './support/cli.js'
import {isRoot, skipBecause} from './support/skip.js'
import {makeTempDir} from './support/temp.js'

interface Block {
  lang: string
  text: string
  line: number
  mark?: {kind: 'skip' | 'file'; value: string}
}

function fencedBlocks(markdown: string): Block[] {
  const found: Block[] = []
  for (const match of markdown.matchAll(/(?:<!-- docs-test: (skip|file): (.*?) -->\n)?```(\w*)\n([\s\S]*?)```/g)) {
    const line = markdown.slice(0, match.index).split('\n').length
    found.push({lang: match[3], text: match[4], line, ...(match[1] && {mark: {kind: match[1] as 'skip' | 'file', value: match[2].trim()}})})
  }
  return found
}

const README = readFileSync(join(repoRoot, 'README.md'), 'utf8')

describe('README recipes', function () {
  this.timeout(300_000)

  it('every fenced block is a recipe (sh), a file the recipes use, or skipped with its reason', function () {
    const blocks = fencedBlocks(README)
    expect(blocks.filter((block) => block.lang === 'sh' && !block.mark).length, 'recipes run').to.be.greaterThan(4)
    const unclear = blocks.filter((block) => (block.mark ? block.mark.value === '' : block.lang !== 'sh')).map((block) => `README.md:${block.line}`)
    expect(unclear, 'blocks that are neither sh nor marked file: or skip: with a reason').to.deep.equal([])
  })

  it('each page of docs/ opens with its title and a paragraph saying what it is for', function () {
    for (const name of readdirSync(join(repoRoot, 'docs')).filter((file) => file.endsWith('.md'))) {
      const [title, blank, opening] = readFileSync(join(repoRoot, 'docs', name), 'utf8').split('\n')
      expect([title.startsWith('# '), blank, opening?.length > 20], `docs/${name}`).to.deep.equal([true, '', true])
    }
  })

  it('every ns-tool command of the recipes runs, in order, as a user runs it', function () {
    if (!isRoot) skipBecause(this, 'the recipes run trees with `ns-tool run` and are run as root, as CI runs them')
    const work = makeTempDir()
    const bin = join(work, '.bin')
    mkdirSync(bin)
    symlinkSync(binRun, join(bin, 'ns-tool'))
    mkdirSync(join(work, 'node_modules'))
    symlinkSync(repoRoot, join(work, 'node_modules', 'ns-tool'))
    const env = {...process.env, PATH: `${bin}:${dirname(process.execPath)}:${process.env.PATH}`, HOME: work, XDG_CACHE_HOME: join(work, '.cache'), NODE_EXTRA_CA_CERTS: ''}
    let ran = 0
    for (const block of fencedBlocks(README)) {
      if (block.mark?.kind === 'skip') {
        process.stdout.write(`      skipped README.md:${block.line}: ${block.mark.value}\n`)
        continue
      }
      if (block.mark?.kind === 'file') {
        writeFileSync(join(work, block.mark.value), block.text)
        continue
      }
      const r = spawnSync('sh', ['-e', '-c', block.text], {cwd: work, env, input: '', encoding: 'utf8', timeout: 240_000})
      expect(r.status, `README.md:${block.line}\n${block.text}\n${r.stderr}`).to.equal(0)
      ran += block.text.split('\n').filter((line) => line.startsWith('ns-tool ')).length
    }
    expect(ran, 'ns-tool commands run').to.be.greaterThan(15)
  })
})
