// Every entry of the data rules table (src/data/rules.ts): what triggers it brings its files, with
// the rule's name as the reason, and leaves out what it says it leaves out; a program that does not
// trigger it gets none of them. The last test checks that no entry is without a test here.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {archiveNames, compiledLocale, normalizedLocale} from '../../src/data/locales.js'
import {relationsOf, type InstalledPackage} from '../../src/data/packages.js'
import {DATA_RULES, nssServices} from '../../src/data/rules.js'
import {build, plan, verify} from '../../src/index.js'
import {Sysroot} from '../../src/loader/sysroot.js'
import type {Plan} from '../../src/rootfs/types.js'
import {compile} from '../support/fixtures.js'
import {skipBecause, which} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

const tested = new Set<string>()
const LIBPYTHON = '/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0'
const LIBTCL = '/usr/lib/x86_64-linux-gnu/libtcl8.6.so'
const DE_LOCALE = '/usr/lib/locale/de_DE.utf8'

async function planOf(programs: string[], options: {files?: string[]} = {}): Promise<Plan> {
  return plan(programs, {output: join(makeTempDir(), 'out'), ...options})
}

// The plan entries a rule brought (their reasons start with its name).
function byRule(result: Plan, rule: string): string[] {
  tested.add(rule)
  return result.entries.filter((entry) => entry.reason.startsWith(`${rule}: `)).map((entry) => entry.path)
}

// A program of our own that imports nothing a rule looks for.
const plain = () => compile({sources: ['resolve/plain.c']})

