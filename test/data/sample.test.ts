// Build and verify agree on the host's own programs: for a fixed sample of the executables of
// /usr/bin (every SAMPLE_STEP-th of the sorted list of ELF programs and #! scripts),
// `build-rootfs PATH && verify` succeeds, or the build fails naming the program's own missing need.
// Each failure is listed. Trees are hard-linked to the host (no copying) and removed one by one.
import {expect} from 'chai'
import {closeSync, openSync, readdirSync, readSync, rmSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {build, verify} from '../../src/index.js'
import {problemLine} from '../../src/verify/index.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

const SAMPLE_STEP = 7
const MIN_SAMPLE = 150

// /usr/bin's executables that the kernel runs as programs: ELF files and #! scripts, by name.
function executables(): string[] {
  const head = Buffer.alloc(4)
  return readdirSync('/usr/bin')
    .sort()
    .map((name) => join('/usr/bin', name))
    .filter((path) => {
      const stats = statSync(path, {throwIfNoEntry: false})
      if (!stats?.isFile() || (stats.mode & 0o111) === 0) return false
      let fd
      try {
        fd = openSync(path, 'r')
        const read = readSync(fd, head, 0, 4, 0)
        return read === 4 && (head.toString('latin1') === '\x7fELF' || head.toString('latin1', 0, 2) === '#!')
      } catch {
        return false
      } finally {
        if (fd !== undefined) closeSync(fd)
      }
    })
}

// 'verified', 'refused' (its build failed naming the program: a need of its own), or what went
// wrong.
async function outcomeOf(program: string, work: string): Promise<string> {
  const output = join(work, 'rootfs')
  try {
    try {
      await build([program], {output, copyMode: 'hardlink'})
    } catch (error) {
      const message = (error as Error).message
      // The program itself (`PROGRAM: its interpreter ... is missing`), or its own ELF closure (a
      // data file's miss is a warning, never this error).
      const own = message.startsWith(`${program}: `) || message.endsWith('add the library with --file, or pass --allow-missing')
      return own ? 'refused' : `build: ${message.split('\n')[0]}`
    }
    const checked = await verify(output)
    return checked.ok ? 'verified' : `verify: ${checked.problems.length} problems, first: ${problemLine(checked.problems[0])}`
  } finally {
    rmSync(output, {recursive: true, force: true})
  }
}

describe('data: build and verify agree on a sample of /usr/bin', function () {
  this.timeout(30 * 60_000)

  it(`every ${SAMPLE_STEP}th executable of /usr/bin builds and verifies, or is refused for its own need`, async function () {
    const all = executables()
    const sample = all.filter((_, i) => i % SAMPLE_STEP === 0)
    if (sample.length < MIN_SAMPLE) skipBecause(this, `/usr/bin has ${all.length} executables: a sample of ${sample.length} is too small to mean anything`)
    const work = makeTempDir()
    const failures: string[] = []
    let refused = 0
    for (const program of sample) {
      const outcome = await outcomeOf(program, work)
      if (outcome === 'refused') refused++
      else if (outcome !== 'verified') failures.push(`${program}: ${outcome}`)
    }
    process.stdout.write(`      ${sample.length - failures.length} of ${sample.length} programs build and verify (${refused} of them refused for their own needs)\n`)
    for (const failure of failures) process.stdout.write(`      failed: ${failure}\n`)
    expect(failures, `${failures.length} of ${sample.length} failed:\n${failures.join('\n')}`).to.deep.equal([])
  })
})
