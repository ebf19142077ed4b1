// A rebuild without --clean keeps every file the user put in the tree, however many directories
// it has: carry-over reads each old directory through a bounded cache of descriptors, and a
// descriptor in use (the parent about to be read) is never the one the cache lets go.
import {expect} from 'chai'
import {mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../../support/cli.js'
import {makeTempDir} from '../../support/temp.js'

// 40 directories of 30 each (1,240 directories, more than the cache holds several times over),
// two levels deep so that evicting a parent or a grandparent would show.
const OUTER = 40
const INNER = 30

function userPaths(): string[] {
  const paths: string[] = []
  for (let a = 0; a < OUTER; a++) {
    paths.push(`srv/user/a${a}/file`)
    for (let b = 0; b < INNER; b++) paths.push(`srv/user/a${a}/b${b}/file`)
  }
  return paths
}

describe('rootfs/write: a rebuild of a tree of many directories', function () {
  it('keeps the user file of each of 1,240 directories and counts each as kept, none removed', function () {
    const dir = join(makeTempDir(), 'tree')
    const first = cli(['build-rootfs', '-o', dir, 'true'])
    expect(first.status, first.stderr).to.equal(0)
    const paths = userPaths()
    for (const path of paths) {
      mkdirSync(join(dir, path, '..'), {recursive: true})
      writeFileSync(join(dir, path), `${path}\n`)
    }
    const again = cli(['build-rootfs', '--json', '-o', dir, 'true', 'ls'])
    expect(again.status, again.stderr).to.equal(0)
    const lost = paths.filter((path) => {
      try {
        return readFileSync(join(dir, path), 'utf8') !== `${path}\n`
      } catch {
        return true
      }
    })
    expect(lost, 'user files missing after the rebuild').to.deep.equal([])
    const summary = JSON.parse(again.stdout)
    expect(summary.removed).to.deep.equal([])
    expect(summary.stats.removed).to.equal(0)
    // Everything of the first build is planned again: what was kept is exactly the user's files.
    expect(summary.stats.kept).to.equal(paths.length)
    expect(summary.replaced).to.deep.equal([])
  })
})
