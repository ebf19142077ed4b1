// The tests' own rules, read from their source: a skip says why (through skipBecause, which prints
// the reason), and a test that needs a static busybox asks whether the file is one (an ELF check in
// test/support/busybox.ts), not whether a file is there.
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join, relative} from 'node:path'
import {repoRoot} from './support/cli.js'

const TEST = join(repoRoot, 'test')

// Each line of each TypeScript file under test/ that matches, as FILE:LINE: TEXT.
function linesMatching(pattern: RegExp, except: string[] = []): string[] {
  const files = readdirSync(TEST, {recursive: true}).map(String).filter((path) => path.endsWith('.ts') && !except.includes(path))
  return files.flatMap((path) => readFileSync(join(TEST, path), 'utf8').split('\n').flatMap((line, i) => (pattern.test(line) ? [`${relative(repoRoot, join(TEST, path))}:${i + 1}: ${line.trim()}`] : [])))
}

describe('the tests themselves', function () {
  it('skip only through skipBecause, which prints the reason', function () {
    expect(linesMatching(/\b(this|ctx|context)\.skip\(\)/, ['support/skip.ts']), 'silent skips').to.deep.equal([])
  })

  it('check for a static busybox by reading its ELF headers, not by the existence of /bin/busybox', function () {
    expect(linesMatching(/existsSync\('\/(usr\/)?bin\/busybox'\)/), 'existence standing for a static busybox').to.deep.equal([])
  })
})
