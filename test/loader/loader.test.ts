import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {loaderProfile} from '../../src/loader/loader.js'
import {Sysroot} from '../../src/loader/sysroot.js'
import {compile, haveCompiler} from '../support/fixtures.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

const X86_64 = {machine: 62, elfClass: 64, endian: 'little'} as const
const AARCH64 = {machine: 183, elfClass: 64, endian: 'little'} as const
const LOADER = '/lib64/ld-linux-x86-64.so.2'

// `ld.so --help` is the loader's own account of what it searches.
function loaderHelp(): string | undefined {
  if (process.arch !== 'x64' || !existsSync(LOADER)) return undefined
  const r = spawnSync(LOADER, ['--help'], {encoding: 'utf8'})
  return r.status === 0 ? r.stdout : undefined
}

describe('resolve/loader', () => {
  it('reads the default directories and hwcaps levels that `ld.so --help` prints', function () {
    const help = loaderHelp()
    if (!help) skipBecause(this, `no x86-64 glibc loader at ${LOADER} with --help`)
    const profile = loaderProfile(new Sysroot('/'), X86_64, LOADER)
    expect(profile.source).to.equal('loader')
    const systemDirs = [...help.matchAll(/^ {2}(\/\S*) \(system search path\)$/gm)].map((m) => m[1])
    expect(profile.systemDirs).to.deep.equal(systemDirs)
    // On Debian /lib64 is not among them: only the cache can point there.
    const hwcapsSection = help.split('Subdirectories of glibc-hwcaps directories, in priority order:\n')[1]?.split('\n\n')[0] ?? ''
    const levels = [...hwcapsSection.matchAll(/^ {2}(\S+)/gm)].map((m) => m[1])
    const searched = [...hwcapsSection.matchAll(/^ {2}(\S+) \(supported, searched\)/gm)].map((m) => m[1])
    expect(profile.hwcaps).to.deep.equal(levels)
    expect(profile.activeHwcaps).to.deep.equal(searched)
    expect(profile.legacySubdirs.length > 0).to.equal(help.includes('Legacy HWCAP subdirectories'))
  })

  it('tries the subdirectories of each search directory in the order the loader tries them', function () {
    if (!loaderHelp()) skipBecause(this, `no x86-64 glibc loader at ${LOADER}`)
    if (!haveCompiler()) skipBecause(this, 'no C compiler to build the fixture')
    const dir = makeTempDir()
    const lib = join(dir, 'libname.so')
    compile({sources: ['resolve/name.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libname.so'], output: lib})
    // $LIB and $PLATFORM in the RUNPATH: the loader's LD_DEBUG line shows their values too.
    const program = join(dir, 'program')
    compile({sources: ['resolve/main.c', lib], flags: [`-Wl,-rpath,${dir}/nowhere/$LIB/$PLATFORM`, '-Wl,--enable-new-dtags'], output: program})
    mkdirSync(join(dir, 'nowhere'))
    const r = spawnSync(program, [], {encoding: 'utf8', env: {...process.env, LD_DEBUG: 'libs'}})
    const line = r.stderr.match(/search path=(\S+)\s+\(RUNPATH from file/)
    expect(line, r.stderr).to.not.equal(null)
    const profile = loaderProfile(new Sysroot('/'), X86_64, LOADER)
    const base = `${dir}/nowhere/${profile.lib}/${profile.platform}`
    const ours = [...profile.activeHwcaps.map((l) => `glibc-hwcaps/${l}`), ...profile.legacySubdirs, ''].map((sub) => (sub ? `${base}/${sub}` : base))
    expect(line![1].split(':')).to.deep.equal(ours)
  })

  it('falls back to the multiarch table in a sysroot without a loader', () => {
    const root = makeTempDir()
    mkdirSync(join(root, 'usr/lib/aarch64-linux-gnu'), {recursive: true})
    const profile = loaderProfile(new Sysroot(root), AARCH64)
    expect(profile.source).to.equal('table')
    expect(profile.systemDirs).to.deep.equal(['/lib/aarch64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/lib', '/usr/lib'])
    expect(profile.lib).to.equal('lib/aarch64-linux-gnu')
    expect(profile.activeHwcaps).to.deep.equal([])
    const upstream = loaderProfile(new Sysroot(makeTempDir()), AARCH64)
    expect(upstream.systemDirs).to.deep.equal(['/lib64', '/usr/lib64'])
    expect(upstream.lib).to.equal('lib64')
  })
})
