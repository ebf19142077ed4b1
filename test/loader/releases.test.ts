// Debian 11 (glibc 2.31, legacy hwcap subdirectories) and Debian 13 (glibc 2.41, glibc-hwcaps)
// resolved with --sysroot as their own loaders resolve them: every dynamic program of the
// sysroot's /usr/bin against the sysroot's ldd, run inside it; and a library placed in every
// subdirectory the release's loader searches, for RPATH, ld.so.cache and default-directory
// lookups, against what that loader picks (`ld.so --list` in the chroot).
import {expect} from 'chai'
import {copyFileSync, existsSync, mkdirSync, readFileSync, rmdirSync, rmSync, writeFileSync} from 'node:fs'
import {join, posix} from 'node:path'
import {parseLddOutput} from '../../src/ldd/parse.js'
import {resolve} from '../../src/loader/index.js'
import {loaderProfile} from '../../src/loader/loader.js'
import {Sysroot} from '../../src/loader/sysroot.js'
import {dynamicPrograms} from './helpers.js'
import {fixturesDir} from '../support/fixtures.js'
import {inChroot, inChrootOk, realPathsInside, releaseSysroot, releaseWorkDir, type Release} from '../support/releases.js'

const LOADER = '/lib64/ld-linux-x86-64.so.2'
const X86_64 = {machine: 62, elfClass: 64, endian: 'little'} as const
const RELEASES: Release[] = ['bullseye', 'trixie']

// The files the release's loader maps for each program (interpreter included), by real path.
function loaderClosures(root: string, programs: string[]): Map<string, string[] | 'error'> {
  const sections = parseLddOutput(inChroot(root, ['ldd', ...programs]).stdout, programs)
  const listed = new Map<string, string[] | 'error'>()
  for (const [i, program] of programs.entries()) {
    const lines = sections[i].lines
    if (lines.some((l) => l.type === 'error' || l.type === 'not-found')) listed.set(program, 'error')
    else listed.set(program, lines.flatMap((l) => (l.type === 'library' || l.type === 'path' ? [l.path] : [])))
  }
  return listed
}

