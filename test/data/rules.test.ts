// Every entry of the data rules table (src/data/rules.ts): what triggers it brings its files, with
// the rule's name as the reason, and leaves out what it says it leaves out; a program that does not
// trigger it gets none of them. The last test checks that no entry is without a test here.
import {expect} from 'chai'
import {existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {DATA_RULES, nssServices} from '../../src/data/rules.js'
import {plan} from '../../src/index.js'
import type {Plan} from '../../src/rootfs/types.js'
import {compile} from '../support/fixtures.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

const tested = new Set<string>()

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

  it('every rule of the table has a test here', function () {
    expect(DATA_RULES.map((rule) => rule.name).filter((name) => !tested.has(name))).to.deep.equal([])
  })
})
