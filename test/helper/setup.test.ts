// scripts/setup.js builds the helper with the default seccomp filter or not at all: a failing step
// of the generator (the compiler's preprocessor reading the system call tables) stops set-up with
// one line naming it, nothing half-written; and the helper it built refuses the table's calls.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {chmodSync, cpSync, readFileSync, statSync, symlinkSync, utimesSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {repoRoot} from '../support/cli.js'
import {compile, haveCompiler} from '../support/fixtures.js'
import {makeRootfs, requireHelperTestable, runHelper, sharedHelper} from '../support/helper.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

describe('setup: the helper\'s generated tables and default filter', function () {
  this.timeout(120_000)

  // The preprocessor fails; or it succeeds and defines nothing (a table that would be empty).
  const brokenPreprocessors = [
    {name: 'fails', script: 'echo "cc1: fatal error: cannot run the preprocessor" >&2; exit 1', says: (cc: string) => `reading the system call numbers from <asm/unistd_64.h> with \`${cc} -E\` failed: cc1: fatal error: cannot run the preprocessor (install the kernel headers: Debian/Ubuntu linux-libc-dev, Fedora kernel-headers; or set CC to a working compiler)`},
    {name: 'defines nothing', script: 'exit 0', says: (cc: string) => `reading the system call numbers from <asm/unistd_64.h> with \`${cc} -E\`: the table is empty; the helper's default seccomp filter cannot be built from it`},
  ]
  for (const broken of brokenPreprocessors) {
    it(`a preprocessor that ${broken.name} stops set-up with one line naming the step; nothing is rewritten or built`, function () {
      if (!haveCompiler()) skipBecause(this, 'no C compiler')
      // A copy of this built checkout, whose helper is older than its sources: set-up's one step
      // left to run is the helper's.
      const checkout = makeTempDir()
      for (const entry of ['package.json', 'tsconfig.json', 'oclif.manifest.json', 'scripts', 'bin', 'src', 'commands', 'dist']) cpSync(join(repoRoot, entry), join(checkout, entry), {recursive: true, preserveTimestamps: true})
      symlinkSync(join(repoRoot, 'node_modules'), join(checkout, 'node_modules'))
      const output = join(checkout, 'dist/helper/ns-tool-helper')
      utimesSync(output, new Date(0), new Date(0))
      const header = readFileSync(join(checkout, 'dist/helper/ns-tool-defaults.h'), 'utf8')
      const tables = readFileSync(join(checkout, 'dist/helper/syscalls.json'), 'utf8')
      const cc = join(checkout, 'broken-cc')
      writeFileSync(cc, `#!/bin/sh\nfor a in "$@"; do [ "$a" = -E ] && { ${broken.script}; }; done\nexec cc "$@"\n`)
      chmodSync(cc, 0o755)
      const r = spawnSync(process.execPath, [join(checkout, 'scripts/setup.js'), '--no-install'], {cwd: checkout, encoding: 'utf8', env: {...process.env, CC: cc}})
      expect(r.status, r.stderr).to.equal(1)
      const lines = r.stderr.trim().split('\n').filter((line) => !/^setup: (compiling|bundling|writing|making)/.test(line))
      expect(lines).to.deep.equal([`setup: generating the helper's system call tables and default seccomp filter: ${broken.says(cc)}`])
      expect(readFileSync(join(checkout, 'dist/helper/ns-tool-defaults.h'), 'utf8'), 'the header is not rewritten').to.equal(header)
      expect(readFileSync(join(checkout, 'dist/helper/syscalls.json'), 'utf8'), 'the tables are not rewritten').to.equal(tables)
      expect(statSync(output).mtimeMs, 'no helper was built').to.equal(0)
    })
  }

  it('the built helper carries the default filter: with no seccomp option, keyctl is refused (EPERM), also through int 0x80', function () {
    requireHelperTestable(this)
    const root = makeRootfs()
    compile({sources: ['run/kernel-probe.c'], flags: ['-static', '-O2'], output: join(root, 'probe')})
    chmodSync(join(root, 'probe'), 0o755)
    expect(readFileSync(join(repoRoot, 'dist/helper/ns-tool-defaults.h'), 'utf8')).to.match(/#define NS_DEFAULT_FILTER_LENGTH [1-9]\d*/)
    const r = runHelper(sharedHelper(), false, [root, '/probe', 'keyctl', 'int80:keyctl'])
    expect(r.stderr).to.equal('')
    expect(r.stdout).to.equal('keyctl refused EPERM\nint80:keyctl refused EPERM\n')
  })
})
