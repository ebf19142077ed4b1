// The writer's one path rule: inside a tree, every component is checked or opened in turn and a
// symlink is never followed, for every operation the writer has.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {PinnedTree, removeTree, WritableTree} from '../../../src/rootfs/write/beneath.js'
import {cli} from '../../support/cli.js'
import {isRoot} from '../../support/skip.js'
import {makeTempDir} from '../../support/temp.js'

// A tree whose `evil` and `deep/evil` are links to a directory outside, holding a file.
function plantedTree(): {root: string; outside: string} {
  const work = makeTempDir()
  const root = join(work, 'tree')
  const outside = join(work, 'outside')
  mkdirSync(join(root, 'deep'), {recursive: true})
  mkdirSync(outside)
  writeFileSync(join(outside, 'x'), 'outside\n')
  symlinkSync(outside, join(root, 'evil'))
  symlinkSync('../evil', join(root, 'deep/evil'))
  writeFileSync(join(root, 'file'), 'inside\n')
  return {root, outside}
}

function snapshot(dir: string): string {
  return readdirSync(dir).sort().map((name) => `${name}:${statSync(join(dir, name)).mode}:${readFileSync(join(dir, name), 'utf8')}`).join(' ')
}

describe('rootfs/write/beneath', function () {
  it('refuses every write whose path has a symlink in a directory component', async function () {
    const {root, outside} = plantedTree()
    const before = snapshot(outside)
    const tree = new WritableTree(root)
    const attempts: Array<[string, () => unknown]> = [
      ['mkdir', () => tree.mkdir('/evil/new')],
      ['symlink', () => tree.symlink('/etc/passwd', '/evil/link')],
      ['writeFile', () => tree.writeFile('/deep/evil/new', 'x', 0o644)],
      ['link', () => tree.link(join(root, 'file'), '/evil/hard')],
      ['unlink', () => tree.unlink('/evil/x')],
      ['remove', () => tree.remove('/deep/evil/x')],
      ['chmod', () => tree.chmod('/evil/x', 0o777)],
      ['lchown', () => tree.lchown('/evil/x', 1, 1)],
      ['lstat', () => tree.lstat('/evil/x')],
    ]
    for (const [name, attempt] of attempts) expect(attempt, name).to.throw(/symbolic link \/(deep\/)?evil/)
    let copied: unknown
    await tree.copyFrom('/etc/hostname', '/evil/copy', 0).catch((error) => (copied = error))
    expect(String(copied)).to.match(/symbolic link \/evil/)
    expect(snapshot(outside)).to.equal(before)
  })

  it('never follows a link as the last component: chmod refuses, new files refuse to open it', function () {
    const {root, outside} = plantedTree()
    const tree = new WritableTree(root)
    symlinkSync(join(outside, 'x'), join(root, 'last'))
    expect(() => tree.chmod('/last', 0o777)).to.throw(/symbolic link/)
    expect(() => tree.writeFile('/last', 'overwritten', 0o644)).to.throw(/EEXIST/)
    expect(() => tree.symlink('x', '/last')).to.throw(/EEXIST/)
    if (isRoot) tree.lchown('/last', 1, 1)
    expect(readFileSync(join(outside, 'x'), 'utf8')).to.equal('outside\n')
    expect(statSync(join(outside, 'x')).uid).to.equal(process.getuid!())
  })

  it('a pinned tree reaches nothing through a link, and removeTree removes links, not what they reach', function () {
    const {root, outside} = plantedTree()
    const pinned = PinnedTree.open(root)!
    try {
      expect(pinned.at('/evil/x')).to.equal(undefined)
      expect(pinned.lstat('/deep/evil/x')).to.equal(undefined)
      expect(pinned.readFile('/evil')).to.equal(undefined)
      expect(pinned.readdir('/evil')).to.deep.equal([])
      expect(pinned.lstat('/evil')?.isSymbolicLink()).to.equal(true)
      expect(pinned.readFile('/file')?.toString()).to.equal('inside\n')
    } finally {
      pinned.close()
    }
    removeTree(root)
    expect(existsSync(root)).to.equal(false)
    expect(readFileSync(join(outside, 'x'), 'utf8')).to.equal('outside\n')
  })

  it('a pinned tree reads a path deeper than the descriptors it keeps, and many directories in turn', function () {
    const root = join(makeTempDir(), 'tree')
    // 300 levels: more directories on one path than the pinned tree keeps open.
    const deep = '/' + Array.from({length: 300}, () => 'd').join('/')
    mkdirSync(root + deep, {recursive: true})
    writeFileSync(root + deep + '/file', 'deep\n')
    for (let i = 0; i < 600; i++) {
      mkdirSync(join(root, 'wide', `w${i}`), {recursive: true})
      writeFileSync(join(root, 'wide', `w${i}`, 'file'), `${i}\n`)
    }
    const pinned = PinnedTree.open(root)!
    try {
      expect(pinned.readFile(deep + '/file')?.toString()).to.equal('deep\n')
      expect(pinned.readdir(deep)).to.deep.equal(['file'])
      for (let i = 0; i < 600; i++) expect(pinned.readdir(`/wide/w${i}`), `/wide/w${i}`).to.deep.equal(['file'])
      expect(pinned.readFile(deep + '/file')?.toString()).to.equal('deep\n')
      // Every directory in reach again, after the cache let go of the first ones.
      for (let i = 0; i < 600; i += 37) expect(pinned.readFile(`/wide/w${i}/file`)?.toString()).to.equal(`${i}\n`)
    } finally {
      pinned.close()
    }
  })

  it('a rebuild keeps a link planted in the tree as a link, writing nothing where it points', function () {
    const work = makeTempDir()
    const out = join(work, 'rootfs')
    const outside = join(work, 'outside')
    mkdirSync(outside)
    writeFileSync(join(outside, 'mine'), 'mine\n')
    expect(cli(['build-rootfs', '-q', '-o', out, 'true']).status).to.equal(0)
    symlinkSync(outside, join(out, 'root/planted'))
    for (const args of [['true', 'ls'], ['--clean', 'true']]) {
      const r = cli(['build-rootfs', '-q', '-o', out, ...args])
      expect(r.status, r.stderr).to.equal(0)
      expect(readdirSync(outside)).to.deep.equal(['mine'])
    }
    expect(lstatSync(join(out, 'root')).isDirectory()).to.equal(true)
    expect(existsSync(join(out, 'root/planted')), '--clean removed the link').to.equal(false)
  })
  it('a fifo planted as the manifest or the lock never blocks a build', function () {
    const work = makeTempDir()
    const out = join(work, 'rootfs')
    expect(cli(['build-rootfs', '-q', '-o', out, 'true']).status).to.equal(0)
    rmSync(join(out, 'var/lib/ns-tool/manifest.json'))
    expect(spawnSync('mkfifo', [join(out, 'var/lib/ns-tool/manifest.json')]).status).to.equal(0)
    // No manifest ns-tool can read: the tree is a directory it did not make.
    const r = cli(['build-rootfs', '-o', out, 'true'], {timeout: 60_000})
    expect(r.signal, 'it did not hang').to.equal(null)
    expect(r.status).to.equal(2)
    expect(r.stderr).to.contain('--force')
    const other = join(work, 'other')
    expect(spawnSync('mkfifo', [`${other}.ns-tool.lock`]).status).to.equal(0)
    const locked = cli(['build-rootfs', '-o', other, 'true'], {timeout: 60_000})
    expect(locked.signal, 'it did not hang').to.equal(null)
    expect(locked.status).to.equal(1)
    expect(locked.stderr).to.contain(`${other}.ns-tool.lock: not an ns-tool lock`)
  })
})
