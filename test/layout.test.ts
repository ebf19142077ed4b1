// The layout tells the architecture: each folder of src/ opens with a comment saying what it
// owns, each layer imports only the layers below it (LAYERS, as docs/architecture.md states it),
// and no two folders load each other, directly or through others (data flows one way). A
// subfolder is a part of its folder: the two may use each other (rootfs/plan and rootfs's types).
import {expect} from 'chai'
import {readdirSync, readFileSync, statSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {repoRoot} from './support/cli.js'

const SRC = join(repoRoot, 'src')

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts') ? [path] : []
  })
}

// The layers of src/, lowest first: each imports only the layers before it (`import type`
// included: a type is a fact of the layer that defines it). A new folder takes its place here
// and in docs/architecture.md.
const LAYERS: string[][] = [
  ['errors.ts', 'suggest.ts', 'cache-dir.ts', 'manifest-path.ts'],
  ['options'],
  ['environment'],
  ['elf', 'helper'],
  ['loader'],
  ['ldd'],
  ['resolve'],
  ['data'],
  ['provenance'],
  ['rootfs'],
  ['sandbox', 'verify'],
  ['export'],
  ['chroot'],
  ['index.ts'],
  ['cli'],
]

// Every module a file loads, statically or dynamically; `import type` too unless runtimeOnly (a
// type import is erased: a subfolder naming its parent's types, as rootfs/plan does
// rootfs/types.ts, loads nothing).
function importsOf(file: string, runtimeOnly = true): string[] {
  const text = readFileSync(file, 'utf8')
  const statics = [...text.matchAll(/(?:^|\n)\s*(?:import|export)\s+(type\s)?[^'"]*?from\s+'([^']+)'/g)].filter((m) => !runtimeOnly || !m[1]).map((m) => m[2])
  const specifiers = [...statics, ...[...text.matchAll(/import\(\s*'([^']+)'\s*\)/g)].map((m) => m[1])]
  return specifiers.filter((s) => s.startsWith('.')).map((s) => resolve(dirname(file), s.replace(/\.js$/, '.ts')))
}

// The top of src/ a file belongs to: its first folder, or its own name for a file in src/.
function part(file: string): string {
  return relative(SRC, file).split('/')[0]
}

// A file's node in the folder graph: its folder; a file directly in src/ (errors.ts, the API's
// index.ts) is a node of its own, since it is no folder.
function node(file: string): string {
  const folder = relative(repoRoot, dirname(file))
  return folder === 'src' ? relative(repoRoot, file) : folder
}

// Strongly connected components with more than one node (Tarjan).
function cycles(graph: Map<string, Set<string>>): string[][] {
  let index = 0
  const stack: string[] = []
  const state = new Map<string, {index: number; low: number; onStack: boolean}>()
  const found: string[][] = []
  const visit = (v: string) => {
    state.set(v, {index, low: index, onStack: true})
    index++
    stack.push(v)
    for (const w of graph.get(v) ?? []) {
      if (!state.has(w)) {
        visit(w)
        state.get(v)!.low = Math.min(state.get(v)!.low, state.get(w)!.low)
      } else if (state.get(w)!.onStack) state.get(v)!.low = Math.min(state.get(v)!.low, state.get(w)!.index)
    }
    if (state.get(v)!.low === state.get(v)!.index) {
      const component: string[] = []
      let w: string
      do {
        w = stack.pop()!
        state.get(w)!.onStack = false
        component.push(w)
      } while (w !== v)
      if (component.length > 1) found.push(component.sort())
    }
  }
  for (const v of graph.keys()) if (!state.has(v)) visit(v)
  return found
}

describe('layout', function () {
  it('each layer of src/ imports only the layers below it (the library never imports src/cli)', function () {
    const level = new Map(LAYERS.flatMap((parts, i) => parts.map((name) => [name, i] as const)))
    const files = sourceFiles(SRC)
    const unplaced = [...new Set(files.map(part))].filter((name) => !level.has(name))
    expect(unplaced, 'parts of src/ missing from LAYERS (give each its place)').to.deep.equal([])
    const upward: string[] = []
    for (const file of files) {
      const from = part(file)
      for (const target of importsOf(file, false)) {
        const to = part(target)
        if (!target.startsWith(SRC) || to === from) continue
        if (level.get(to)! >= level.get(from)!) upward.push(`${relative(repoRoot, file)} (${from}) imports ${relative(repoRoot, target)} (${to}), which is not below it`)
      }
    }
    expect(upward, 'imports against the layers (move the fact down, or the composition up)').to.deep.equal([])
  })

  it('only src/cli knows oclif', function () {
    const knowing = sourceFiles(SRC).filter((file) => part(file) !== 'cli' && /from '@oclif\//.test(readFileSync(file, 'utf8')))
    expect(knowing.map((file) => relative(repoRoot, file))).to.deep.equal([])
  })

  it('no import cycle between folders of src/ (what loads what at run time)', function () {
    const graph = new Map<string, Set<string>>()
    const why = new Map<string, string>()
    for (const file of sourceFiles(SRC)) {
      const from = node(file)
      if (!graph.has(from)) graph.set(from, new Set())
      for (const target of importsOf(file)) {
        const to = node(target)
        if (to === from || !target.startsWith(SRC) || to.startsWith(`${from}/`) || from.startsWith(`${to}/`)) continue
        graph.get(from)!.add(to)
        why.set(`${from} -> ${to}`, relative(repoRoot, file))
      }
    }
    expect(graph.size).to.be.greaterThan(10)
    const found = cycles(graph)
    const explained = found.map((component) => component.flatMap((a) => component.filter((b) => graph.get(a)?.has(b)).map((b) => `${a} -> ${b} (${why.get(`${a} -> ${b}`)})`)))
    expect(explained, 'folders that import each other').to.deep.equal([])
  })

  it('each folder of src/ opens with a comment saying what it owns (its index.ts, else each file)', function () {
    const folders = [SRC, ...readdirSync(SRC, {recursive: true}).map((p) => join(SRC, String(p))).filter((p) => statSync(p).isDirectory())]
    const silent: string[] = []
    for (const folder of folders) {
      const files = readdirSync(folder).filter((name) => name.endsWith('.ts'))
      if (files.length === 0) continue
      const opening = files.includes('index.ts') ? ['index.ts'] : files
      for (const name of opening) {
        const head = readFileSync(join(folder, name), 'utf8').split('\n').slice(0, 2)
        if (!head.every((line) => line.startsWith('//'))) silent.push(relative(repoRoot, join(folder, name)))
      }
    }
    expect(silent, 'files that should open with two comment lines').to.deep.equal([])
  })
})
