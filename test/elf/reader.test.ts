// The ELF reader against readelf (the oracle) on fixtures compiled here and on real system files;
// every kind of bad input is a typed ElfError.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {copyFileSync, readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {ElfError, readElf, readElfSync, type ElfObject} from '../../src/elf/index.js'
import {compile} from '../support/fixtures.js'
import {makeTempDir} from '../support/temp.js'

interface Oracle {
  interpreter?: string
  needed: string[]
  soname?: string
  rpath?: string
  runpath?: string
  hasDynamic: boolean
  pie: boolean
  type: string
  machine: string
}

// What `readelf -h -l -d` says about a file.
function readelf(path: string): Oracle {
  const r = spawnSync('readelf', ['-W', '-h', '-l', '-d', path], {encoding: 'utf8'})
  expect(r.status, r.stderr).to.equal(0)
  const out = r.stdout
  const field = (re: RegExp) => re.exec(out)?.[1]
  return {
    interpreter: field(/\[Requesting program interpreter: ([^\]]+)\]/),
    needed: [...out.matchAll(/\(NEEDED\)\s+Shared library: \[([^\]]+)\]/g)].map((m) => m[1]),
    soname: field(/\(SONAME\)\s+Library soname: \[([^\]]+)\]/),
    rpath: field(/\(RPATH\)\s+Library rpath: \[([^\]]*)\]/),
    runpath: field(/\(RUNPATH\)\s+Library runpath: \[([^\]]*)\]/),
    hasDynamic: /\n\s+DYNAMIC\s/.test(out),
    type: field(/Type:\s+(\w+)/)!,
    machine: field(/Machine:\s+(.+)/)!.trim(),
    pie: /\(FLAGS_1\).*\bPIE\b/.test(out),
  }
}

function agree(elf: ElfObject, path: string): void {
  const oracle = readelf(path)
  expect(elf.interpreter, `${path} interpreter`).to.equal(oracle.interpreter)
  expect(elf.dynamic?.needed ?? [], `${path} NEEDED`).to.deep.equal(oracle.needed)
  expect(elf.dynamic?.soname, `${path} SONAME`).to.equal(oracle.soname)
  expect(elf.dynamic?.rpath, `${path} RPATH`).to.equal(oracle.rpath)
  expect(elf.dynamic?.runpath, `${path} RUNPATH`).to.equal(oracle.runpath)
  expect(elf.dynamic !== undefined, `${path} PT_DYNAMIC`).to.equal(oracle.hasDynamic)
  expect(((elf.dynamic?.flags1 ?? 0) & 0x08000000) !== 0, `${path} DF_1_PIE`).to.equal(oracle.pie)
  expect({EXEC: 'executable', DYN: 'shared', REL: 'relocatable', CORE: 'core'}[oracle.type]).to.equal(elf.identity.fileType)
}

function expectElfError(read: () => unknown, code: string): ElfError {
  try {
    read()
  } catch (error) {
    expect(error).to.be.instanceOf(ElfError)
    expect((error as ElfError).code).to.equal(code)
    return error as ElfError
  }
  throw new Error('expected an ElfError')
}

