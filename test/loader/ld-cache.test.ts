import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cacheLibCompare, LdCacheError, ldCacheVariants, lookupLdCache, parseLdCache, serializeLdCache, type LdCache} from '../../src/loader/ld-cache.js'
import {compile, glibcRoot} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

const X86_64_FLAGS = [0x0303]

// libname.so.1 in lib and in its glibc-hwcaps x86-64-v2 and v3 subdirectories, each saying which it is.
function hwcapsCopies(lib: string): void {
  for (const [dir, name] of [
    [lib, 'base'],
    [join(lib, 'glibc-hwcaps/x86-64-v2'), 'v2'],
    [join(lib, 'glibc-hwcaps/x86-64-v3'), 'v3'],
  ]) {
    mkdirSync(dir, {recursive: true})
    compile({sources: ['resolve/name.c'], flags: ['-shared', '-fPIC', `-DNAME="${name}"`, '-Wl,-soname,libname.so.1'], output: join(dir, 'libname.so.1')})
  }
}

describe('resolve/ld-cache', () => {
  it('reads the host cache exactly as `ldconfig -p` lists it', function () {
    if (!existsSync('/etc/ld.so.cache')) skipBecause(this, 'this system has no /etc/ld.so.cache')
    const listing = spawnSync('ldconfig', ['-p'], {encoding: 'utf8'})
    if (listing.status !== 0) skipBecause(this, 'ldconfig -p is not available')
    // "\tlibz.so.1 (libc6,x86-64) => /lib/x86_64-linux-gnu/libz.so.1", in cache order
    const expected = [...listing.stdout.matchAll(/^\t(\S+) \(([^)]*)\) => (.+)$/gm)].map((m) => `${m[1]} => ${m[3]}`)
    const cache = parseLdCache(readFileSync('/etc/ld.so.cache'))
    expect(cache.format).to.equal('new')
    expect(cache.entries.map((e) => `${e.key} => ${e.value}`)).to.deep.equal(expected)
    expect(listing.stdout).to.include(`${cache.entries.length} libs found`)
    if (process.arch === 'x64') {
      const libc = lookupLdCache(cache, 'libc.so.6', X86_64_FLAGS, [])
      expect(libc?.path).to.match(/\/libc\.so\.6$/)
      // The loader's own answer for libc: ldd prints it.
      const ldd = spawnSync('ldd', ['/bin/sh'], {encoding: 'utf8'}).stdout
      expect(ldd).to.include(`libc.so.6 => ${libc?.path} `)
    }
  })

  it('reads glibc-hwcaps entries that ldconfig writes, and picks the best active one', function () {
    if (process.arch !== 'x64') skipBecause(this, 'the hwcaps names used here are x86-64 levels')
    const root = makeTempDir()
    const lib = join(root, 'opt/lib')
    hwcapsCopies(lib)
    mkdirSync(join(root, 'etc'))
    writeFileSync(join(root, 'etc/ld.so.conf'), '/opt/lib\n')
    const made = spawnSync('ldconfig', ['-r', root], {encoding: 'utf8'})
    if (made.status !== 0) skipBecause(this, `ldconfig -r cannot build a cache here: ${made.stderr.trim()}`)

    const cache = parseLdCache(readFileSync(join(root, 'etc/ld.so.cache')))
    const entries = cache.byKey.get('libname.so.1') ?? []
    expect(entries.map((e) => [e.hwcaps, e.value])).to.have.deep.members([
      ['x86-64-v3', '/opt/lib/glibc-hwcaps/x86-64-v3/libname.so.1'],
      ['x86-64-v2', '/opt/lib/glibc-hwcaps/x86-64-v2/libname.so.1'],
      [undefined, '/opt/lib/libname.so.1'],
    ])
    expect(cache.generator).to.match(/ldconfig/)
    expect(lookupLdCache(cache, 'libname.so.1', X86_64_FLAGS, ['x86-64-v3', 'x86-64-v2'])?.path).to.equal('/opt/lib/glibc-hwcaps/x86-64-v3/libname.so.1')
    expect(lookupLdCache(cache, 'libname.so.1', X86_64_FLAGS, ['x86-64-v2'])?.path).to.equal('/opt/lib/glibc-hwcaps/x86-64-v2/libname.so.1')
    expect(lookupLdCache(cache, 'libname.so.1', X86_64_FLAGS, [])?.path).to.equal('/opt/lib/libname.so.1')
    // Another architecture's flags match nothing.
    expect(lookupLdCache(cache, 'libname.so.1', [0x0a03], [])).to.equal(undefined)
    expect(ldCacheVariants(cache, 'libname.so.1', X86_64_FLAGS)).to.have.members([
      '/opt/lib/glibc-hwcaps/x86-64-v3/libname.so.1',
      '/opt/lib/glibc-hwcaps/x86-64-v2/libname.so.1',
      '/opt/lib/libname.so.1',
    ])
  })

  it('writes entries in the order ldconfig does (the loader binary-searches them)', function () {
    if (!existsSync('/etc/ld.so.cache')) skipBecause(this, 'this system has no /etc/ld.so.cache')
    const host = parseLdCache(readFileSync('/etc/ld.so.cache'))
    const plain = host.entries.filter((e) => e.legacyHwcap === 0n)
    const record = (e: LdCache['entries'][number]) => ({key: e.key, value: e.value, flags: e.flags, hwcaps: e.hwcaps})
    // Entries that ldconfig's compare() finds equal (one key, flags and subdirectory: on a multilib
    // host /lib/ld-linux.so.2 and /lib32/ld-linux.so.2) stay in the order they were added, which is
    // the directory scan's; so the groups are shuffled, each group kept as ldconfig wrote it.
    const groups: LdCache['entries'][] = []
    for (const e of plain) {
      const last = groups.at(-1)?.[0]
      if (last && last.key === e.key && last.flags === e.flags && last.hwcaps === e.hwcaps) groups.at(-1)!.push(e)
      else groups.push([e])
    }
    const shuffled = groups.reverse().flat().map(record)
    const ours = parseLdCache(serializeLdCache(shuffled))
    const line = (e: LdCache['entries'][number]) => `${e.key} ${e.flags} ${e.hwcaps ?? ''} ${e.value}`
    expect(ours.entries.map(line)).to.deep.equal(plain.map(line))
    expect(cacheLibCompare('libfoo.so.10', 'libfoo.so.9')).to.be.greaterThan(0)
    expect(cacheLibCompare('libfoo.so', 'libfoo.so.1')).to.be.lessThan(0)
    expect(cacheLibCompare('libc.so.6', 'libc.so.6')).to.equal(0)
  })

  it('keeps equal keys in the order they are given, as ldconfig keeps its directory order', function () {
    // Two directories holding one soname with the same flags: ldconfig lists them in the order of
    // ld.so.conf, and the loader takes the first.
    const root = makeTempDir()
    for (const dir of ['opt/b', 'opt/a']) {
      mkdirSync(join(root, dir), {recursive: true})
      compile({sources: ['resolve/name.c'], flags: ['-shared', '-fPIC', `-DNAME="${dir}"`, '-Wl,-soname,libname.so.1'], output: join(root, dir, 'libname.so.1')})
    }
    mkdirSync(join(root, 'etc'))
    const orders = [['/opt/b', '/opt/a'], ['/opt/a', '/opt/b']]
    for (const order of orders) {
      writeFileSync(join(root, 'etc/ld.so.conf'), `${order.join('\n')}\n`)
      const made = spawnSync('ldconfig', ['-X', '-r', root], {encoding: 'utf8'})
      if (made.status !== 0) skipBecause(this, `ldconfig -r cannot build a cache here: ${made.stderr.trim()}`)
      const theirs = parseLdCache(readFileSync(join(root, 'etc/ld.so.cache'))).entries.filter((e) => e.key === 'libname.so.1')
      expect(theirs.map((e) => e.value)).to.deep.equal(order.map((dir) => `${dir}/libname.so.1`))
      const ours = parseLdCache(serializeLdCache(theirs.map((e) => ({key: e.key, value: e.value, flags: e.flags}))))
      expect(ours.entries.map((e) => `${e.flags} ${e.value}`)).to.deep.equal(theirs.map((e) => `${e.flags} ${e.value}`))
    }
  })

  it('writes a cache the real loader follows, glibc-hwcaps variants included', function () {
    if (process.arch !== 'x64') skipBecause(this, 'the hwcaps names used here are x86-64 levels')
    if (!isRoot) skipBecause(this, 'chroot needs root')
    // A root with the host's loader and libc, a program and three copies of its library.
    const root = makeTempDir()
    glibcRoot(root)
    const lib = join(root, 'opt/lib')
    hwcapsCopies(lib)
    compile({sources: ['resolve/main.c', join(lib, 'libname.so.1')], output: join(root, 'prog')})
    const run = () => spawnSync('chroot', [root, '/prog'], {encoding: 'utf8'})
    expect(run().stderr, 'no cache: /opt/lib is not searched').to.contain('libname.so.1')

    // The oracle: what the loader picks with ldconfig's own cache of this tree.
    writeFileSync(join(root, 'etc/ld.so.conf'), '/opt/lib\n')
    const made = spawnSync('ldconfig', ['-X', '-r', root], {encoding: 'utf8'})
    if (made.status !== 0) skipBecause(this, `ldconfig -r cannot build a cache here: ${made.stderr.trim()}`)
    const expected = run()
    expect(expected.status, expected.stderr).to.equal(0)

    rmSync(join(root, 'etc/ld.so.cache'))
    writeFileSync(
      join(root, 'etc/ld.so.cache'),
      serializeLdCache([
        {key: 'libname.so.1', value: '/opt/lib/libname.so.1', flags: 0x0303},
        {key: 'libname.so.1', value: '/opt/lib/glibc-hwcaps/x86-64-v2/libname.so.1', flags: 0x0303, hwcaps: 'x86-64-v2'},
        {key: 'libname.so.1', value: '/opt/lib/glibc-hwcaps/x86-64-v3/libname.so.1', flags: 0x0303, hwcaps: 'x86-64-v3'},
        {key: 'libc.so.6', value: '/usr/lib/x86_64-linux-gnu/libc.so.6', flags: 0x0303},
      ]),
    )
    const ours = run()
    expect(ours.status, ours.stderr).to.equal(0)
    expect(ours.stdout).to.equal(expected.stdout)
    // Without the v2 and v3 entries the base copy is chosen: the loader really reads our entries.
    writeFileSync(join(root, 'etc/ld.so.cache'), serializeLdCache([{key: 'libname.so.1', value: '/opt/lib/libname.so.1', flags: 0x0303}]))
    expect(run().stdout).to.equal('base\n')
  })

  it('rejects truncated and foreign files with LdCacheError', function () {
    if (!existsSync('/etc/ld.so.cache')) skipBecause(this, 'this system has no /etc/ld.so.cache')
    const real = readFileSync('/etc/ld.so.cache')
    expect(() => parseLdCache(real.subarray(0, 40))).to.throw(LdCacheError)
    expect(() => parseLdCache(real.subarray(0, 48 + 24 * 3))).to.throw(LdCacheError)
    expect(() => parseLdCache(Buffer.from('#!/bin/sh\necho not a cache\n'))).to.throw(LdCacheError, /not a glibc-ld.so.cache1.1/)
    const badEndian = Buffer.from(real)
    badEndian[28] = 1
    expect(() => parseLdCache(badEndian)).to.throw(LdCacheError, /endianness/)
  })

  it('reads the old ld.so-1.7.0 table when no new format follows it', () => {
    // struct cache_file {"ld.so-1.7.0" + pad, nlibs}, 12-byte entries, then the strings.
    const strings = Buffer.from('libfoo.so.1\0/usr/lib/libfoo.so.1\0')
    const header = Buffer.alloc(16 + 12)
    header.write('ld.so-1.7.0', 0, 'latin1')
    header.writeUInt32LE(1, 12)
    header.writeInt32LE(0x0303, 16)
    header.writeUInt32LE(0, 20)
    header.writeUInt32LE(12, 24)
    const cache = parseLdCache(Buffer.concat([header, strings]))
    expect(cache.format).to.equal('old')
    expect(lookupLdCache(cache, 'libfoo.so.1', X86_64_FLAGS, [])?.path).to.equal('/usr/lib/libfoo.so.1')
  })
})
