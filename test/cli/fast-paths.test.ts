// bin/run.js's fast paths load their bundle (dist/fast/COMMAND.cjs) with the V8 code cache that
// setup made by running it once: V8 takes that cache, and one it does not take (another Node's, a
// damaged file) costs time only.
import {expect} from 'chai'
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli, repoRoot} from '../support/cli.js'
import {busyboxTree} from '../support/run.js'
import {makeTempDir} from '../support/temp.js'

const debug = {env: {NS_TOOL_DEBUG: '1'}}

describe('cli/fast-paths', () => {
  // Each fast path with a command line that does real work through it, and what that prints.
  const paths = [
    {command: 'build-rootfs', argv: () => ['build-rootfs', '--dry-run', '-o', join(makeTempDir(), 'out'), 'true'], prints: /\/usr\/bin\/true/},
    {command: 'run', argv: (tree: string) => ['run', tree, '/bin/sh', '-c', 'echo in the tree'], prints: /^in the tree$/},
  ]

  for (const path of paths) {
    const bundle = join(repoRoot, 'dist', 'fast', `${path.command}.cjs`)

    it(`${path.command}: V8 takes the code cache setup made`, function () {
      const tree = path.command === 'run' ? busyboxTree(this) : ''
      const r = cli(path.argv(tree), debug)
      expect(r.status, r.stderr).to.equal(0)
      expect(r.stdout.trim()).to.match(path.prints)
      expect(r.stderr).to.include(`ns-tool: ${bundle}: code cache used`)
    })

    it(`${path.command}: a code cache V8 does not take costs time only`, function () {
      const tree = path.command === 'run' ? busyboxTree(this) : ''
      const cache = `${bundle}.v8cache`
      const kept = readFileSync(cache)
      try {
        writeFileSync(cache, Buffer.from(kept.map((byte, i) => (i % 7 === 0 ? byte ^ 0xff : byte))))
        const r = cli(path.argv(tree), debug)
        expect(r.status, r.stderr).to.equal(0)
        expect(r.stdout.trim()).to.match(path.prints)
        expect(r.stderr).to.include(`ns-tool: ${bundle}: code cache rejected`)
      } finally {
        writeFileSync(cache, kept)
      }
    })
  }
})
