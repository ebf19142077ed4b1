// Real jobs in trees built from program names alone (plus sh where the job is a shell line),
// compared with the same job on the host: output and exit status. The trees get their data from
// the package database and the data rules; nothing is added by hand.
import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {buildTree, expectSameAsHost, inTree, type Job} from '../support/jobs.js'
import {isRoot, skipBecause} from '../support/skip.js'

interface Case {
  title: string
  programs: string[]
  jobs: Job[]
  // A file the host must have for the job to mean anything.
  needs?: string
}

const cases: Case[] = [
  {
    title: 'python3 imports its standard library, extension modules included (ssl, sqlite3, lzma, ctypes), and loads the CA bundle',
    programs: ['/usr/bin/python3'],
    needs: '/usr/bin/python3',
    jobs: [
      {argv: ['/usr/bin/python3', '-c', "import ssl, sqlite3, lzma, ctypes, json, decimal, hashlib, zlib, bz2; print(ssl.OPENSSL_VERSION, sqlite3.sqlite_version, lzma.decompress(lzma.compress(b'xyz')), ctypes.sizeof(ctypes.c_long), decimal.Decimal('1.10') + 1, hashlib.sha256(b'a').hexdigest()[:12], len(zlib.compress(b'a' * 99)), bz2.decompress(bz2.compress(b'q')))"]},
      {argv: ['/usr/bin/python3', '-c', "import ssl; print(ssl.create_default_context().cert_store_stats()['x509_ca'] > 0)"]},
      {argv: ['/usr/bin/python3', '-c', "import sqlite3; c = sqlite3.connect(':memory:'); c.execute('create table t(x)'); c.executemany('insert into t values (?)', [(1,), (2,)]); print(c.execute('select sum(x) from t').fetchone())"]},
    ],
  },
  {
    title: 'perl loads core modules (POSIX, Storable, List::Util)',
    programs: ['perl'],
    needs: '/usr/bin/perl',
    jobs: [{argv: ['/usr/bin/perl', '-MPOSIX', '-MStorable=freeze,thaw', '-MList::Util=sum,max', '-e', 'print sum(1..10), " ", max(3,9,2), " ", POSIX::floor(2.7), " ", thaw(freeze([1,2]))->[1], " ", POSIX::strftime("%Y", gmtime(0)), "\\n"']}],
  },
  {
    title: 'git makes a commit (its templates come from its package)',
    programs: ['git', 'sh', 'mktemp'],
    needs: '/usr/bin/git',
    jobs: [{shell: 'cd "$(mktemp -d)" && export HOME="$PWD" && git init -q r && cd r && echo hi > f && git add f && git -c user.name=a -c user.email=a@b commit -qm first && git log --format=%s:%an && git ls-files && set -- .git/hooks/*.sample && echo "$# sample hooks"'}],
  },
  {
    title: 'iconv converts to legacy charsets (its gconv modules are dlopened)',
    programs: ['iconv', 'sh', 'od'],
    jobs: [
      {shell: "printf 'caf\\303\\251\\n' | iconv -f UTF-8 -t ISO-8859-1 | od -An -tx1"},
      {shell: "printf '\\342\\202\\254 caf\\303\\251\\n' | iconv -f UTF-8 -t CP1252 | od -An -tx1; printf 'A' | iconv -t UTF-16BE | od -An -tx1; printf 'Ab' | iconv -f ASCII -t EBCDIC-US | od -An -tx1"},
    ],
  },
  {
    title: 'curses programs find their terminal descriptions (tput, clear)',
    programs: ['tput', 'clear', 'sh', 'od'],
    jobs: [{shell: 'tput cols; tput colors; clear | od -An -c', env: {TERM: 'xterm-256color'}}, {shell: 'tput -T vt100 cup 1 1 | od -An -c'}],
  },
  {
    title: 'date prints another time zone (zoneinfo)',
    programs: ['date'],
    needs: '/usr/share/zoneinfo/Asia/Tokyo',
    jobs: [{argv: ['/usr/bin/date', '-d', '@86400'], env: {TZ: 'Asia/Tokyo'}}, {argv: ['/usr/bin/date', '-d', '@0', '+%Z %z'], env: {TZ: 'America/New_York'}}],
  },
  {
    title: 'file names a file type from its magic database',
    programs: ['file', 'sh'],
    needs: '/usr/bin/file',
    jobs: [{shell: 'printf "#!/bin/sh\\necho\\n" > /tmp/x; printf "\\037\\213\\010\\000" > /tmp/y; file -b /tmp/x /tmp/y; file -b --mime-type /tmp/x'}],
  },
  {
    title: 'openssl req writes a request with its openssl.cnf',
    programs: ['openssl', 'sh', 'head'],
    needs: '/usr/bin/openssl',
    jobs: [{shell: 'openssl req -new -newkey rsa:1024 -nodes -keyout /dev/null -subj /CN=x -batch 2>/dev/null | head -1; openssl version -d'}],
  },
  {
    title: 'getent resolves localhost (the skeleton /etc/hosts)',
    programs: ['getent'],
    // ahostsv4 asks getaddrinfo, which looks at the configured addresses (AI_ADDRCONFIG): the job
    // runs in the host's network namespace, as on the host.
    jobs: [{argv: ['/usr/bin/getent', 'ahostsv4', 'localhost'], run: ['--net', 'host']}],
  },
  {
    title: 'gzip, xz and zstd round-trip',
    programs: ['gzip', 'xz', 'zstd', 'sh'],
    needs: '/usr/bin/zstd',
    jobs: [{shell: 'echo hello | gzip | gzip -d; echo hello | xz | xz -d; echo hello | zstd -q | zstd -dq'}],
  },
  {
    title: 'sqlite3 answers a query',
    programs: ['sqlite3'],
    needs: '/usr/bin/sqlite3',
    jobs: [{argv: ['/usr/bin/sqlite3', ':memory:', 'select 1 + 1, upper(\'x\'), sqlite_version();']}],
  },
  {
    title: 'awk, sed and grep -P (pcre2) filter text',
    programs: ['awk', 'sed', 'grep', 'sh'],
    jobs: [{shell: "echo '3 4 foo123' | awk '{print $1 * $2, $3}' | sed 's/o/0/g' | grep -oP '\\d+$'"}],
  },
  {
    title: 'find, sort and diff compare files',
    programs: ['find', 'sort', 'diff', 'mkdir', 'touch', 'sh'],
    jobs: [{shell: "cd /tmp && mkdir -p a/b && touch a/b/c a/d && find a | sort; printf 'a\\nb\\n' > 1; printf 'a\\nc\\n' > 2; diff 1 2; echo status $?"}],
  },
  {
    title: 'less pages a file (terminfo for its terminal)',
    programs: ['less', 'sh'],
    needs: '/usr/bin/less',
    jobs: [{shell: 'printf "one\\ntwo\\n" > /tmp/f; less -FX /tmp/f', env: {TERM: 'xterm'}}],
  },
]

