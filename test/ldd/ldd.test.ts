import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {copyFileSync, mkdirSync, realpathSync, rmSync, writeFileSync, chmodSync} from 'node:fs'
import {join} from 'node:path'
import {parseLddLine, parseLddOutput, parsePreloadList, runLdd} from '../../src/ldd/parse.js'
import {compile, haveCompiler} from '../support/fixtures.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

function haveLdd(): boolean {
  return spawnSync('ldd', ['--version'], {stdio: 'ignore'}).status === 0
}

describe('resolve/ldd', () => {
  describe('parseLddLine', () => {
    it('reads each kind of line ldd prints', () => {
      expect(parseLddLine('\tlinux-vdso.so.1 (0x00007ffc5b9f6000)')).to.deep.equal({type: 'vdso', name: 'linux-vdso.so.1'})
      expect(parseLddLine('\tlinux-gate.so.1 =>  (0xb7fb0000)')).to.deep.equal({type: 'vdso', name: 'linux-gate.so.1'})
      expect(parseLddLine('\tlibc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x00007f3a1c000000)')).to.deep.equal({
        type: 'library',
        name: 'libc.so.6',
        path: '/lib/x86_64-linux-gnu/libc.so.6',
      })
      expect(parseLddLine('\tlib with space.so => /opt/a b/lib with space.so (0x1)')).to.deep.equal({type: 'library', name: 'lib with space.so', path: '/opt/a b/lib with space.so'})
      expect(parseLddLine('\t/lib64/ld-linux-x86-64.so.2 (0x00007f3a1c3f0000)')).to.deep.equal({type: 'path', path: '/lib64/ld-linux-x86-64.so.2'})
      expect(parseLddLine('\tlibgone.so.1 => not found')).to.deep.equal({type: 'not-found', name: 'libgone.so.1'})
      expect(parseLddLine('\tstatically linked')).to.deep.equal({type: 'statically-linked'})
      expect(parseLddLine('\tnot a dynamic executable')).to.deep.equal({type: 'not-dynamic'})
      expect(parseLddLine('ldd: /nope: No such file or directory')).to.deep.equal({type: 'error', message: '/nope: No such file or directory'})
      expect(parseLddLine("ldd: warning: you do not have execution permission for `/x'")).to.deep.equal({type: 'other', text: "ldd: warning: you do not have execution permission for `/x'"})
      expect(parseLddLine("ERROR: ld.so: object '/usr/lib/libgone.so' from /etc/ld.so.preload cannot be preloaded (cannot open shared object file): ignored.")).to.deep.equal({
        type: 'preload-error',
        object: '/usr/lib/libgone.so',
        source: '/etc/ld.so.preload',
        message: 'cannot open shared object file',
      })
      expect(parseLddLine("./a: /lib/x86_64-linux-gnu/libc.so.6: version `GLIBC_2.99' not found (required by ./a)")?.type).to.equal('other')
      expect(parseLddLine('')).to.equal(undefined)
    })

    it('reads /etc/ld.so.preload lists', () => {
      expect(parsePreloadList('# comment\n/usr/lib/a.so libb.so:/c.so\n\n')).to.deep.equal(['/usr/lib/a.so', 'libb.so', '/c.so'])
    })
  })

  it('splits the real output of one ldd run over many files', async function () {
    if (!haveLdd()) skipBecause(this, 'ldd is not installed')
    if (!haveCompiler()) skipBecause(this, 'no C compiler to build the fixtures')
    const dir = makeTempDir()
    const staticProgram = join(dir, 'static')
    const staticPie = join(dir, 'static-pie')
    const libgone = join(dir, 'libgone.so')
    const needsGone = join(dir, 'needs-gone')
    const script = join(dir, 'script.sh')
    const notRegular = join(dir, 'a-directory')
    const absent = join(dir, 'absent')
    let canStatic = true
    try {
      copyFileSync(compile({sources: ['resolve/plain.c'], flags: ['-static']}), staticProgram)
      copyFileSync(compile({sources: ['resolve/plain.c'], flags: ['-static-pie']}), staticPie)
    } catch {
      canStatic = false
    }
    compile({sources: ['resolve/name.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libgone.so'], output: libgone})
    compile({sources: ['resolve/main.c', libgone], flags: [], output: needsGone})
    rmSync(libgone)
    writeFileSync(script, '#!/bin/sh\necho hi\n')
    chmodSync(script, 0o755)
    mkdirSync(notRegular)

    const files = ['/bin/sh', needsGone, script, notRegular, absent, ...(canStatic ? [staticProgram, staticPie] : [])]
    const sections = await runLdd(files, {batchSize: files.length})
    expect(sections.map((s) => s.file)).to.deep.equal(files)
    const byFile = new Map(sections.map((s) => [s.file, s.lines]))

    const sh = byFile.get('/bin/sh')!
    expect(sh.some((l) => l.type === 'vdso')).to.equal(true)
    const libc = sh.find((l) => l.type === 'library' && l.name === 'libc.so.6')
    expect(libc, 'libc line').to.not.equal(undefined)
    // The loader line is PT_INTERP as written, e.g. /lib64/ld-linux-x86-64.so.2.
    const interp = spawnSync('readelf', ['-l', realpathSync('/bin/sh')], {encoding: 'utf8'}).stdout.match(/interpreter: (\S+)\]/)?.[1]
    if (interp) expect(sh).to.deep.include({type: 'path', path: interp})

    expect(byFile.get(needsGone)).to.deep.include({type: 'not-found', name: 'libgone.so'})
    expect(byFile.get(script)).to.deep.equal([{type: 'not-dynamic'}])
    expect(byFile.get(notRegular)).to.deep.equal([{type: 'error', message: `${notRegular}: not regular file`}])
    expect(byFile.get(absent)).to.deep.equal([{type: 'error', message: `${absent}: No such file or directory`}])
    if (canStatic) {
      expect(byFile.get(staticProgram)).to.deep.equal([{type: 'not-dynamic'}])
      expect(byFile.get(staticPie)).to.deep.equal([{type: 'statically-linked'}])
    }
  })

  it('keeps preload noise apart from the libraries (real loader output)', function () {
    if (!haveLdd()) skipBecause(this, 'ldd is not installed')
    // The loader prints the same complaint for LD_PRELOAD as for /etc/ld.so.preload.
    const r = spawnSync('sh', ['-c', 'exec ldd /bin/sh 2>&1'], {encoding: 'utf8', env: {...process.env, LD_PRELOAD: '/nonexistent/ns-tool-preload.so'}})
    const [section] = parseLddOutput(r.stdout, ['/bin/sh'])
    expect(section.lines).to.deep.include({
      type: 'preload-error',
      object: '/nonexistent/ns-tool-preload.so',
      source: 'LD_PRELOAD',
      message: 'cannot open shared object file',
    })
    expect(section.lines.filter((l) => l.type === 'library').length).to.be.greaterThan(0)
    expect(section.lines.filter((l) => l.type === 'other')).to.deep.equal([])
  })

  it('attributes lines to files by their "FILE:" headers only', () => {
    const output = ['/a:', '\tlibc.so.6 => /lib/libc.so.6 (0x1)', '/b:', 'ldd: /b: not regular file', '/c:', '\tnot a dynamic executable', ''].join('\n')
    const sections = parseLddOutput(output, ['/a', '/b', '/c'])
    expect(sections.map((s) => s.lines.length)).to.deep.equal([1, 1, 1])
    // One file: no header at all.
    expect(parseLddOutput('\tstatically linked\n', ['/x'])[0].lines).to.deep.equal([{type: 'statically-linked'}])
  })
})
