// The package owners index kept between runs: a large database's index is saved in the user's
// cache, read back instead of every file list, answers as the lists do (bisection over sorted
// lines finds the first, the last and the middle, and nothing for a path no package lists), and is
// not used once the database has changed.
import {expect} from 'chai'
import {mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {forgetPackageDatabases, packageDatabase} from '../../src/data/packages.js'
import {makeTempDir} from '../support/temp.js'

const FILES = 20_500

describe('data/owner-index', () => {
  let saved: string | undefined
  beforeEach(() => {
    saved = process.env.XDG_CACHE_HOME
    process.env.XDG_CACHE_HOME = makeTempDir()
    forgetPackageDatabases()
  })
  afterEach(() => {
    if (saved === undefined) delete process.env.XDG_CACHE_HOME
    else process.env.XDG_CACHE_HOME = saved
    forgetPackageDatabases()
  })

  it('is saved for a large database, read back, and dropped when the database changes', () => {
    const sysroot = makeTempDir()
    const dpkg = join(sysroot, 'var/lib/dpkg')
    mkdirSync(join(dpkg, 'info'), {recursive: true})
    const status = (extra: string) => writeFileSync(join(dpkg, 'status'), `Package: big\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n\nPackage: small\nStatus: install ok installed\nArchitecture: all\nVersion: 2${extra}\n`)
    const name = (i: number) => `/usr/share/big/f${String(i).padStart(5, '0')}`
    status('')
    writeFileSync(join(dpkg, 'info/big.list'), ['/usr', '/usr/share', '/usr/share/big', ...Array.from({length: FILES}, (_, i) => name(i))].join('\n') + '\n')
    writeFileSync(join(dpkg, 'info/small.list'), '/usr\n/usr/share\n/usr/share/small\n')
    const owner = (path: string) => packageDatabase(sysroot).ownerOf(path)?.name
    const probes = [name(0), name(FILES - 1), name(12_345), '/usr/share/small', '/usr/share', '/usr/share/big/nothing', '/etc/absent']
    const fresh = probes.map(owner)
    expect(fresh).to.deep.equal(['big', 'big', 'big', 'small', 'big', undefined, undefined])
    const dir = join(process.env.XDG_CACHE_HOME!, 'ns-tool', 'dpkg-owners')
    const [file] = readdirSync(dir)
    // The saved index is what answers next time: an owner changed in it shows.
    const text = readFileSync(join(dir, file), 'utf8')
    writeFileSync(join(dir, file), text.replace(`${name(12_345)}\tbig:amd64\n`, `${name(12_345)}\tsmall:all\n`))
    forgetPackageDatabases()
    expect(probes.map(owner)).to.deep.equal(['big', 'big', 'small', 'small', 'big', undefined, undefined])
    // A changed database is read afresh.
    status('\nDescription: changed')
    forgetPackageDatabases()
    expect(probes.map(owner)).to.deep.equal(fresh)
  })

  it('answers for file names that are not ASCII, from the lists and from the saved index', () => {
    const sysroot = makeTempDir()
    const dpkg = join(sysroot, 'var/lib/dpkg')
    mkdirSync(join(dpkg, 'info'), {recursive: true})
    writeFileSync(join(dpkg, 'status'), 'Package: big\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n')
    // Two names in three take more bytes than characters: offsets counted in characters drift.
    const name = (i: number) => (i % 3 === 0 ? `/usr/share/big/f${i}` : `/usr/share/big/Főtanúsítvány-陳${i}.crt`)
    writeFileSync(join(dpkg, 'info/big.list'), Array.from({length: FILES}, (_, i) => name(i)).join('\n') + '\n')
    const probes = Array.from({length: 40}, (_, k) => name(Math.floor((k * FILES) / 40) + (k % 7))).concat([name(FILES - 1), '/usr/share/big/Főtanúsítvány-陳1.pem'])
    const owners = () => probes.map((path) => packageDatabase(sysroot).ownerOf(path)?.name)
    const expected = probes.map((path, i) => (i === probes.length - 1 ? undefined : 'big'))
    expect(owners()).to.deep.equal(expected)
    expect(readdirSync(join(process.env.XDG_CACHE_HOME!, 'ns-tool', 'dpkg-owners'))).to.have.length(1)
    forgetPackageDatabases()
    expect(owners()).to.deep.equal(expected)
  })

  it("replaces the same sysroot's index of an earlier format or name, and nothing else", () => {
    const sysroot = makeTempDir()
    const dpkg = join(sysroot, 'var/lib/dpkg')
    mkdirSync(join(dpkg, 'info'), {recursive: true})
    writeFileSync(join(dpkg, 'status'), 'Package: big\nStatus: install ok installed\nArchitecture: amd64\nVersion: 1\n')
    writeFileSync(join(dpkg, 'info/big.list'), Array.from({length: FILES}, (_, i) => `/usr/share/big/f${i}`).join('\n') + '\n')
    const dir = join(process.env.XDG_CACHE_HOME!, 'ns-tool', 'dpkg-owners')
    mkdirSync(dir, {recursive: true})
    const planted = {
      'feedfacefeedface.idx': `[1,${JSON.stringify(sysroot)},"1:2:3","-","-"]\n/usr/share/big/f0\tbig:amd64\n`,
      '0123456789abcdef.v2.idx': `[2,${JSON.stringify(sysroot)},"1:2:3","-","-"]\n12\n`,
      'another-sysroot.v2.idx': `[2,"/elsewhere","1:2:3","-","-"]\n12\n`,
      'notes.txt': 'not an index\n',
    }
    for (const [name, text] of Object.entries(planted)) writeFileSync(join(dir, name), text)
    expect(packageDatabase(sysroot).ownerOf('/usr/share/big/f7')?.name).to.equal('big')
    const left = readdirSync(dir).sort()
    expect(left.filter((name) => !(name in planted))).to.have.length(1)
    expect(left.filter((name) => name in planted)).to.deep.equal(['another-sysroot.v2.idx', 'notes.txt'])
  })

  it('is not saved for a small database', () => {
    const sysroot = makeTempDir()
    mkdirSync(join(sysroot, 'var/lib/dpkg/info'), {recursive: true})
    writeFileSync(join(sysroot, 'var/lib/dpkg/status'), 'Package: a\nStatus: install ok installed\nArchitecture: all\nVersion: 1\n')
    writeFileSync(join(sysroot, 'var/lib/dpkg/info/a.list'), '/ab\n')
    expect(packageDatabase(sysroot).ownerOf('/ab')?.name).to.equal('a')
    expect(() => readdirSync(join(process.env.XDG_CACHE_HOME!, 'ns-tool', 'dpkg-owners'))).to.throw()
  })
})