// Jobs that exec helper programs or read data no rule knows about: the tree is built with the job
// itself traced; without the trace the job fails in the tree (`without`: its stderr), except git
// clone, whose helper (git-upload-pack) its package already brings. `flags` go to both builds (tar's
// compressors are a data rule's, left out here so that the trace alone brings them).
const CLONE = 'cd "$(mktemp -d)" && export HOME="$PWD" && git init -q a && git -C a -c user.name=a -c user.email=a@b commit -q --allow-empty -m one && git clone -q a b && git -C b log --format=%s'
const TAR = 'cd "$(mktemp -d)" && echo data > f && tar czf f.tgz f && rm f && tar xzf f.tgz && cat f && tar tzf f.tgz'
const MAKE = 'cd "$(mktemp -d)" && printf \'all: out\\n\\t@cat out\\nout:\\n\\t@echo built $$((6 * 7)) > out\\n\' > Makefile && make -s'
const tracedCases: Array<Case & {trace: string; without?: RegExp; flags?: string[]}> = [
  {title: 'git clone runs git-upload-pack', programs: ['git', 'sh', 'mktemp'], trace: CLONE, jobs: [{shell: CLONE}], needs: '/usr/bin/git'},
  {title: 'tar runs its compressor (gzip)', programs: ['tar', 'sh', 'mktemp', 'cat', 'rm'], trace: TAR, jobs: [{shell: TAR}], without: /gzip/, flags: ['--skip-rule', 'helpers']},
  {title: 'make runs its recipes with /bin/sh', programs: ['make', 'sh', 'mktemp', 'printf'], trace: MAKE, jobs: [{shell: MAKE}], needs: '/usr/bin/make', without: /sh|cat/},
  {title: 'cat reads a file no rule knows about (a license text)', programs: ['cat'], trace: 'cat /usr/share/common-licenses/GPL-3', jobs: [{argv: ['/bin/cat', '/usr/share/common-licenses/GPL-3']}], needs: '/usr/share/common-licenses/GPL-3', without: /No such file/},
]

describe('data: real jobs in trees built from program names, against the host', function () {
  for (const c of cases) {
    describe(c.title, function () {
      let rootfs: string
      before(function () {
        if (!isRoot) skipBecause(this, 'the trees are run with ns-tool run as root here (rootless runs are tested in test/sandbox)')
        if (c.needs && !existsSync(c.needs)) skipBecause(this, `${c.needs} is not installed`)
        rootfs = buildTree(c.programs)
      })
      c.jobs.forEach((job, i) => {
        it(`job ${i + 1}: ${(job.argv ?? [job.shell!]).join(' ').slice(0, 90)}`, function () {
          expectSameAsHost(rootfs, job)
        })
      })
    })
  }

  for (const c of tracedCases) {
    describe(`with --trace: ${c.title}`, function () {
      let traced: string
      let untraced: string
      before(function () {
        if (!isRoot) skipBecause(this, 'the trees are run with ns-tool run as root here')
        if (c.needs && !existsSync(c.needs)) skipBecause(this, `${c.needs} is not installed`)
        traced = buildTree(c.programs, [...(c.flags ?? []), '--trace', c.trace])
        if (c.without) untraced = buildTree(c.programs, c.flags)
      })
      c.jobs.forEach((job, i) => {
        it(`job ${i + 1} works as on the host${c.without ? '; without the trace it fails' : ''}`, function () {
          expectSameAsHost(traced, job)
          if (!c.without) return
          const without = inTree(untraced, job)
          expect(without.status, 'without --trace').to.not.equal(0)
          expect(without.stderr).to.match(c.without)
        })
      })
    })
  }
})
