// build-rootfs's fast path loads its bundle (dist/fast/build-rootfs.cjs) with the V8 code cache that
// setup made by running it (bin/code-cache.js): V8 takes that cache; a damaged one is rejected and
// one made from another bundle is not used, each costing time only (a damaged cache that V8 took
// would crash Node; a stale one would run the old bundle's code). run's bundle has no cache.
import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli, repoRoot} from '../support/cli.js'
import {makeTempDir} from '../support/temp.js'

const debug = {env: {NS_TOOL_DEBUG: '1'}}

describe('cli/fast-paths', () => {
  // The fast path with a cache, a command line that does real work through it, and what that prints.
  const paths = [{command: 'build-rootfs', argv: () => ['build-rootfs', '--dry-run', '-o', join(makeTempDir(), 'out'), 'true'], prints: /\/usr\/bin\/true/}]
  // The cache as setup made it (its first line names the bundle), changed by each case.
  const damages = [
    {name: 'a cache damaged past its first line is rejected', said: 'code cache rejected', change: (cache: Buffer) => {
      const copy = Buffer.from(cache)
      for (let i = copy.length - 2000; i < copy.length - 1000; i++) copy[i] ^= 0xff
      return copy
    }},
    {name: 'a cache made from another bundle is not used', said: 'code cache of another bundle or Node, not used', change: (cache: Buffer) => {
      const text = cache.toString('latin1')
      const line = text.slice(0, text.indexOf('\n'))
      return Buffer.from(line.replace(/:([\d.]+)$/, (_, mtime: string) => `:${Number(mtime) + 1}`) + text.slice(line.length), 'latin1')
    }},
  ]

  for (const path of paths) {
    const bundle = join(repoRoot, 'dist', 'fast', `${path.command}.cjs`)

    it(`${path.command}: V8 takes the code cache setup made`, () => {
      const r = cli(path.argv(), debug)
      expect(r.status, r.stderr).to.equal(0)
      expect(r.stdout.trim()).to.match(path.prints)
      expect(r.stderr).to.include(`ns-tool: ${bundle}: code cache used`)
    })

    for (const damage of damages) {
      it(`${path.command}: ${damage.name}, and the command works`, () => {
        const args = path.argv()
        const cache = `${bundle}.v8cache`
        const kept = readFileSync(cache)
        try {
          writeFileSync(cache, damage.change(kept))
          const r = cli(args, debug)
          expect(r.status, r.stderr).to.equal(0)
          expect(r.stdout.trim()).to.match(path.prints)
          expect(r.stderr).to.include(`ns-tool: ${bundle}: ${damage.said}`)
        } finally {
          writeFileSync(cache, kept)
        }
      })
    }
  }
})
