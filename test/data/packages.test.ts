// The package database against dpkg itself: the owner of sampled files (as dpkg-query -S answers),
// the same owner through a merged-/usr link, and a sysroot's own database (multi-arch lists,
// diversions, packages removed but for their conffiles).
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, lstatSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {packageDatabase} from '../../src/data/packages.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

describe('data/packages', () => {
  it('names the package dpkg-query -S names for sampled files of every kind, and their versions', function () {
    if (!existsSync('/var/lib/dpkg/status')) skipBecause(this, 'this host has no dpkg database (/var/lib/dpkg/status)')
    const db = packageDatabase('/')
    expect(db.format).to.equal('dpkg')
    // Regular files from every 25th package: dpkg's own answer is the oracle.
    const sample: string[] = []
    db.packages().forEach((pkg, i) => {
      if (i % 25 !== 0) return
      const file = db.filesOf(pkg).find((path) => lstatSync(path, {throwIfNoEntry: false})?.isFile())
      if (file) sample.push(file)
    })
    expect(sample.length).to.be.greaterThan(10)
    const answer = spawnSync('dpkg-query', ['-S', ...sample], {encoding: 'utf8'})
    const owners = new Map<string, string>()
    for (const line of answer.stdout.split('\n')) {
      const match = /^([^:]+(?::[^:\s]+)?(?:, [^:]+)*): (\/.*)$/.exec(line)
      if (match && !line.startsWith('diversion')) owners.set(match[2], match[1])
    }
    for (const path of sample) {
      const pkg = db.ownerOf(path)
      expect(pkg, path).to.not.equal(undefined)
      const names = owners.get(path)!.split(', ').map((name) => name.split(':')[0])
      expect(names, path).to.include(pkg!.name)
      const version = spawnSync('dpkg-query', ['-W', '-f', '${Version}', `${pkg!.name}:${pkg!.architecture}`], {encoding: 'utf8'}).stdout
      expect(pkg!.version, path).to.equal(version)
    }
  })

  it('finds a file\'s package through either side of a merged-/usr link', function () {
    if (!existsSync('/var/lib/dpkg/status')) skipBecause(this, 'this host has no dpkg database (/var/lib/dpkg/status)')
    if (!lstatSync('/bin').isSymbolicLink()) skipBecause(this, 'this host has no merged /usr (/bin is not a link)')
    const db = packageDatabase('/')
    const bash = spawnSync('dpkg-query', ['-S', '/bin/bash'], {encoding: 'utf8'}).stdout.split(':')[0]
    expect(db.ownerOf('/bin/bash')?.name).to.equal(bash)
    expect(db.ownerOf('/usr/bin/bash')?.name).to.equal(bash)
    expect(db.ownerOf('/etc/hostname'), 'a file no package ships').to.equal(undefined)
  })

  it('reads a sysroot\'s own database: multi-arch lists, diversions, installed packages only', () => {
    const root = makeTempDir()
    const info = join(root, 'var/lib/dpkg/info')
    mkdirSync(info, {recursive: true})
    writeFileSync(join(root, 'var/lib/dpkg/status'), [
      'Package: libfoo1\nStatus: install ok installed\nArchitecture: arm64\nMulti-Arch: same\nVersion: 1.2-3\nDescription: foo\n a library',
      'Package: tool\nStatus: install ok installed\nArchitecture: arm64\nVersion: 4.0\n',
      'Package: wrapper\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n',
      'Package: gone\nStatus: deinstall ok config-files\nArchitecture: arm64\nVersion: 9\n',
    ].join('\n\n'))
    writeFileSync(join(info, 'libfoo1:arm64.list'), '/.\n/usr\n/usr/lib\n/usr/lib/aarch64-linux-gnu/libfoo.so.1\n')
    writeFileSync(join(info, 'tool.list'), '/.\n/usr\n/usr/bin\n/usr/bin/tool\n')
    writeFileSync(join(info, 'wrapper.list'), '/usr/bin/tool\n')
    writeFileSync(join(info, 'gone.list'), '/etc/gone.conf\n')
    // wrapper diverted tool's /usr/bin/tool to /usr/bin/tool.real and ships its own /usr/bin/tool.
    writeFileSync(join(root, 'var/lib/dpkg/diversions'), '/usr/bin/tool\n/usr/bin/tool.real\nwrapper\n')
    const db = packageDatabase(root)
    expect(db.packages().map((p) => p.name)).to.deep.equal(['libfoo1', 'tool', 'wrapper'])
    const foo = db.ownerOf('/usr/lib/aarch64-linux-gnu/libfoo.so.1')
    expect(foo).to.include({name: 'libfoo1', architecture: 'arm64', version: '1.2-3'})
    expect(foo!.fields.Description).to.equal('foo\na library')
    expect(foo!.paragraph).to.match(/^Package: libfoo1\n[^]*a library\n$/)
    expect(db.ownerOf('/usr/bin/tool.real')?.name).to.equal('tool')
    expect(db.ownerOf('/usr/bin/tool')?.name).to.equal('wrapper')
    expect(db.ownerOf('/etc/gone.conf')).to.equal(undefined)
    expect(packageDatabase(makeTempDir()).format).to.equal('none')
  })

  it('finds paragraphs by name as reading every one would: order, architectures, layout, a malformed one', () => {
    const root = makeTempDir()
    mkdirSync(join(root, 'var/lib/dpkg'), {recursive: true})
    writeFileSync(join(root, 'var/lib/dpkg/status'), [
      'Package: libc6\nStatus: install ok installed\nArchitecture: amd64\nMulti-Arch: same\nVersion: 2.36',
      // Fields in another order, two blank lines before it.
      '\nStatus: install ok installed\nVersion: 2.36\nArchitecture: i386\nPackage: libc6\nMulti-Arch: same',
      'Package: old\nStatus: deinstall ok config-files\nArchitecture: amd64\nVersion: 1',
      'Package: old\nStatus: install ok installed\nArchitecture: all\nVersion: 2\nDescription: again\n Package: not a field',
      // Two Package lines: one paragraph, the first name (as a full read takes it).
      'Package: first\nStatus: install ok installed\nPackage: second\nArchitecture: all\nVersion: 3',
    ].join('\n\n') + '\n')
    const db = packageDatabase(root)
    expect(db.packages().map((p) => `${p.name}:${p.architecture}=${p.version}`)).to.deep.equal(['libc6:amd64=2.36', 'libc6:i386=2.36', 'old:all=2', 'first:all=3'])
    expect(db.get('libc6')?.architecture).to.equal('amd64')
    expect(db.get('libc6', 'i386')?.fields['Multi-Arch']).to.equal('same')
    expect(db.get('old')?.version).to.equal('2')
    expect(db.get('first')?.version).to.equal('3')
    expect(db.get('second')).to.equal(undefined)
    expect(db.get('absent')).to.equal(undefined)
  })
})