describe('data/rules', function () {
  it('python standard library: os.py, encodings, lib-dynload and its extension modules\' libraries; not the tests, IDLE, Tk, config-*', async function () {
    if (!existsSync('/usr/bin/python3.11')) skipBecause(this, 'python3.11 is not installed')
    const result = await planOf(['/usr/bin/python3'])
    const paths = byRule(result, 'python standard library')
    expect(paths).to.include.members(['/usr/lib/python3.11/os.py', '/usr/lib/python3.11/encodings/utf_8.py', '/usr/lib/python3.11/lib-dynload'])
    expect(paths.some((path) => /lib-dynload\/_ssl\.cpython-311-[^/]+\.so$/.test(path))).to.equal(true)
    expect(paths.filter((path) => /\/(test|idlelib|tkinter|__pycache__|config-3\.11[^/]*)(\/|$)/.test(path))).to.deep.equal([])
    expect(result.entries.find((entry) => /\/libssl\.so\.3$/.test(entry.path))?.reason, 'the closure of _ssl').to.match(/^library/)
    expect(byRule(await planOf([plain()]), 'python standard library')).to.deep.equal([])
  })

  it('perl core modules: Config.pm\'s directory, archlib (XS .so with their libraries) and privlib; no pod, no CORE headers', async function () {
    if (!existsSync('/usr/bin/perl')) skipBecause(this, 'perl is not installed')
    const paths = byRule(await planOf(['perl']), 'perl core modules')
    expect(paths.some((path) => path.endsWith('/List/Util.pm'))).to.equal(true)
    expect(paths.some((path) => /\/auto\/POSIX\/POSIX\.so$/.test(path))).to.equal(true)
    expect(paths.some((path) => path.endsWith('/Storable.pm'))).to.equal(true)
    expect(paths.filter((path) => /\.pod$|\/CORE\//.test(path))).to.deep.equal([])
    expect(byRule(await planOf([plain()]), 'perl core modules')).to.deep.equal([])
  })

  it('gconv modules (all): the iconv program gets every module', async function () {
    const paths = byRule(await planOf(['iconv']), 'gconv modules (all)')
    expect(paths.some((path) => path.endsWith('/gconv/SJIS.so'))).to.equal(true)
    expect(paths.some((path) => path.endsWith('/gconv/gconv-modules.cache'))).to.equal(true)
  })

  it('gconv modules: a program importing iconv_open gets the cache and the common legacy charsets only', async function () {
    const program = compile({sources: [join(makeTempDir(), 'iconv.c')].map((path) => (writeFileSync(path, '#include <iconv.h>\nint main(void) { return iconv_open("LATIN1", "UTF-8") == (iconv_t)-1; }\n'), path))})
    const names = byRule(await planOf([program]), 'gconv modules').map((path) => path.split('/').pop())
    expect(names).to.include.members(['gconv-modules.cache', 'ISO8859-1.so', 'CP1252.so'])
    expect(names).to.not.include('SJIS.so')
    expect(byRule(await planOf([plain()]), 'gconv modules')).to.deep.equal([])
  })

  it('CA certificates and OpenSSL configuration: for a program linking libssl/libcrypto', async function () {
    const libssl = '/usr/lib/x86_64-linux-gnu/libssl.so.3'
    if (!existsSync(libssl)) skipBecause(this, `${libssl} is not installed`)
    const result = await planOf([compile({sources: ['resolve/plain.c'], flags: ['-Wl,--no-as-needed', libssl]})])
    expect(byRule(result, 'CA certificates')).to.include('/etc/ssl/certs/ca-certificates.crt')
    expect(byRule(result, 'OpenSSL configuration')).to.include('/etc/ssl/openssl.cnf')
    const plainPlan = await planOf([plain()])
    expect([...byRule(plainPlan, 'CA certificates'), ...byRule(plainPlan, 'OpenSSL configuration')]).to.deep.equal([])
  })

  it('terminfo: for a program linking a curses library, the common terminals only', async function () {
    const paths = byRule(await planOf(['tput']), 'terminfo')
    expect(paths.some((path) => /\/terminfo\/x\/xterm-256color$/.test(path))).to.equal(true)
    expect(paths.some((path) => /\/terminfo\/x\/xterm-mono$/.test(path)), 'not a common terminal').to.equal(false)
    expect(byRule(await planOf([plain()]), 'terminfo')).to.deep.equal([])
  })

  it('NSS modules: a module the tree\'s nsswitch.conf names (given with --file), none for the skeleton\'s built-in services', async function () {
    expect(nssServices('passwd: files systemd [NOTFOUND=return] compat # x\nhosts: files dns\n')).to.deep.equal(['files', 'systemd', 'compat', 'dns'])
    const conf = join(makeTempDir(), 'nsswitch.conf')
    writeFileSync(conf, 'passwd: compat\ngroup: compat\nhosts: files dns\n')
    const paths = byRule(await planOf([plain()], {files: [`${conf}:/etc/nsswitch.conf`]}), 'NSS modules')
    expect(paths.map((path) => path.split('/').pop())).to.deep.equal(['libnss_compat.so.2'])
    expect(byRule(await planOf([plain()]), 'NSS modules')).to.deep.equal([])
  })

  it('magic database: for a program linking libmagic', async function () {
    if (!existsSync('/usr/bin/file')) skipBecause(this, 'file is not installed')
    const paths = byRule(await planOf(['file']), 'magic database')
    expect(paths.some((path) => path.endsWith('/magic.mgc'))).to.equal(true)
  })

  it('zoneinfo: for a program converting times to local time; not right/ nor posix/', async function () {
    const paths = byRule(await planOf(['date']), 'zoneinfo')
    expect(paths).to.include.members(['/etc/localtime', '/usr/share/zoneinfo/Asia/Tokyo', '/usr/share/zoneinfo/America/New_York'])
    expect(paths.filter((path) => /zoneinfo\/(right|posix)\//.test(path))).to.deep.equal([])
    expect(byRule(await planOf([plain()]), 'zoneinfo')).to.deep.equal([])
  })

  it('services and protocols: for a program naming ports', async function () {
    expect(byRule(await planOf(['getent']), 'services and protocols')).to.deep.equal(['/etc/protocols', '/etc/services'])
    expect(byRule(await planOf([plain()]), 'services and protocols')).to.deep.equal([])
  })

  it('shell for system(3): a program calling system() gets /bin/sh, and it runs there', async function () {
    const source = join(makeTempDir(), 'system.c')
    writeFileSync(source, '#include <stdlib.h>\nint main(void) { return system("exit 7"); }\n')
    const result = await planOf([compile({sources: [source]})])
    // /bin/sh, placed through the host's links (/bin -> usr/bin, sh -> dash).
    const paths = byRule(result, 'shell for system(3)')
    expect(paths.some((path) => /\/bin\/sh$/.test(path))).to.equal(true)
    expect(result.entries.some((entry) => /\/bin\/(dash|bash)$/.test(entry.path) && entry.type === 'file'), 'the shell itself').to.equal(true)
    expect(byRule(await planOf([plain()]), 'shell for system(3)')).to.deep.equal([])
  })

  it('python standard library: for a program that embeds python (gdb links libpython3.11), from the prefix compiled into libpython', async function () {
    if (!existsSync('/usr/bin/gdb') || !existsSync(LIBPYTHON)) skipBecause(this, 'gdb and libpython3.11 are not installed')
    const result = await planOf(['gdb'])
    expect(result.entries.find((entry) => entry.path === '/usr/lib/python3.11/json/__init__.py')?.reason).to.equal('python standard library: libpython3.11.so.1.0 is in the closure')
    expect(byRule(result, 'python standard library').filter((path) => /\/(test|idlelib)\//.test(path))).to.deep.equal([])
  })

  it("library packages: a library's package brings its run-time files (libtcl's init.tcl), not its package's other libraries nor glibc's gconv modules", async function () {
    if (!existsSync(LIBTCL)) skipBecause(this, `${LIBTCL} is not installed`)
    const result = await planOf([compile({sources: ['resolve/plain.c'], flags: ['-Wl,--no-as-needed', LIBTCL]})])
    const paths = byRule(result, 'library packages')
    expect(result.entries.find((entry) => entry.path === '/usr/share/tcltk/tcl8.6/init.tcl')?.reason).to.equal('library packages: package libtcl8.6 (of libtcl8.6.so)')
    expect(paths.filter((path) => /\/lib[^/]*\.so|\/gconv\/|\/share\/(doc|locale|lintian)\//.test(path))).to.deep.equal([])
    expect(byRule(await planOf([plain()]), 'library packages').filter((path) => path.includes('tcl'))).to.deep.equal([])
  })

  it('data packages: python3 gets media-types (python3.11 Depends on it, python3.11-minimal Recommends python3.11); a plain program gets none', async function () {
    if (!existsSync('/usr/bin/python3.11') || !existsSync('/etc/mime.types')) skipBecause(this, 'python3.11 and media-types are not installed')
    const result = await planOf(['/usr/bin/python3'])
    expect(result.entries.find((entry) => entry.path === '/etc/mime.types')?.reason).to.equal('data packages: package media-types (Depends of python3.11)')
    expect(byRule(result, 'data packages').filter((path) => /\/(s?bin)\//.test(path)), 'no package with programs').to.deep.equal([])
    expect(byRule(await planOf([plain()]), 'data packages')).to.deep.equal([])
  })

  it('data packages: a relation\'s alternatives, version constraints and architecture qualifiers', function () {
    const pkg = {fields: {Depends: 'media-types | mime-support, libc6 (>= 2.34), python3:any (>= 3.9~), perl [amd64] <!nocheck>'}} as unknown as InstalledPackage
    expect(relationsOf(pkg, 'Depends')).to.deep.equal([['media-types', 'mime-support'], ['libc6'], ['python3'], ['perl']])
    expect(relationsOf(pkg, 'Recommends')).to.deep.equal([])
  })

  it('helper programs: tar gets the compressors that are installed, as programs (with their libraries); a plain program none', async function () {
    const result = await planOf(['tar'])
    const installed = ['gzip', 'bzip2', 'xz', 'zstd'].filter((name) => which(name) !== undefined)
    const helpers = byRule(result, 'helper programs')
    for (const name of installed) expect(helpers, name).to.include(which(name))
    expect(result.entries.find((entry) => entry.path === which('gzip'))?.reason).to.equal('helper programs: tar runs gzip')
    if (installed.includes('xz')) expect(result.entries.some((entry) => /\/liblzma\.so\.5$/.test(entry.path)), 'xz\'s library (tar links none of it)').to.equal(true)
    expect(byRule(await planOf([plain()]), 'helper programs')).to.deep.equal([])
  })

  it('C.UTF-8 locale: wherever glibc is in the closure; not for a static program', async function () {
    if (!existsSync('/usr/lib/locale/C.utf8')) skipBecause(this, 'this host has no compiled /usr/lib/locale/C.utf8')
    expect(byRule(await planOf([plain()]), 'C.UTF-8 locale')).to.include.members(['/usr/lib/locale/C.utf8', '/usr/lib/locale/C.utf8/LC_CTYPE'])
    if (!existsSync('/usr/lib/x86_64-linux-gnu/libc.a')) return
    expect(byRule(await planOf([compile({sources: ['resolve/plain.c'], flags: ['-static']})]), 'C.UTF-8 locale')).to.deep.equal([])
  })

  it('compiled locales: --locale brings its directory (its codeset normalized); one not compiled is an error saying how to compile it', async function () {
    if (!existsSync(DE_LOCALE)) skipBecause(this, `${DE_LOCALE} is not compiled (the test bootstrap compiles it as root)`)
    const result = await plan([plain()], {output: join(makeTempDir(), 'out'), locales: ['de_DE.UTF-8']})
    expect(result.entries.find((entry) => entry.path === `${DE_LOCALE}/LC_TIME`)?.reason).to.equal('compiled locales: --locale de_DE.UTF-8')
    expect(byRule(await planOf([plain()]), 'compiled locales')).to.deep.equal([])
    const error = await plan([plain()], {output: join(makeTempDir(), 'out'), locales: ['xx_YY.UTF-8']}).catch((e: Error) => e)
    expect(String(error)).to.match(/--locale xx_YY\.UTF-8: not compiled on this host .*localedef -i xx_YY -f UTF-8 xx_YY\.UTF-8.*locale-gen/)
  })

  it('compiled locales: a locale compiled into a locale-archive brings the archive', function () {
    if (!existsSync('/usr/share/i18n/locales/de_DE') || !which('localedef')) skipBecause(this, 'localedef and the de_DE locale source are not installed')
    const root = makeTempDir()
    mkdirSync(join(root, 'usr/lib/locale'), {recursive: true})
    const made = spawnSync('localedef', ['--prefix', root, '-i', 'de_DE', '-f', 'UTF-8', 'de_DE.UTF-8'], {encoding: 'utf8'})
    expect(made.status, made.stderr).to.equal(0)
    const sysroot = new Sysroot(root)
    expect(archiveNames(sysroot, '/usr/lib/locale/locale-archive')).to.deep.equal(['de_DE.utf8'])
    expect(compiledLocale(sysroot, '/usr/lib/locale', 'de_DE.UTF-8')).to.deep.equal({path: '/usr/lib/locale/locale-archive', tree: false})
    expect(normalizedLocale('en_US.ISO-8859-1@euro')).to.equal('en_US.iso88591@euro')
  })

  it('message catalogues: --lang brings the catalogues of the tree\'s packages and their translation packages (libc-l10n for libc6)', async function () {
    const catalogue = '/usr/share/locale/de/LC_MESSAGES/coreutils.mo'
    if (!existsSync(catalogue)) skipBecause(this, `${catalogue} is not installed`)
    const paths = byRule(await plan(['ls'], {output: join(makeTempDir(), 'out'), langs: ['de']}), 'message catalogues')
    expect(paths).to.include(catalogue)
    if (existsSync('/usr/share/locale/de/LC_MESSAGES/libc.mo')) expect(paths).to.include('/usr/share/locale/de/LC_MESSAGES/libc.mo')
    expect(paths.filter((path) => !/^\/usr\/share\/locale\/de([_@.][^/]*)?\/LC_MESSAGES\/[^/]+\.mo$/.test(path)), 'only German catalogues').to.deep.equal([])
    expect(byRule(await planOf(['ls']), 'message catalogues')).to.deep.equal([])
    const error = await plan(['ls'], {output: join(makeTempDir(), 'out'), langs: ['../de']}).catch((e: Error) => e)
    expect(String(error)).to.match(/--lang \.\.\/de: not a language code/)
  })

  it('--skip-rule leaves a rule out, names the rules when it knows none by that id, and the tree verifies', async function () {
    const result = await plan(['date'], {output: join(makeTempDir(), 'out'), skipRules: ['zoneinfo', 'c-utf8']})
    expect(result.entries.filter((entry) => /^(zoneinfo|C\.UTF-8 locale): /.test(entry.reason))).to.deep.equal([])
    const error = await plan(['date'], {output: join(makeTempDir(), 'out'), skipRules: ['zoneifno']}).catch((e: Error) => e)
    expect(String(error)).to.match(/--skip-rule zoneifno: no such data rule \(the rules: python-stdlib, .*zoneinfo/)
    const output = join(makeTempDir(), 'out')
    await build(['date'], {output, skipRules: ['zoneinfo']})
    const verified = await verify(output)
    expect(verified.problems).to.deep.equal([])
    expect(verified.skipRules).to.deep.equal(['zoneinfo'])
  })

  it('every rule of the table has a test here', function () {
    expect(DATA_RULES.map((rule) => rule.name).filter((name) => !tested.has(name))).to.deep.equal([])
  })
})
