import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readlinkSync, realpathSync, rmSync, symlinkSync, unlinkSync, writeFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {verify} from '../../src/verify/index.js'
import {requireStaticBusybox} from '../support/busybox.js'
import {cli} from '../support/cli.js'
import {compile, haveCompiler} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

const HOST_LOADER = '/lib64/ld-linux-x86-64.so.2'
const MULTIARCH = '/usr/lib/x86_64-linux-gnu'
const EM_AARCH64 = 183

interface Fixtures {
  greet: string
  libgreet: string
  libextra: string
}

// greet needs libgreet.so.1 (RUNPATH /usr/lib/greet), which needs libextra.so.1 (RUNPATH $ORIGIN).
// Not $ORIGIN in greet itself: the loader takes a program's $ORIGIN from /proc/self/exe, and a
// plain chroot (the oracle here) has no /proc.
function fixtures(): Fixtures {
  const libextra = compile({sources: ['verify/libextra.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libextra.so.1']})
  const libgreet = compile({
    sources: ['verify/libgreet.c'],
    flags: ['-shared', '-fPIC', '-Wl,-soname,libgreet.so.1', libextra, '-Wl,--enable-new-dtags,-rpath,$ORIGIN'],
  })
  const greet = compile({
    sources: ['verify/greet.c'],
    flags: [libgreet, '-Wl,--allow-shlib-undefined', '-Wl,--enable-new-dtags,-rpath,/usr/lib/greet'],
  })
  return {greet, libgreet, libextra}
}

function put(root: string, path: string, source: string, mode = 0o755): void {
  mkdirSync(dirname(join(root, path)), {recursive: true})
  copyFileSync(source, join(root, path))
  chmodSync(join(root, path), mode)
}

function link(root: string, path: string, target: string): void {
  mkdirSync(dirname(join(root, path)), {recursive: true})
  symlinkSync(target, join(root, path))
}

// A merged-/usr tree by hand: the loader and libc at their host paths, greet and its libraries,
// and a static busybox as /bin/sh for scripts. No ld.so.cache: the loader's default dirs serve.
function makeTree(f: Fixtures): string {
  const root = makeTempDir('ns-tool-verify-')
  for (const dir of ['bin', 'lib', 'lib64', 'sbin']) link(root, `/${dir}`, `usr/${dir}`)
  // Every link leads somewhere (verify names dangling ones): /sbin's directory exists, empty.
  mkdirSync(join(root, 'usr/sbin'), {recursive: true})
  put(root, `${MULTIARCH}/ld-linux-x86-64.so.2`, realpathSync(HOST_LOADER))
  link(root, '/usr/lib64/ld-linux-x86-64.so.2', readlinkSync(HOST_LOADER))
  put(root, `${MULTIARCH}/libc.so.6`, realpathSync(`${MULTIARCH}/libc.so.6`))
  put(root, '/usr/bin/greet', f.greet)
  put(root, '/usr/lib/greet/libgreet.so.1', f.libgreet, 0o644)
  put(root, '/usr/lib/greet/libextra.so.1', f.libextra, 0o644)
  return root
}

// The real loader as the oracle: does the program run in the tree?
function runsInTree(root: string, program: string): boolean {
  const r = spawnSync('chroot', [root, program], {encoding: 'utf8'})
  return r.status === 0
}

function withMachine(source: string, destination: string, machine: number): void {
  const bytes = readFileSync(source)
  bytes.writeUInt16LE(machine, 18)
  writeFileSync(destination, bytes, {mode: 0o755})
}

