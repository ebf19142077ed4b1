// --file of a symlink brings the link and what it leads to (placed as programs' links are, with the
// target's dependencies when it is ELF); the host's top-level links come only when something of
// theirs is in the tree; a built tree has no dangling link.
import {expect} from 'chai'
import {existsSync, lstatSync, readlinkSync, realpathSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../../support/cli.js'
import {danglingLinks} from '../../support/links.js'
import {skipBecause} from '../../support/skip.js'
import {makeTempDir} from '../../support/temp.js'

const LIBZ = '/usr/lib/x86_64-linux-gnu/libz.so.1'

function build(out: string, args: string[]) {
  const r = cli(['build-rootfs', '--json', '-o', out, ...args])
  expect(r.status, r.stderr).to.equal(0)
  return JSON.parse(r.stdout) as {entries: Array<{path: string; type: string; target?: string; reason: string}>}
}

function verifyProblems(out: string): Array<{kind: string; path: string}> {
  const r = cli(['verify', '--json', out])
  return JSON.parse(r.stdout).problems
}

describe('rootfs/plan: --file links and dangling links', function () {
  it('-f of a library\'s link brings the link, its target and the target\'s dependencies, at its path or at DEST', function () {
    const lib = '/usr/lib/x86_64-linux-gnu/libsystemd.so.0'
    if (!existsSync(lib) || !lstatSync(lib).isSymbolicLink()) skipBecause(this, `${lib} is not a symlink here`)
    const out = join(makeTempDir(), 'rootfs')
    build(out, ['--no-skeleton', '-f', lib, '-f', `${lib}:/opt/sd/libsystemd.so.0`, 'true'])
    const real = realpathSync(lib)
    expect(lstatSync(join(out, lib)).isSymbolicLink()).to.equal(true)
    expect(lstatSync(join(out, real)).isFile(), real).to.equal(true)
    expect(readlinkSync(join(out, '/opt/sd/libsystemd.so.0'))).to.equal(readlinkSync(lib))
    expect(lstatSync(join(out, '/opt/sd', readlinkSync(lib))).isFile(), 'the target beside DEST').to.equal(true)
    // Its own needs, which true does not have.
    for (const soname of ['liblzma.so.5', 'libzstd.so.1', 'libcap.so.2']) expect(existsSync(join(out, '/usr/lib/x86_64-linux-gnu', soname)), soname).to.equal(true)
    expect(danglingLinks(out)).to.deep.equal([])
    expect(verifyProblems(out)).to.deep.equal([])
  })

  it('-f /etc/localtime brings the zone file its absolute link names', function () {
    const link = readlinkSync('/etc/localtime')
    const out = join(makeTempDir(), 'rootfs')
    build(out, ['--no-skeleton', '-f', '/etc/localtime'])
    expect(readlinkSync(join(out, 'etc/localtime'))).to.equal(link)
    expect(lstatSync(join(out, realpathSync('/etc/localtime'))).isFile()).to.equal(true)
    expect(danglingLinks(out)).to.deep.equal([])
  })

  it('-f /etc/ssl/certs leaves no dangling link', function () {
    if (!existsSync('/etc/ssl/certs')) skipBecause(this, '/etc/ssl/certs is missing (ca-certificates is not installed)')
    const out = join(makeTempDir(), 'rootfs')
    build(out, ['-f', '/etc/ssl/certs', 'true'])
    expect(danglingLinks(out)).to.deep.equal([])
    expect(verifyProblems(out).filter((p) => p.kind === 'link')).to.deep.equal([])
  })

  it('a top-level host link comes only when something of its own is in the tree', function () {
    const out = join(makeTempDir(), 'rootfs')
    const plan = build(out, ['bash'])
    const tops = plan.entries.filter((e) => e.type === 'symlink' && e.path.split('/').length === 2).map((e) => e.path)
    for (const top of ['/lib32', '/libx32', '/sbin']) expect(tops, top).to.not.include(top)
    if (lstatSync('/bin').isSymbolicLink()) expect(readlinkSync(join(out, 'bin'))).to.equal(readlinkSync('/bin'))
    expect(existsSync(join(out, 'bin/bash')), '/bin/bash works').to.equal(true)
    const withSbin = build(join(makeTempDir(), 'rootfs'), ['bash', 'ldconfig'])
    if (lstatSync('/sbin').isSymbolicLink()) expect(withSbin.entries.map((e) => e.path)).to.include('/sbin')
  })

  it('a built tree has no dangling link, whatever was asked', function () {
    const builds: string[][] = [
      ['bash', 'ls', 'ps'],
      ['--busybox', 'true'],
      ['--layout', 'flat', 'bash', 'python3'],
      ['-f', '/etc/ssl/certs', '-f', '/etc/localtime', '-f', LIBZ, 'ls'],
      ['-f', '/usr/share/zoneinfo/Europe', 'date'],
    ]
    for (const args of builds) {
      const out = join(makeTempDir(), 'rootfs')
      build(out, args)
      expect(danglingLinks(out), args.join(' ')).to.deep.equal([])
      expect(verifyProblems(out).filter((p) => p.kind === 'link'), args.join(' ')).to.deep.equal([])
    }
  })
})
