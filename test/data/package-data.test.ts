// The package-aware data rules (docs/data-rules.md), each with a real job in a tree built from
// names alone, compared with the same job on the host: it does what it does on the host with the
// rule, and not without it (the same build with --skip-rule, or without --locale / --lang).
import {expect} from 'chai'
import {existsSync, readdirSync, statSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {buildTree, expectSameAsHost, inTree, onHost, type Job} from '../support/jobs.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

interface Case {
  title: string
  programs: string[]
  // Flags of the build with the rule, and of the build without it (none: another case shows the
  // rule is needed).
  flags?: string[]
  without?: string[]
  job: Job
  // Files the host must have for the job to mean anything.
  needs: string[]
}

const GPG = 'cd "$(mktemp -d)" && export GNUPGHOME="$PWD" && echo secret > f && gpg -q --batch --passphrase p --pinentry-mode loopback -c -o f.gpg f && gpg -q --batch --passphrase p --pinentry-mode loopback -d f.gpg'
const TAR = 'cd "$(mktemp -d)" && echo data > f && tar czf f.tgz f && rm f && tar xzf f.tgz && cat f && tar tzf f.tgz'

const cases: Case[] = [
  {
    title: "gdb's embedded python imports its standard library (libpython3.11's, a package of its own)",
    programs: ['gdb'],
    without: ['--skip-rule', 'python-stdlib'],
    job: {argv: ['/usr/bin/gdb', '-nx', '-batch', '-ex', 'python import json, fractions; print(json.dumps([str(fractions.Fraction(3, 6))]))']},
    needs: ['/usr/bin/gdb', '/usr/lib/x86_64-linux-gnu/libpython3.11.so.1.0'],
  },
  {
    title: "tclsh starts with its library's init.tcl (libtcl8.6's package)",
    programs: ['tclsh8.6', 'sh'],
    without: ['--skip-rule', 'library-packages'],
    // clock and msgcat are Tcl code of the library, which init.tcl sets up to load.
    job: {shell: "echo 'puts [string totitle hello]; puts [clock format 0 -gmt 1 -format %Y-%m-%d]; package require msgcat; puts [msgcat::mc hi]' | tclsh8.6"},
    needs: ['/usr/bin/tclsh8.6'],
  },
  {
    title: 'python3 names a type from /etc/mime.types (media-types, a data-only package python3.11 depends on)',
    programs: ['/usr/bin/python3'],
    without: ['--skip-rule', 'data-packages'],
    job: {argv: ['/usr/bin/python3', '-c', "import mimetypes; print(mimetypes.guess_type('a.deb'))"]},
    needs: ['/usr/bin/python3.11', '/etc/mime.types'],
  },
  {
    title: 'tar compresses and extracts with gzip, which it runs',
    programs: ['tar', 'sh', 'mktemp', 'cat', 'rm'],
    without: ['--skip-rule', 'helpers'],
    job: {shell: TAR},
    needs: ['/usr/bin/gzip'],
  },
  {
    title: 'gpg encrypts and decrypts, starting gpg-agent',
    programs: ['gpg', 'sh', 'mktemp'],
    job: {shell: GPG},
    needs: ['/usr/bin/gpg', '/usr/bin/gpg-agent'],
  },
  {
    title: 'wc counts characters, not bytes, with LC_ALL=C.UTF-8',
    programs: ['sh', 'wc'],
    without: ['--skip-rule', 'c-utf8'],
    job: {shell: "printf 'caf\\303\\251 \\342\\202\\254\\n' | wc -m", env: {LC_ALL: 'C.UTF-8'}},
    needs: ['/usr/lib/locale/C.utf8'],
  },
  {
    title: 'date names the day in German with --locale de_DE.UTF-8',
    programs: ['date'],
    flags: ['--locale', 'de_DE.UTF-8'],
    without: [],
    job: {argv: ['/usr/bin/date', '-u', '-d', '@0', '+%A %d. %B %Y'], env: {LC_ALL: 'de_DE.UTF-8'}},
    needs: ['/usr/lib/locale/de_DE.utf8'],
  },
  {
    title: "ls and grep say their errors in German with --lang de (coreutils', grep's and libc's catalogues)",
    programs: ['sh', 'ls', 'grep'],
    flags: ['--lang', 'de'],
    without: [],
    job: {shell: 'ls /nonexistent 2>&1; grep x /nonexistent 2>&1; echo $?', env: {LC_ALL: 'C.UTF-8', LANGUAGE: 'de'}},
    needs: ['/usr/share/locale/de/LC_MESSAGES/coreutils.mo', '/usr/share/locale/de/LC_MESSAGES/grep.mo', '/usr/share/locale/de/LC_MESSAGES/libc.mo'],
  },
]

describe('data: package-aware rules, each with a real job that needs it', function () {
  for (const c of cases) {
    describe(c.title, function () {
      let withRule: string
      let withoutRule: string
      before(function () {
        if (!isRoot) skipBecause(this, 'the trees are run with ns-tool run as root here (rootless runs are tested in test/sandbox)')
        const missing = c.needs.find((path) => !existsSync(path))
        if (missing) skipBecause(this, `${missing} is not installed (the test bootstrap installs it as root)`)
        withRule = buildTree(c.programs, c.flags)
        if (c.without) withoutRule = buildTree(c.programs, c.without)
      })
      it(`works as on the host${c.without ? '; without the rule it does not' : ''}`, function () {
        expectSameAsHost(withRule, c.job)
        if (!c.without) return
        const host = onHost(c.job)
        const without = inTree(withoutRule, c.job)
        expect({status: without.status, stdout: without.stdout}, 'without the rule').to.not.deep.equal({status: host.status, stdout: host.stdout})
      })
    })
  }

  it('--locale, --lang and --skip-rule come from a --config file too', function () {
    const dir = makeTempDir()
    writeFileSync(join(dir, 'rootfs.json'), JSON.stringify({programs: ['date'], locale: ['C.UTF-8'], lang: ['de'], 'skip-rule': ['zoneinfo', 'c-utf8']}))
    const r = cli(['build-rootfs', '--config', join(dir, 'rootfs.json'), '--dry-run', '-o', join(dir, 'out')])
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/\/usr\/lib\/locale\/C\.utf8 .*\[compiled locales: --locale C\.UTF-8\]/)
    if (existsSync('/usr/share/locale/de/LC_MESSAGES/coreutils.mo')) expect(r.stdout).to.match(/coreutils\.mo .*\[message catalogues: --lang de, package coreutils\]/)
    expect(r.stdout).to.not.match(/\[zoneinfo: /)
  })

  it("the summary says the tree's size: the bytes of its files", function () {
    const output = join(makeTempDir(), 'rootfs')
    const r = cli(['build-rootfs', '-o', output, 'ls'])
    expect(r.status, r.stderr).to.equal(0)
    const bytes = Number(/ \(([\d,]+) bytes\); /.exec(r.stderr)?.[1].replace(/,/g, ''))
    expect(r.stderr).to.match(/ entries, \d+\.\d MB \([\d,]+ bytes\); /)
    expect(bytes).to.equal(filesSize(output, true))
  })
})

// The bytes of the regular files under dir (not ns-tool's own records, var/lib/ns-tool).
function filesSize(dir: string, top = false, rel = ''): number {
  let bytes = 0
  for (const entry of readdirSync(dir, {withFileTypes: true})) {
    if (top && `${rel}${entry.name}` === 'var/lib/ns-tool') continue
    const path = join(dir, entry.name)
    if (entry.isDirectory()) bytes += filesSize(path, top, `${rel}${entry.name}/`)
    else if (entry.isFile()) bytes += statSync(path).size
  }
  return bytes
}
