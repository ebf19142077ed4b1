// Provenance in the tree: each copied host file names the package dpkg says ships it; the tree
// gets the host's (or the sysroot's) os-release and a status.d database of exactly the packages
// present, partial ones marked; --no-skeleton keeps the annotations but adds nothing; deps shows
// the packages too.
import {expect} from 'chai'
import {copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {parseParagraph} from '../../src/data/packages.js'
import {requireStaticBusybox} from '../support/busybox.js'
import {cli} from '../support/cli.js'
import {dpkgOwners, expectedPackages, field, haveDpkg, manifestEntries} from '../support/dpkg.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

const STATUS_D = 'var/lib/dpkg/status.d'

function statusEntries(rootfs: string): Map<string, Record<string, string>> {
  const found = new Map<string, Record<string, string>>()
  for (const name of readdirSync(join(rootfs, STATUS_D))) {
    if (name.endsWith('.md5sums')) continue
    const fields = parseParagraph(readFileSync(join(rootfs, STATUS_D, name), 'utf8'))
    found.set(`${fields.Package}:${fields.Architecture}`, fields)
  }
  return found
}

describe('provenance in the tree', function () {
  this.timeout(300_000)
  let work: string
  beforeEach(function () {
    if (!haveDpkg || !existsSync('/var/lib/dpkg/status')) skipBecause(this, 'this host has no dpkg database')
    work = makeTempDir()
  })

  it('names for every copied file the package and version dpkg names for it', function () {
    const rootfs = join(work, 'rootfs')
    const r = cli(['build-rootfs', '-q', '-o', rootfs, 'bash', 'ls', 'sort'])
    expect(r.status, r.stderr).to.equal(0)
    const copies = manifestEntries(rootfs).filter((e) => e.type === 'file' && e.source !== undefined)
    const owners = dpkgOwners(copies.map((e) => e.source!))
    expect(owners.size).to.be.greaterThan(5)
    for (const entry of copies) {
      const owner = owners.get(entry.source!)
      if (owner === undefined) {
        expect(entry.package, entry.path).to.equal(undefined)
        continue
      }
      expect(`${entry.package?.name}:${entry.package?.architecture}`, entry.path).to.equal(owner)
      expect(entry.package!.version, entry.path).to.equal(field(owner, 'Version'))
    }
    expect(copies.find((e) => e.path === '/usr/bin/sort')?.package?.name).to.equal('coreutils')
  })

  it('gives the tree os-release, debian_version and a status.d entry for exactly the packages present; partial ones are marked', function () {
    const rootfs = join(work, 'rootfs')
    // Every regular file of libtinfo6 (its md5sums) makes that package whole in the tree.
    const tinfo = 'libtinfo6:amd64'
    const md5sums = join('/var/lib/dpkg/info', `${tinfo}.md5sums`)
    if (!existsSync(md5sums)) skipBecause(this, `${tinfo} is not installed here`)
    const whole = readFileSync(md5sums, 'utf8').split('\n').filter(Boolean).map((line) => '/' + line.slice(34))
    const r = cli(['build-rootfs', '-q', '-o', rootfs, 'bash', ...whole.flatMap((path) => ['--file', path])])
    expect(r.status, r.stderr).to.equal(0)
    expect(readFileSync(join(rootfs, 'etc/os-release'), 'utf8')).to.equal(readFileSync('/etc/os-release', 'utf8'))
    expect(readFileSync(join(rootfs, 'etc/debian_version'), 'utf8')).to.equal(readFileSync('/etc/debian_version', 'utf8'))
    const expected = expectedPackages(rootfs)
    const entries = statusEntries(rootfs)
    expect([...entries.keys()].sort()).to.deep.equal([...expected.keys()].sort())
    for (const [key, fields] of entries) {
      expect(fields.Version, key).to.equal(expected.get(key))
      expect(fields.Status, key).to.equal(field(key, 'Status'))
      expect(fields.Depends ?? '', key).to.equal(field(key, 'Depends'))
    }
    expect(entries.get(tinfo)!['X-Ns-Tool-Partial'], 'libtinfo6 is whole').to.equal(undefined)
    expect(entries.get('bash:amd64')!['X-Ns-Tool-Partial'], 'bash is partial').to.equal('yes')
    // bash's md5sums: the host's lines for the files the tree holds, and only those.
    const kept = readFileSync(join(rootfs, STATUS_D, 'bash.md5sums'), 'utf8').split('\n').filter(Boolean)
    const host = readFileSync('/var/lib/dpkg/info/bash.md5sums', 'utf8').split('\n').filter(Boolean)
    expect(kept).to.deep.equal(host.filter((line) => existsSync(join(rootfs, line.slice(34)))))
    expect(kept.map((line) => line.slice(34))).to.include.members(['bin/bash', 'usr/share/doc/bash/copyright'])
  })

  it('--no-skeleton: the entries still name their packages, but the tree gets no metadata', function () {
    const rootfs = join(work, 'rootfs')
    const r = cli(['build-rootfs', '-q', '--no-skeleton', '-o', rootfs, 'ls'])
    expect(r.status, r.stderr).to.equal(0)
    // Under /var only ns-tool's own record of the tree (left out of exports), no package database.
    expect(readdirSync(join(rootfs, 'var'), {recursive: true}).sort()).to.deep.equal(['lib', 'lib/ns-tool', 'lib/ns-tool/manifest.json'])
    expect(existsSync(join(rootfs, 'etc/os-release'))).to.equal(false)
    expect(existsSync(join(rootfs, 'usr/share/doc'))).to.equal(false)
    expect(manifestEntries(rootfs).find((e) => e.path === '/usr/bin/ls')?.package?.name).to.equal('coreutils')
  })

  it('takes os-release and the package database from a --sysroot', function () {
    requireStaticBusybox(this)
    const sysroot = join(work, 'sysroot')
    for (const dir of ['usr/bin', 'etc', 'var/lib/dpkg/info', 'usr/share/doc/tiny-box']) mkdirSync(join(sysroot, dir), {recursive: true})
    symlinkSync('usr/bin', join(sysroot, 'bin'))
    copyFileSync('/bin/busybox', join(sysroot, 'usr/bin/busybox'))
    writeFileSync(join(sysroot, 'etc/os-release'), 'ID=tinyos\nVERSION_ID=7\nPRETTY_NAME="Tiny OS 7"\n')
    writeFileSync(join(sysroot, 'usr/share/doc/tiny-box/copyright'), 'Format: https://www.debian.org/doc/packaging-manuals/copyright-format/1.0/\n\nFiles: *\nCopyright: nobody\nLicense: GPL-2\n')
    writeFileSync(join(sysroot, 'var/lib/dpkg/status'), 'Package: tiny-box\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1:2.3-4\nDescription: a box\n')
    writeFileSync(join(sysroot, 'var/lib/dpkg/info/tiny-box.list'), '/.\n/bin\n/bin/busybox\n/usr/share/doc/tiny-box\n/usr/share/doc/tiny-box/copyright\n')
    const rootfs = join(work, 'rootfs')
    const r = cli(['build-rootfs', '-q', '--sysroot', sysroot, '-o', rootfs, '/bin/busybox'])
    expect(r.status, r.stderr).to.equal(0)
    expect(readFileSync(join(rootfs, 'etc/os-release'), 'utf8')).to.contain('ID=tinyos')
    expect(existsSync(join(rootfs, 'etc/debian_version'))).to.equal(false)
    const entries = statusEntries(rootfs)
    expect([...entries.keys()]).to.deep.equal(['tiny-box:amd64'])
    expect(entries.get('tiny-box:amd64')!.Version).to.equal('1:2.3-4')
    expect(entries.get('tiny-box:amd64')!['X-Ns-Tool-Partial']).to.equal(undefined)
  })

  it('a --base keeps its own os-release; the packages ns-tool adds still get their status.d entries', function () {
    const base = join(work, 'base')
    mkdirSync(join(base, 'etc'), {recursive: true})
    writeFileSync(join(base, 'etc/os-release'), 'ID=basey\nVERSION_ID=3\n')
    const rootfs = join(work, 'rootfs')
    const r = cli(['build-rootfs', '-q', '--base', base, '-o', rootfs, 'ls'])
    expect(r.status, r.stderr).to.equal(0)
    expect(readFileSync(join(rootfs, 'etc/os-release'), 'utf8')).to.equal('ID=basey\nVERSION_ID=3\n')
    expect(existsSync(join(rootfs, 'etc/debian_version'))).to.equal(false)
    expect([...statusEntries(rootfs).keys()]).to.include('coreutils:amd64')
  })

  it('deps shows the package and version of each file', function () {
    const json = cli(['deps', '--json', 'ls'])
    expect(json.status, json.stderr).to.equal(0)
    const files = JSON.parse(json.stdout).files as Array<{path: string; package?: {name: string; version: string}}>
    const owners = dpkgOwners(files.map((f) => f.path))
    for (const file of files) expect(file.package && `${file.package.name}:${field(owners.get(file.path)!, 'Architecture')}`, file.path).to.equal(owners.get(file.path))
    const tree = cli(['deps', 'ls'])
    expect(tree.stdout).to.contain(`coreutils ${field('coreutils', 'Version')}`)
    expect(tree.stdout).to.match(new RegExp(`libselinux\\.so\\.1 .*libselinux1 ${field('libselinux1', 'Version').replace(/[+.]/g, '\\$&')}`))
  })
})
