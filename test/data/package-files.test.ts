// The packages' run-time files: what a named program's package brings (its configuration, data
// and helper programs, not its documentation, translations, packaging metadata nor its other
// programs on PATH); a library's package is read the same way (test/data/rules.test.ts).
import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {join} from 'node:path'
import {isRuntimeFile, runtimeFilesOf} from '../../src/data/package-files.js'
import {packageDatabase} from '../../src/data/packages.js'
import {plan} from '../../src/index.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

describe('data/package-files', function () {
  it('tells run-time files from documentation, translations, metadata, service files, build files and other programs', function () {
    for (const path of ['/etc/bash.bashrc', '/usr/share/git-core/templates/description', '/usr/lib/git-core/git-upload-pack', '/usr/lib/x86_64-linux-gnu/perl-base/POSIX.pm', '/usr/share/zoneinfo/UTC']) expect(isRuntimeFile(path), path).to.equal(true)
    for (const path of ['/usr/share/doc/bash/copyright', '/usr/share/man/man1/bash.1.gz', '/usr/share/locale/de/LC_MESSAGES/bash.mo', '/usr/share/lintian/overrides/git', '/usr/share/bash-completion/completions/git', '/etc/init.d/procps', '/lib/systemd/system/x.service', '/usr/include/stdio.h', '/usr/lib/x86_64-linux-gnu/libc.a', '/usr/bin/bashbug', '/bin/ls', '/etc/ld.so.conf.d/x86_64-linux-gnu.conf', '/usr/share/doc/x/changelog.Debian.gz']) {
      expect(isRuntimeFile(path), path).to.equal(false)
    }
  })

  it('a library\'s package brings its run-time files (libmagic1: /etc/magic), not its documentation', function () {
    const db = packageDatabase('/')
    const magic = db.ownerOf('/usr/lib/x86_64-linux-gnu/libmagic.so.1')
    if (!magic) skipBecause(this, 'libmagic1 is not installed')
    const files = runtimeFilesOf(db, magic)
    expect(files).to.include('/etc/magic')
    expect(files.filter((path) => path.startsWith('/usr/share/doc/'))).to.deep.equal([])
  })

  it('bash brings its package\'s configuration, not its manual nor bashbug; git its templates and helpers', async function () {
    if (packageDatabase('/').format !== 'dpkg') skipBecause(this, 'no dpkg database on this host')
    if (!existsSync('/usr/bin/git')) skipBecause(this, 'git is not installed (the test bootstrap installs it as root)')
    const entries = (await plan(['bash', 'git'], {output: join(makeTempDir(), 'out')})).entries
    const reason = (path: string) => entries.find((entry) => entry.path === path)?.reason
    expect(reason('/etc/bash.bashrc')).to.equal('package bash (of bash)')
    expect(reason('/etc/skel/.bashrc')).to.equal('package bash (of bash)')
    // (Provenance places each package's copyright file, for scanners.)
    expect(entries.filter((entry) => (/\/share\/(doc|man|locale)\//.test(entry.path) && entry.type === 'file' && entry.reason !== 'copyright') || entry.path.endsWith('/bashbug')).map((entry) => entry.path)).to.deep.equal([])
    expect(reason('/usr/share/git-core/templates/description')).to.equal('package git (of git)')
    expect(reason('/usr/lib/git-core/git-upload-pack')).to.equal('package git (of git)')
    expect(entries.some((entry) => entry.path === '/usr/bin/git-shell'), 'another program of the package').to.equal(false)
  })
})