for (const release of RELEASES) {
  describe(`resolve --sysroot: ${release}'s own loader as the oracle`, function () {
    this.timeout(600_000)

    it("agrees with the release's ldd on every dynamic program of its /usr/bin, file for file", async function () {
      const root = releaseSysroot(this, release)
      const programs = dynamicPrograms(root)
      expect(programs.length).to.be.greaterThan(100)
      const fromLoader = loaderClosures(root, programs)
      const ours = new Map<string, string[]>()
      for (const program of programs) {
        const closure = await resolve([program], {sysroot: root})
        expect(closure.missing, program).to.deep.equal([])
        ours.set(program, closure.files.filter((f) => f.kind !== 'program').map((f) => f.path))
      }
      const real = realPathsInside(root, [...ours.values(), ...fromLoader.values()].flatMap((paths) => (paths === 'error' ? [] : paths)))
      const set = (paths: string[]) => [...new Set(paths.map((p) => real.get(p) ?? p))].sort().join(' ')
      const mismatches: string[] = []
      let agreeing = 0
      for (const program of programs) {
        const theirs = fromLoader.get(program)!
        expect(theirs, `${release}'s ldd fails on ${program}`).to.not.equal('error')
        if (set(theirs as string[]) === set(ours.get(program)!)) agreeing++
        else mismatches.push(`${program}\n  ldd:  ${set(theirs as string[])}\n  ours: ${set(ours.get(program)!)}`)
      }
      console.log(`      ${release}: ${agreeing}/${programs.length} dynamic programs of /usr/bin agree with the release's ldd`)
      expect(mismatches, mismatches.join('\n')).to.deep.equal([])
    })

    it("picks the copy the release's loader picks among every subdirectory it searches (RPATH, ld.so.cache, default dirs)", async function () {
      const root = releaseSysroot(this, release)
      const work = releaseWorkDir(root)
      copyFileSync(join(fixturesDir, 'resolve/name.c'), join(work.host, 'name.c'))
      copyFileSync(join(fixturesDir, 'resolve/main.c'), join(work.host, 'main.c'))
      const cc = (args: string[]) => inChrootOk(root, ['gcc', ...args])
      const lib = `${work.inside}/libname.so`
      cc(['-shared', '-fPIC', '-Wl,-soname,libname.so', '-o', lib, `${work.inside}/name.c`])
      const rpathDir = `${work.inside}/rpath`
      const withRpath = `${work.inside}/with-rpath`
      cc(['-o', withRpath, `${work.inside}/main.c`, lib, `-Wl,-rpath,${rpathDir}`, '-Wl,--disable-new-dtags'])
      const plain = `${work.inside}/plain`
      cc(['-o', plain, `${work.inside}/main.c`, lib])
      rmSync(join(root, lib))

      // The subdirectories this loader tries in a directory, on this CPU, in its order: its own
      // account of an RPATH search (LD_DEBUG=libs), never a guess about the CPU.
      const debug = inChroot(root, [withRpath], {LD_DEBUG: 'libs'})
      const searchLine = /search path=(\S+)\s+\(RPATH from file/.exec(debug.stderr)
      expect(searchLine, debug.stderr).to.not.equal(null)
      const subdirs = searchLine![1].split(':').map((dir) => posix.relative(rpathDir, dir)).filter((sub, i, all) => all.indexOf(sub) === i)
      // Subdirectories other releases or other CPUs search, which this loader must not pick.
      const decoys = ['glibc-hwcaps/x86-64-v2', 'glibc-hwcaps/x86-64-v3', 'glibc-hwcaps/x86-64-v4', 'tls', 'x86_64', 'haswell', 'xeon_phi', 'avx512_1', 'tls/haswell/x86_64']
      const placed = [...new Set([...subdirs, ...decoys])]
      console.log(`      ${release}: the loader searches ${subdirs.map((s) => s || '.').join(' ')}`)
      // ns-tool's profile of that loader lists the same subdirectories, in the same order.
      const profile = loaderProfile(new Sysroot(root), X86_64, LOADER)
      const ours = [...profile.activeHwcaps.map((level) => `glibc-hwcaps/${level}`), ...profile.legacySubdirs, '']
      expect(ours.filter((sub, i) => ours.indexOf(sub) === i)).to.deep.equal(subdirs)
      // And the loader's other accounts agree: the hwcaps levels `ld.so --help` calls searched
      // (glibc >= 2.33), the kernel's platform (LD_SHOW_AUXV) among the legacy names (< 2.33).
      const help = inChroot(root, [LOADER, '--help'])
      if (help.status === 0) {
        const searched = [...help.stdout.matchAll(/^ {2}(x86-64-v\d) \(supported, searched\)/gm)].map((m) => `glibc-hwcaps/${m[1]}`)
        expect(subdirs.filter((sub) => sub.startsWith('glibc-hwcaps/'))).to.deep.equal(searched)
      } else {
        const platform = /^AT_PLATFORM:\s+(\S+)/m.exec(inChrootOk(root, ['/bin/true'], {LD_SHOW_AUXV: '1'}))?.[1]
        console.log(`      ${release}: AT_PLATFORM ${platform}; ns-tool's platform for this CPU: ${profile.platform}`)
        expect(profile.glibcVersion).to.be.below(2033)
        expect(subdirs.filter((sub) => sub.split('/').includes(profile.platform!)).length).to.be.greaterThan(0)
      }

      const cacheBefore = readFileSync(join(root, 'etc/ld.so.cache'))
      const confFile = join(root, 'etc/ld.so.conf.d/zz-ns-tool-test.conf')
      const defaultDir = '/usr/lib/x86_64-linux-gnu'
      const cases = [
        {via: 'rpath', program: withRpath, dir: rpathDir},
        {via: 'ld.so.cache', program: plain, dir: `${work.inside}/cached`},
        {via: 'default-dirs', program: plain, dir: defaultDir},
      ]
      const report: string[] = []
      // Directories this test made inside the sysroot, removed deepest first; nothing else is.
      const made: string[] = []
      const makeDirs = (dir: string) => {
        const missing: string[] = []
        for (let d = dir; !existsSync(join(root, d)); d = posix.dirname(d)) missing.unshift(d)
        for (const d of missing) {
          mkdirSync(join(root, d))
          made.push(d)
        }
      }
      try {
        for (const {via, program, dir} of cases) {
          const copies = placed.map((sub) => posix.join(dir, sub, 'libname.so'))
          for (const copy of copies) {
            makeDirs(posix.dirname(copy))
            cc(['-shared', '-fPIC', '-Wl,-soname,libname.so', `-DNAME="${copy}"`, '-o', copy, `${work.inside}/name.c`])
          }
          // Each round removes the copy the loader took: the whole order is compared, not its head;
          // when the searched copies are gone, neither finds one (the decoys are not searched).
          const remaining = [...copies]
          // Rule 3 for this release's scheme: the tree carries every copy a loader of the release
          // could pick on some CPU (glibc < 2.33: the legacy subdirectories; else glibc-hwcaps).
          if (via !== 'ld.so.cache') {
            const first = (await resolve([program], {sysroot: root})).files.find((f) => posix.basename(f.path) === 'libname.so')
            const hwcapsScheme = subdirs.some((sub) => sub.startsWith('glibc-hwcaps/'))
            const carried = placed.filter((sub) => sub === '' || sub.startsWith('glibc-hwcaps/') === hwcapsScheme)
            const real = realPathsInside(root, first?.variants ?? [])
            expect((first?.variants ?? []).map((v) => real.get(v)).sort(), `${release} ${via}: variants`).to.deep.equal(carried.map((sub) => posix.join(dir, sub, 'libname.so')).sort())
          }
          for (;;) {
            if (via === 'ld.so.cache') {
              writeFileSync(confFile, `${dir}\n`)
              inChrootOk(root, ['ldconfig'])
            }
            const listed = parseLddOutput(inChroot(root, [LOADER, '--list', program]).stdout, [program])[0].lines
            const theirs = listed.flatMap((l) => (l.type === 'library' && l.name === 'libname.so' ? [posix.normalize(l.path)] : []))[0]
            const closure = await resolve([program], {sysroot: root})
            const ours = closure.files.find((f) => f.soname === 'libname.so' || posix.basename(f.path) === 'libname.so')
            expect({via, path: ours?.path}, `${release} ${via}: the loader took ${theirs ?? 'none'}`).to.deep.equal({via, path: theirs})
            if (theirs === undefined) break
            // The loader names a default directory as it searched it (/lib/... on merged /usr).
            const copy = realPathsInside(root, [theirs]).get(theirs)!
            expect(remaining, `${release} ${via}: a copy this test placed`).to.include(copy)
            report.push(`${via}:${posix.relative(dir, posix.dirname(copy)) || '.'}`)
            remaining.splice(remaining.indexOf(copy), 1)
            rmSync(join(root, copy))
          }
          expect(report.filter((r) => r.startsWith(`${via}:`)).length, `${release} ${via}: choices`).to.be.greaterThan(1)
          for (const copy of remaining) rmSync(join(root, copy), {force: true})
          rmSync(confFile, {force: true})
          writeFileSync(join(root, 'etc/ld.so.cache'), cacheBefore)
        }
      } finally {
        rmSync(confFile, {force: true})
        for (const {dir} of cases) for (const sub of placed) rmSync(join(root, dir, sub, 'libname.so'), {force: true})
        for (const dir of made.reverse()) rmdirSync(join(root, dir))
        writeFileSync(join(root, 'etc/ld.so.cache'), cacheBefore)
      }
      console.log(`      ${release}: choices agreed, in order: ${report.join(' ')}`)
    })
  })
}
