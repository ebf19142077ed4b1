// .note.dlopen (FDO ELF dlopen metadata): a fixture program names its plugin only in the note and
// loads it with dlopen; the tree built from the program's name alone has the plugin (and the
// plugin's own library), the program runs there; --dlopen chooses the priorities; verify says what
// a note names and the tree lacks.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {dlopenFeatures} from '../../src/data/dlopen.js'
import {readElfSections} from '../../src/elf/sections.js'
import {cli} from '../support/cli.js'
import {compile, glibcRoot} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

const LIBDIR = 'usr/lib/x86_64-linux-gnu'

// A sysroot with glibc, /usr/bin/dlopener, libnsplugin.so.1 (named only by dlopener's note) and
// the library it needs, libnsdep.so.1; libnsextra.so.1 (a "suggested" feature) when asked.
function sysrootWithPlugin(extra = false): string {
  const root = makeTempDir()
  glibcRoot(root)
  const dep = compile({sources: ['data/plugin-dep.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libnsdep.so.1'], output: join(root, LIBDIR, 'libnsdep.so.1')})
  compile({sources: ['data/plugin.c', dep], flags: ['-shared', '-fPIC', '-Wl,-soname,libnsplugin.so.1'], output: join(root, LIBDIR, 'libnsplugin.so.1')})
  if (extra) compile({sources: ['data/plugin-dep.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libnsextra.so.1'], output: join(root, LIBDIR, 'libnsextra.so.1')})
  compile({sources: ['data/dlopener.c'], output: join(root, 'usr/bin/dlopener')})
  return root
}

function plan(sysroot: string, flags: string[] = []): {entries: Array<{path: string; reason: string}>; stderr: string} {
  const r = cli(['build-rootfs', '--dry-run', '--json', '--sysroot', sysroot, '-o', join(makeTempDir(), 'out'), ...flags, '/usr/bin/dlopener'])
  expect(r.status, r.stderr).to.equal(0)
  return {entries: JSON.parse(r.stdout).entries, stderr: r.stderr}
}

describe('data/dlopen', function () {
  it('reads the features of a .note.dlopen, as readelf -n shows the notes', function () {
    const program = compile({sources: ['data/dlopener.c']})
    const notes = readElfSections(program).notes
    const shown = spawnSync('readelf', ['-nW', program], {encoding: 'utf8'}).stdout
    expect(notes.filter((note) => note.owner === 'FDO').length).to.equal((shown.match(/FDO\s+0x[0-9a-f]+\s+Unknown note type: \(0x407c0c0a\)/g) ?? []).length)
    expect(dlopenFeatures(notes)).to.deep.equal([
      {feature: 'plugin', description: 'says its name', priority: 'recommended', sonames: ['libnsplugin.so.2', 'libnsplugin.so.1']},
      {feature: 'extra', priority: 'suggested', sonames: ['libnsextra.so.1']},
    ])
  })

  it('brings the library a note names (the first alternative found) and its dependencies, with the note as reason', function () {
    const {entries} = plan(sysrootWithPlugin())
    const reason = (name: string) => entries.find((entry) => entry.path === `/${LIBDIR}/${name}`)?.reason
    expect(reason('libnsplugin.so.1')).to.equal('dlopen note of dlopener: plugin (recommended)')
    expect(reason('libnsdep.so.1')).to.match(/^library/)
    expect(reason('libnsextra.so.1'), 'suggested: not followed by default').to.equal(undefined)
  })

  it('--dlopen chooses the priorities: suggested adds the suggested feature, none ignores the notes, a missing one is a warning', function () {
    const sysroot = sysrootWithPlugin(true)
    const paths = (flags: string[]) => plan(sysroot, flags).entries.map((entry) => entry.path)
    expect(paths(['--dlopen', 'suggested'])).to.include.members([`/${LIBDIR}/libnsextra.so.1`, `/${LIBDIR}/libnsplugin.so.1`])
    expect(paths(['--dlopen', 'required'])).to.not.include(`/${LIBDIR}/libnsplugin.so.1`)
    expect(paths(['--dlopen', 'none'])).to.not.include(`/${LIBDIR}/libnsplugin.so.1`)
    const missing = plan(sysrootWithPlugin(false), ['--dlopen', 'suggested'])
    expect(missing.stderr).to.include('warning: /usr/bin/dlopener: its .note.dlopen names libnsextra.so.1 (extra (suggested)), which is not found')
  })

  it('the program runs in its tree built from its name alone; without the note\'s library it cannot, and verify --dlopen says why', function () {
    if (!isRoot) skipBecause(this, 'chroot needs root')
    const sysroot = sysrootWithPlugin()
    const build = (flags: string[]) => {
      const output = join(makeTempDir(), 'rootfs')
      const r = cli(['build-rootfs', '-q', '--sysroot', sysroot, '-o', output, ...flags, '/usr/bin/dlopener'])
      expect(r.status, r.stderr).to.equal(0)
      return output
    }
    const tree = build([])
    const run = spawnSync('chroot', [tree, '/usr/bin/dlopener'], {encoding: 'utf8'})
    expect({status: run.status, stdout: run.stdout}).to.deep.equal({status: 0, stdout: 'plugin loaded\n'})

    const without = build(['--dlopen', 'none'])
    const failed = spawnSync('chroot', [without, '/usr/bin/dlopener'], {encoding: 'utf8'})
    expect(failed.status).to.equal(3)
    expect(failed.stderr).to.match(/libnsplugin\.so\.1: cannot open shared object file/)
    // verify holds the tree to what it was built with (--dlopen none) unless asked for more.
    expect(cli(['verify', without]).status).to.equal(0)
    const verify = cli(['verify', '--json', '--dlopen', 'recommended', without])
    expect(verify.status).to.equal(1)
    expect(JSON.parse(verify.stdout).problems).to.deep.include({path: '/usr/bin/dlopener', kind: 'dlopen', name: 'libnsplugin.so.2 or libnsplugin.so.1', error: 'named by its .note.dlopen (plugin, recommended)'})
    expect(cli(['verify', tree]).status, readFileSync(join(tree, 'etc/ld.so.conf'), 'utf8')).to.equal(0)
  })
})
