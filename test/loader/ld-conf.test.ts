import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {globInSysroot, parseLdConfText, readLdConf} from '../../src/loader/ld-conf.js'
import {Sysroot} from '../../src/loader/sysroot.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

describe('resolve/ld-conf', () => {
  it('parses directories, comments, includes and the lines ldconfig ignores', () => {
    const text = [
      '# a comment',
      '  /opt/a/lib/   # trailing comment and slash',
      'include /etc/ld.so.conf.d/*.conf\tother/*.conf',
      'hwcap 0 nosegneg',
      '/usr/lib/libc5=libc5',
      '',
      'includes-are-not-this',
      '/',
    ].join('\n')
    expect(parseLdConfText(text)).to.deep.equal([
      {dir: '/opt/a/lib'},
      {include: ['/etc/ld.so.conf.d/*.conf', 'other/*.conf']},
      {dir: '/usr/lib/libc5'},
      {dir: 'includes-are-not-this'},
      {dir: '/'},
    ])
  })

  it('lists the host directories in the order ldconfig scans them', function () {
    if (!existsSync('/etc/ld.so.conf')) skipBecause(this, 'this system has no /etc/ld.so.conf')
    // ldconfig -v prints "DIR: (from FILE:LINE)" for each directory it scans (once per inode).
    const scan = spawnSync('ldconfig', ['-v', '-N', '-X'], {encoding: 'utf8'})
    if (scan.error) skipBecause(this, 'ldconfig is not available')
    const scanned = [...scan.stdout.matchAll(/^(\/\S*): \(from (\S+):\d+\)/gm)].filter((m) => m[2] !== '<builtin>').map((m) => m[1])
    const seen = new Set<string>()
    const ours = readLdConf(new Sysroot('/')).dirs.filter((dir) => {
      let id: string
      try {
        const stats = statSync(dir)
        if (!stats.isDirectory()) return false
        id = `${stats.dev}:${stats.ino}`
      } catch {
        return false
      }
      if (seen.has(id)) return false
      seen.add(id)
      return true
    })
    expect(ours).to.deep.equal(scanned)
  })

  it('follows nested and relative includes inside a sysroot, never outside it', () => {
    const root = makeTempDir()
    mkdirSync(join(root, 'etc/ld.so.conf.d'), {recursive: true})
    mkdirSync(join(root, 'etc/more'), {recursive: true})
    writeFileSync(join(root, 'etc/ld.so.conf'), 'include ld.so.conf.d/*.conf\n/opt/last\n')
    writeFileSync(join(root, 'etc/ld.so.conf.d/b.conf'), '/opt/b\ninclude /etc/more/*\n')
    writeFileSync(join(root, 'etc/ld.so.conf.d/a.conf'), '/opt/a\n')
    writeFileSync(join(root, 'etc/ld.so.conf.d/.hidden.conf'), '/opt/hidden\n')
    writeFileSync(join(root, 'etc/ld.so.conf.d/c.conf.disabled'), '/opt/disabled\n')
    writeFileSync(join(root, 'etc/more/x'), '/opt/x\n# a cycle is cut off\ninclude /etc/ld.so.conf\n')
    // An absolute symlink target is looked up inside the sysroot, never on the host.
    symlinkSync('/etc/more/x', join(root, 'etc/ld.so.conf.d/z.conf'))
    const conf = readLdConf(new Sysroot(root))
    expect(conf.dirs).to.deep.equal(['/opt/a', '/opt/b', '/opt/x', '/opt/last'])
    expect(conf.files.slice(0, 4)).to.deep.equal(['/etc/ld.so.conf', '/etc/ld.so.conf.d/a.conf', '/etc/ld.so.conf.d/b.conf', '/etc/more/x'])
  })

  it('globs like glob(3): sorted, no leading dots, character classes', () => {
    const root = makeTempDir()
    mkdirSync(join(root, 'd'))
    for (const name of ['b1.conf', 'a2.conf', 'a1.conf', '.a0.conf', 'c.txt']) writeFileSync(join(root, 'd', name), '')
    const sysroot = new Sysroot(root)
    expect(globInSysroot(sysroot, '/d/*.conf')).to.deep.equal(['/d/a1.conf', '/d/a2.conf', '/d/b1.conf'])
    expect(globInSysroot(sysroot, '/d/a[0-9].conf')).to.deep.equal(['/d/a1.conf', '/d/a2.conf'])
    expect(globInSysroot(sysroot, '/d/[!a]?.conf')).to.deep.equal(['/d/b1.conf'])
    expect(globInSysroot(sysroot, '/nowhere/*.conf')).to.deep.equal([])
  })
})