describe('verify', function () {
  before(function () {
    if (!haveCompiler()) skipBecause(this, 'no C compiler (cc) to build the fixtures')
  })

  it('passes on a complete hand-made tree, which the real loader runs', async function () {
    const root = makeTree(fixtures())
    const result = await verify(root)
    expect(result.problems).to.deep.equal([])
    expect(result.ok).to.equal(true)
    // greet, libgreet, libextra, libc, ld.so
    expect(result.checked).to.equal(5)
    if (isRoot) expect(runsInTree(root, '/usr/bin/greet')).to.equal(true)
  })

  it('names the deleted library and the program that needs it', async function () {
    const root = makeTree(fixtures())
    unlinkSync(join(root, '/usr/lib/greet/libgreet.so.1'))
    const result = await verify(root)
    expect(result.ok).to.equal(false)
    expect(result.problems.map(({path, kind, name}) => ({path, kind, name}))).to.deep.equal([{path: '/usr/bin/greet', kind: 'library', name: 'libgreet.so.1'}])
    expect(result.problems[0].searched).to.include('/usr/lib/greet/libgreet.so.1')
    if (isRoot) expect(runsInTree(root, '/usr/bin/greet')).to.equal(false)
  })

  it("checks a library's own libraries", async function () {
    const root = makeTree(fixtures())
    unlinkSync(join(root, '/usr/lib/greet/libextra.so.1'))
    const result = await verify(root)
    // Asked for by libgreet (its RUNPATH), in greet's process and in libgreet's own check alike.
    expect(result.problems.map(({path, name}) => ({path, name}))).to.deep.equal([{path: '/usr/lib/greet/libgreet.so.1', name: 'libextra.so.1'}])
    if (isRoot) expect(runsInTree(root, '/usr/bin/greet')).to.equal(false)
  })

  it('checks a library that no program loads', async function () {
    const f = fixtures()
    const root = makeTree(f)
    unlinkSync(join(root, '/usr/bin/greet'))
    put(root, `${MULTIARCH}/libgreet.so.1`, f.libgreet, 0o644)
    const result = await verify(root)
    // Its RUNPATH $ORIGIN is the multiarch dir, where no libextra is, and no program loads one.
    expect(result.problems.map(({path, name}) => ({path, name}))).to.deep.equal([{path: `${MULTIARCH}/libgreet.so.1`, name: 'libextra.so.1'}])
  })

  it("matches a module's names against what the tree's programs load first, as glibc does for dlopen", async function () {
    const f = fixtures()
    const root = makeTree(f)
    // greet loads libextra (from /usr/lib/greet); a copy of libgreet where its $ORIGIN has none
    // can only be loaded by dlopen, in a process where libextra.so.1 is loaded already.
    put(root, `${MULTIARCH}/libgreet.so.1`, f.libgreet, 0o644)
    expect((await verify(root)).problems).to.deep.equal([])
  })

  it('never follows a symlink out of the tree', async function () {
    const f = fixtures()
    const root = makeTree(f)
    unlinkSync(join(root, '/usr/lib/greet/libextra.so.1'))
    // An absolute target: on the host it exists, inside the rootfs it does not.
    symlinkSync(realpathSync(f.libextra), join(root, '/usr/lib/greet/libextra.so.1'))
    const result = await verify(root)
    // The library is missing, and the link itself leads nowhere in the rootfs.
    expect(result.problems.map(({kind, name}) => `${kind} ${name}`)).to.have.members(['library libextra.so.1', `link ${realpathSync(f.libextra)}`])
    if (isRoot) expect(runsInTree(root, '/usr/bin/greet')).to.equal(false)
  })

  it('skips a candidate of another machine, as the loader does, and reports that file itself', async function () {
    const f = fixtures()
    const root = makeTree(f)
    // The RUNPATH dir now holds an aarch64 libgreet; the loader skips it and finds the real one
    // in its default dirs (with libextra next to it for its $ORIGIN).
    withMachine(f.libgreet, join(root, '/usr/lib/greet/libgreet.so.1'), EM_AARCH64)
    put(root, `${MULTIARCH}/libgreet.so.1`, f.libgreet, 0o644)
    put(root, `${MULTIARCH}/libextra.so.1`, f.libextra, 0o644)
    const result = await verify(root)
    expect(result.problems.filter((problem) => problem.path === '/usr/bin/greet')).to.deep.equal([])
    // The aarch64 library cannot be loaded here: no aarch64 libc or libextra in the tree.
    expect(result.problems.length).to.be.greaterThan(0)
    for (const problem of result.problems) expect(problem.path).to.equal('/usr/lib/greet/libgreet.so.1')
    if (isRoot) expect(runsInTree(root, '/usr/bin/greet')).to.equal(true)
  })

  it('reports a foreign program whose interpreter is not its own kind, and a garbage ELF, without crashing', async function () {
    const f = fixtures()
    const root = makeTree(f)
    withMachine(f.greet, join(root, '/usr/bin/greet-arm'), EM_AARCH64)
    writeFileSync(join(root, '/usr/bin/garbage'), Buffer.concat([Buffer.from('\u007fELF', 'latin1'), Buffer.alloc(60, 0xff)]), {mode: 0o755})
    writeFileSync(join(root, `${MULTIARCH}/libtruncated.so.1`), readFileSync(realpathSync(`${MULTIARCH}/libc.so.6`)).subarray(0, 200))
    const result = await verify(root)
    const byPath = new Map(result.problems.map((problem) => [problem.path, problem]))
    expect(byPath.get('/usr/bin/greet-arm')).to.include({kind: 'interpreter', name: HOST_LOADER})
    expect(byPath.get('/usr/bin/greet-arm')!.error).to.match(/x86_64.*aarch64/)
    expect(byPath.get('/usr/bin/garbage')).to.include({kind: 'elf', name: '/usr/bin/garbage'})
    expect(byPath.get(`${MULTIARCH}/libtruncated.so.1`)).to.include({kind: 'elf'})
    expect(byPath.get(`${MULTIARCH}/libtruncated.so.1`)!.error).to.match(/^truncated/)
    expect(result.problems).to.have.length(3)
  })

  it('reports a needed library the loader refuses (garbage under its name)', async function () {
    const root = makeTree(fixtures())
    writeFileSync(join(root, '/usr/lib/greet/libextra.so.1'), 'not an ELF file\n')
    const result = await verify(root)
    expect(result.problems).to.have.length(1)
    expect(result.problems[0]).to.include({path: '/usr/lib/greet/libgreet.so.1', kind: 'library', name: 'libextra.so.1'})
    expect(result.problems[0].error).to.match(/invalid ELF header/)
    if (isRoot) expect(runsInTree(root, '/usr/bin/greet')).to.equal(false)
  })

  it("checks executable scripts' interpreters, env NAME included, and ignores non-executable text", async function () {
    requireStaticBusybox(this)
    const root = makeTree(fixtures())
    put(root, '/usr/bin/busybox', '/bin/busybox')
    link(root, '/usr/bin/sh', 'busybox')
    link(root, '/usr/bin/env', 'busybox')
    const scripts: Record<string, [string, number]> = {
      '/usr/bin/fine': ['#!/bin/sh\necho fine\n', 0o755],
      '/usr/bin/via-env': ['#!/usr/bin/env sh\necho env\n', 0o755],
      '/usr/bin/zsh-script': ['#!/bin/zsh -e\necho\n', 0o755],
      '/usr/bin/py-script': ['#!/usr/bin/env python9\n', 0o755],
      '/usr/share/doc/example.py': ['#!/usr/bin/python9\n', 0o644],
    }
    for (const [path, [text, mode]] of Object.entries(scripts)) {
      mkdirSync(dirname(join(root, path)), {recursive: true})
      writeFileSync(join(root, path), text, {mode})
    }
    const result = await verify(root)
    expect(result.problems.map(({path, kind, name}) => ({path, kind, name}))).to.deep.equal([
      {path: '/usr/bin/py-script', kind: 'interpreter', name: 'python9'},
      {path: '/usr/bin/zsh-script', kind: 'interpreter', name: '/bin/zsh'},
    ])
    expect(result.problems[0].searched).to.include('/usr/bin/python9')
    // 5 ELF files, busybox, and the four executable scripts.
    expect(result.checked).to.equal(10)
    if (isRoot) {
      expect(spawnSync('chroot', [root, '/usr/bin/via-env'], {encoding: 'utf8'}).stdout).to.equal('env\n')
      expect(spawnSync('chroot', [root, '/usr/bin/zsh-script']).status).to.not.equal(0)
    }
  })

  it('skips the contents of /proc, /dev and /sys', async function () {
    const root = makeTree(fixtures())
    for (const dir of ['proc', 'dev', 'sys']) {
      mkdirSync(join(root, dir, 'sub'), {recursive: true})
      writeFileSync(join(root, dir, 'sub', 'garbage'), '\u007fELF????', {mode: 0o755})
    }
    expect((await verify(root)).ok).to.equal(true)
  })

  describe('the command', function () {
    it('exits 0 with a summary line, then 1 naming what is missing and who needs it, with the same facts in --json', function () {
      const root = makeTree(fixtures())
      const ok = cli(['verify', root])
      expect(ok.status, ok.stderr).to.equal(0)
      // The summary is for people: stderr, as build-rootfs's; stdout carries data only.
      expect(ok.stdout).to.equal('')
      expect(ok.stderr).to.contain('5 files checked')

      unlinkSync(join(root, '/usr/lib/greet/libgreet.so.1'))
      writeFileSync(join(root, '/usr/bin/script'), '#!/bin/nosuchshell\n', {mode: 0o755})
      const failed = cli(['verify', root])
      expect(failed.status).to.equal(1)
      const lines = failed.stdout.trim().split('\n')
      expect(lines).to.have.length(2)
      expect(lines[0]).to.match(/^libgreet\.so\.1 needed by \/usr\/bin\/greet: not found \(searched: /)
      expect(lines[1]).to.equal('interpreter /bin/nosuchshell needed by /usr/bin/script: not found (searched: /bin/nosuchshell)')
      expect(failed.stderr.trim()).to.equal(`ns-tool verify: ${root}: 2 problems in 5 files checked`)

      const json = cli(['verify', '--json', root])
      expect(json.status).to.equal(1)
      const report = JSON.parse(json.stdout)
      expect(Object.keys(report)).to.deep.equal(['ok', 'checked', 'problems', 'data', 'dlopen', 'notClosed'])
      expect(report.ok).to.equal(false)
      expect(report.checked).to.equal(5)
      expect(report.notClosed).to.equal(0)
      expect(report.problems.map((p: {path: string; kind: string; name: string}) => [p.path, p.kind, p.name])).to.deep.equal([
        ['/usr/bin/greet', 'library', 'libgreet.so.1'],
        ['/usr/bin/script', 'interpreter', '/bin/nosuchshell'],
      ])
      for (const problem of report.problems) expect(problem.searched).to.be.an('array').that.is.not.empty
    })

    it('refuses a missing rootfs or a file with one clear line', function () {
      const dir = makeTempDir()
      const missing = cli(['verify', join(dir, 'nope')])
      expect(missing.status).to.equal(2)
      expect(missing.stderr.trim()).to.equal(`ns-tool verify: ${join(dir, 'nope')}: no such directory (give the rootfs directory to check)`)
      writeFileSync(join(dir, 'file'), '')
      const file = cli(['verify', join(dir, 'file')])
      expect(file.status).to.equal(2)
      expect(file.stderr.trim().split('\n')).to.have.length(1)
      expect(file.stderr).to.contain('not a directory')
    })
  })

  describe('trees made by build-rootfs', function () {
    it('passes on a tree of libraries alone (-f): a library\'s PT_INTERP (libc.so.6 has one) is not needed to load it', async function () {
      const libz = ['/usr/lib/x86_64-linux-gnu/libz.so.1', '/lib/x86_64-linux-gnu/libz.so.1'].find((path) => existsSync(path))
      if (!libz) skipBecause(this, 'no libz.so.1 on this host')
      const root = join(makeTempDir(), 'rootfs')
      const built = cli(['build-rootfs', '-o', root, '-f', libz!])
      expect(built.status, built.stderr).to.equal(0)
      const result = await verify(root)
      expect(result.problems).to.deep.equal([])
      // A program's interpreter is still required: the tree's own copy of libz's user, libc, stays a library.
      expect(result.checked).to.be.greaterThan(1)
    })

    for (const layout of ['host', 'flat']) {
      it(`passes on bash ls ps (--layout ${layout}), then names libtinfo and bash once it is deleted`, async function () {
        const root = join(makeTempDir(), 'rootfs')
        const built = cli(['build-rootfs', '-o', root, '--layout', layout, 'bash', 'ls', 'ps'])
        expect(built.status, built.stderr).to.equal(0)
        const result = await verify(root)
        expect(result.problems).to.deep.equal([])
        expect(result.checked).to.be.greaterThan(3)

        const bash = layout === 'host' ? '/usr/bin/bash' : '/bin/bash'
        const libtinfo = JSON.parse(cli(['deps', '--json', '--sysroot', root, bash]).stdout).files.find((file: {soname?: string}) => file.soname === 'libtinfo.so.6')
        rmSync(join(root, libtinfo.path))
        const broken = await verify(root)
        expect(broken.ok).to.equal(false)
        expect(broken.problems.map(({path, kind, name}) => ({path, kind, name}))).to.deep.include({path: bash, kind: 'library', name: 'libtinfo.so.6'})
        for (const problem of broken.problems) expect(problem.name).to.equal('libtinfo.so.6')
        if (isRoot) expect(spawnSync('chroot', [root, '/bin/bash', '-c', 'true']).status).to.not.equal(0)
      })
    }
  })
})