describe('elf reader', () => {
  it('reads fixtures as readelf does: dynamic, RPATH, RUNPATH, SONAME, FLAGS_1, static, static-pie', function () {
    const dir = makeTempDir()
    const lib = compile({sources: ['elf/lib.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libelffix.so.1', '-Wl,--enable-new-dtags', '-Wl,-rpath,$ORIGIN/run'], output: join(dir, 'libelffix.so.1')})
    const rpath = compile({sources: ['elf/main.c', lib], flags: ['-Wl,--disable-new-dtags', '-Wl,-rpath,$ORIGIN:/opt/x'], output: join(dir, 'rpath')})
    const statik = compile({sources: ['resolve/plain.c'], flags: ['-static'], output: join(dir, 'static')})
    const pie = compile({sources: ['resolve/plain.c'], flags: ['-static-pie'], output: join(dir, 'static-pie')})
    const libElf = readElfSync(lib)
    agree(libElf, lib)
    expect(libElf.linkage).to.equal('shared')
    expect(libElf.dynamic!.runpath).to.equal('$ORIGIN/run')
    const main = readElfSync(rpath)
    agree(main, rpath)
    expect(main.linkage).to.equal('dynamic')
    expect(main.dynamic!.rpath).to.equal('$ORIGIN:/opt/x')
    expect(readElfSync(statik).linkage).to.equal('static')
    agree(readElfSync(statik), statik)
    expect(readElfSync(pie).linkage).to.equal('static-pie')
    agree(readElfSync(pie), pie)
    expect(main.identity).to.include({elfClass: 64, endian: 'little', machine: 62, machineName: 'x86_64'})
  })

  it('reads the first 150 ELF files of /usr/bin and the library directory as readelf does', async function () {
    const files = ['/usr/bin', '/usr/lib/x86_64-linux-gnu']
      .flatMap((dir) => readdirSync(dir).map((name) => join(dir, name)))
      .filter((path) => {
        try {
          const stat = statSync(path)
          return stat.isFile() && stat.size > 64 && readFileSync(path).subarray(0, 4).toString('latin1') === '\x7fELF'
        } catch {
          return false
        }
      })
      .slice(0, 150)
    expect(files.length).to.be.greaterThan(50)
    for (const path of files) agree(await readElf(path), path)
  })

  it('rejects non-ELF input, directories, missing files and truncated headers with typed errors', function () {
    const dir = makeTempDir()
    writeFileSync(join(dir, 'script'), '#!/bin/sh\necho hi\n')
    expectElfError(() => readElfSync(join(dir, 'script')), 'not-elf')
    expectElfError(() => readElfSync(dir), 'io')
    expectElfError(() => readElfSync(join(dir, 'absent')), 'io')
    writeFileSync(join(dir, 'empty'), '')
    expectElfError(() => readElfSync(join(dir, 'empty')), 'not-elf')
    const ls = readFileSync('/usr/bin/ls')
    writeFileSync(join(dir, 'head'), ls.subarray(0, 40))
    expectElfError(() => readElfSync(join(dir, 'head')), 'truncated')
    writeFileSync(join(dir, 'phdrs'), ls.subarray(0, 200))
    const error = expectElfError(() => readElfSync(join(dir, 'phdrs')), 'truncated')
    expect(error.message).to.contain(join(dir, 'phdrs'))
    const badClass = Buffer.from(ls.subarray(0, 4096))
    badClass[4] = 7
    writeFileSync(join(dir, 'class'), badClass)
    expectElfError(() => readElfSync(join(dir, 'class')), 'unsupported')
  })

  it('reads a big-endian header', function () {
    // A 64-bit big-endian ELF header with no program headers: an s390x-style relocatable file.
    const dir = makeTempDir()
    const header = Buffer.alloc(64)
    header.set([0x7f, 0x45, 0x4c, 0x46, 2, 2, 1, 0])
    header.writeUInt16BE(1, 16)
    header.writeUInt16BE(22, 18)
    header.writeUInt32BE(1, 20)
    header.writeUInt16BE(64, 52)
    header.writeUInt16BE(56, 54)
    writeFileSync(join(dir, 'be'), header)
    const elf = readElfSync(join(dir, 'be'))
    expect(elf.identity).to.deep.include({elfClass: 64, endian: 'big', machine: 22, machineName: 's390x', fileType: 'relocatable'})
    expect(elf.linkage).to.equal('static')
  })

  it('survives 1,000 mutated real ELF files: every read returns or throws an ElfError', function () {
    this.timeout(60_000)
    const dir = makeTempDir()
    const seeds = ['/usr/bin/ls', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/bin/busybox', '/usr/bin/bash']
      .filter((p) => {
        try {
          return statSync(p).isFile()
        } catch {
          return false
        }
      })
      .map((p) => readFileSync(p).subarray(0, 256 * 1024))
    // A fixed-seed generator so a failure can be reproduced.
    let state = 0x2545f491
    const random = (n: number) => {
      state ^= state << 13
      state ^= state >>> 17
      state ^= state << 5
      return (state >>> 0) % n
    }
    const counts: Record<string, number> = {}
    const target = join(dir, 'mutant')
    for (let i = 0; i < 1000; i++) {
      const mutant = Buffer.from(seeds[i % seeds.length])
      // Flip bytes where the reader looks: the ELF header, the program headers and the first pages.
      for (let flips = 1 + random(8); flips > 0; flips--) {
        const region = random(3)
        const at = region === 0 ? random(64) : region === 1 ? 64 + random(1024) : random(mutant.length)
        mutant[at] = random(256)
      }
      const cut = random(4) === 0 ? random(mutant.length) : mutant.length
      writeFileSync(target, mutant.subarray(0, cut))
      try {
        readElfSync(target)
        counts.ok = (counts.ok ?? 0) + 1
      } catch (error) {
        expect(error, `mutant ${i}`).to.be.instanceOf(ElfError)
        const code = (error as ElfError).code
        counts[code] = (counts[code] ?? 0) + 1
      }
    }
    const total = Object.values(counts).reduce((a, b) => a + b, 0)
    expect(total).to.equal(1000)
    // The mutations must exercise the rejection paths, not only the happy one.
    expect(counts.ok ?? 0).to.be.lessThan(1000)
    console.log(`      fuzz outcomes: ${JSON.stringify(counts)}`)
  })
})
