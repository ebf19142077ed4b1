// ELF fuzz: a few thousand mutants of real ELF files (a dynamic program with RPATH and NEEDED, a
// shared library, a 32-bit program, the host's loader, a static-pie), through verify (one tree
// holding them all, through the CLI) and deps (the CLI on a sample, its resolver on every one):
// nothing crashes, and each problem is one clean line.
import {expect} from 'chai'
import {mkdirSync, readFileSync, realpathSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {closureTree} from '../../src/cli/deps-render.js'
import {NsToolError} from '../../src/errors.js'
import {resolve} from '../../src/loader/index.js'
import {cli} from '../support/cli.js'
import {compile, glibcRoot} from '../support/fixtures.js'
import {makeSuiteTempDir} from '../support/temp.js'
import {seededRandom} from '../support/random.js'

const MUTANTS_PER_SOURCE = 600

// Where the structures a reader trusts live: the ELF header's offsets and counts, the program
// headers, the dynamic section and its strings.
function hotSpots(elf: Buffer): number[] {
  const is64 = elf[4] === 2
  const spots = is64 ? [0x04, 0x05, 0x10, 0x12, 0x20, 0x28, 0x36, 0x38, 0x3a, 0x3c, 0x3e] : [0x04, 0x05, 0x10, 0x12, 0x1c, 0x20, 0x2a, 0x2c, 0x2e, 0x30, 0x32]
  const phoff = Number(is64 ? elf.readBigUInt64LE(0x20) : BigInt(elf.readUInt32LE(0x1c)))
  const phentsize = elf.readUInt16LE(is64 ? 0x36 : 0x2a)
  const phnum = elf.readUInt16LE(is64 ? 0x38 : 0x2c)
  for (let i = 0; i < phnum && phoff + (i + 1) * phentsize <= elf.length; i++) {
    const at = phoff + i * phentsize
    for (let j = 0; j < phentsize; j += 4) spots.push(at + j)
    // PT_DYNAMIC and PT_INTERP contents.
    const type = elf.readUInt32LE(at)
    if (type === 2 || type === 3) {
      const offset = Number(is64 ? elf.readBigUInt64LE(at + 8) : BigInt(elf.readUInt32LE(at + 4)))
      const size = Number(is64 ? elf.readBigUInt64LE(at + 32) : BigInt(elf.readUInt32LE(at + 16)))
      for (let j = 0; j < Math.min(size, 512) && offset + j < elf.length; j += 4) spots.push(offset + j)
    }
  }
  return spots.filter((spot) => spot < elf.length)
}

// One mutant: bytes flipped at the hot spots, a field set to an extreme, or the file truncated.
function mutate(elf: Buffer, next: () => number): Buffer {
  const pick = <T>(list: T[]) => list[Math.floor(next() * list.length)]
  const spots = hotSpots(elf)
  const kind = next()
  if (kind < 0.15) return elf.subarray(0, 4 + Math.floor(next() * Math.min(elf.length, 8192)))
  const out = Buffer.from(elf)
  if (kind < 0.45) {
    const at = pick(spots)
    const value = pick([0, 0xff, 0x7f, 0x80, 1, Math.floor(next() * 256)])
    for (let i = 0; i < 1 + Math.floor(next() * 4) && at + i < out.length; i++) out[at + i] = value
    return out
  }
  for (let n = 1 + Math.floor(next() * 8); n > 0; n--) {
    const at = next() < 0.8 ? pick(spots) + Math.floor(next() * 4) : Math.floor(next() * out.length)
    if (at < out.length) out[at] ^= 1 << Math.floor(next() * 8)
  }
  return out
}

// The real files mutated, compiled at test time where they are fixtures.
function sources(): Array<[string, Buffer]> {
  const lib = compile({sources: ['elf/lib.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libfuzz.so.1']})
  const program = compile({sources: ['elf/main.c', lib], flags: ['-Wl,--disable-new-dtags', '-Wl,-rpath,$ORIGIN/../lib:/opt/x']})
  const list: Array<[string, Buffer]> = [
    ['program', readFileSync(program)],
    ['library', readFileSync(lib)],
    ['loader', readFileSync(realpathSync('/lib64/ld-linux-x86-64.so.2'))],
    ['static-pie', readFileSync(compile({sources: ['resolve/plain.c'], flags: ['-static-pie']}))],
  ]
  try {
    list.push(['i386', readFileSync(compile({sources: ['resolve/plain.c'], flags: ['-m32']}))])
  } catch {
    // No 32-bit toolchain (gcc-multilib): four sources are enough.
  }
  return list
}

describe('verify and deps: ELF fuzz', function () {
  this.timeout(600_000)
  let root: string
  const mutants: string[] = []

  before(function () {
    // Both tests read it: it lives until the end of the run.
    root = join(makeSuiteTempDir(), 'rootfs')
    // The loader, libc and the program's own library, so that a mutant that still parses is
    // resolved all the way (RUNPATH, NEEDED, the cache-less default directories).
    glibcRoot(root)
    mkdirSync(join(root, 'usr/lib/fuzz'), {recursive: true})
    const list = sources()
    writeFileSync(join(root, 'usr/lib/libfuzz.so.1'), list.find(([name]) => name === 'library')![1])
    const next = seededRandom(0x5eed)
    for (const [name, elf] of list) {
      for (let i = 0; i < MUTANTS_PER_SOURCE; i++) {
        // Programs in /usr/bin, libraries where a RUNPATH or a DT_NEEDED may lead.
        const path = name === 'library' ? `/usr/lib/fuzz/lib${name}-${i}.so` : `/usr/bin/${name}-${i}`
        writeFileSync(join(root, path), mutate(elf, next), {mode: 0o755})
        mutants.push(path)
      }
    }
  })

  it('verify reads a tree of mutants without crashing, one line per problem', function () {
    expect(mutants.length).to.be.at.least(2400)
    const json = cli(['verify', '--json', root], {timeout: 300_000})
    expect([0, 1], json.stderr).to.include(json.status)
    expect(json.stderr).to.not.match(/internal error|\n\s+at /)
    const result = JSON.parse(json.stdout) as {checked: number; problems: Array<{path: string; kind: string; name: string}>}
    expect(result.checked).to.be.greaterThan(mutants.length / 2)
    const text = cli(['verify', root], {timeout: 300_000})
    expect(text.status).to.equal(json.status)
    expect(text.stderr).to.not.match(/internal error|\n\s+at /)
    // The text names each problem on one line of its own, and nothing else but the summary.
    const lines = (text.stdout + text.stderr).trim().split('\n').filter((line) => !/^ns-tool verify: \d+ problem|^\S+: \d+ (ELF|files?)/.test(line))
    expect(lines.length).to.be.at.least(result.problems.length)
    expect(lines.length).to.be.at.most(result.problems.length + 2)
    for (const problem of result.problems) expect(problem.path.startsWith('/')).to.equal(true)
  })

  it('deps resolves every mutant or refuses it in one line naming it', async function () {
    const outcomes = {resolved: 0, refused: 0}
    for (const path of mutants) {
      const host = join(root, path)
      try {
        const closure = await resolve([host])
        closureTree(closure)
        outcomes.resolved++
      } catch (error) {
        // Anything but ns-tool's own error would be an "internal error" of the CLI.
        expect(error, `${path}: ${(error as Error).stack}`).to.be.instanceOf(NsToolError)
        expect((error as Error).message, path).to.not.contain('\n')
        expect((error as Error).message, path).to.contain(host)
        outcomes.refused++
      }
    }
    // Both outcomes occur: the fuzz reaches past the first checks.
    expect(outcomes.refused).to.be.greaterThan(100)
    expect(outcomes.resolved).to.be.greaterThan(100)
    // The CLI itself on a sample: one line, exit 0 or 1, never a crash.
    for (const path of mutants.filter((_, i) => i % 150 === 0)) {
      const r = cli(['deps', join(root, path)])
      expect([0, 1], `${path}: ${r.stderr}`).to.include(r.status)
      expect(r.stderr).to.not.match(/internal error|\n\s+at /)
      if (r.status === 1 && r.stdout === '') expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1)
    }
  })
})
