// The rough edges a new user hits first: a flag left without its value at the end of run's flags,
// a wrong value of a choice flag, many PROGRAMs of which some are not programs or do not exist, a
// silent first second of a build on a terminal, the tree's manifest seen from inside the sandbox.
// (An export into a missing directory: test/export/output.test.ts.)
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, readdirSync, renameSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {oclifArgv, parseArgv} from '../../src/cli/argv.js'
import {UsageError} from '../../src/errors.js'
import {CHROOT} from '../../src/options/chroot.js'
import {RUN} from '../../src/options/run.js'
import {binRun, cli} from '../support/cli.js'
import {fixturesDir} from '../support/fixtures.js'
import {nsTool, requireRootless, runEnv, runModes} from '../support/run.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeSuiteTempDir, makeTempDir} from '../support/temp.js'

function lines(text: string): string[] {
  return text.trim().split('\n').filter(Boolean)
}

describe('a newcomer\'s first commands', function () {
  this.timeout(120_000)

  describe('run: a flag at the end of its flags, without its value', () => {
    for (const [flag, placeholder] of [['--hostname', 'NAME'], ['-w', 'DIR'], ['--memory', 'SIZE']]) {
      const name = flag === '-w' ? '--workdir' : flag
      it(`run ROOTFS ${flag}: bad usage naming ${name}, as it is with -- and COMMAND after it`, function () {
        const rootfs = makeTempDir()
        for (const argv of [[rootfs, flag], [rootfs, flag, '--', '/bin/true']]) {
          const r = cli(['run', ...argv])
          expect(r.status, r.stderr).to.equal(2)
          expect(lines(r.stderr)[0], argv.join(' ')).to.equal(`ns-tool run: ${name} needs a value (${placeholder})`)
        }
      })
    }

    it('both parsers refuse it, the fast one and the words given to oclif (chroot too)', async function () {
      for (const [table, argv] of [[RUN, ['R', '--hostname']], [RUN, ['--net', 'host', 'R', '-w']], [CHROOT, ['--rootfs']]] as const) {
        const fast = await parseArgv(table, [...argv]).catch((error: Error) => error)
        expect(fast, argv.join(' ')).to.be.instanceOf(UsageError)
        expect(() => oclifArgv(table, [...argv]), argv.join(' ')).to.throw(UsageError, /needs a value/)
      }
    })
  })

  describe('a value of a choice flag: the closest choice is suggested', () => {
    it('sbom --format spdx, export --format tra, run --net hots', function () {
      const rootfs = makeTempDir()
      const cases: Array<[string[], string]> = [
        [['sbom', rootfs, '--format', 'spdx'], 'ns-tool sbom: --format spdx: expected one of spdx-json, cyclonedx-json; did you mean spdx-json?'],
        [['export', rootfs, '--format', 'tra', '-o', join(rootfs, '..', 'x.tar')], 'ns-tool export: --format tra: expected one of tar, oci, bundle; did you mean tar?'],
        [['run', '--net', 'hots', rootfs], 'ns-tool run: --net hots: expected one of none, host, private; did you mean host?'],
      ]
      for (const [argv, line] of cases) {
        const r = cli(argv)
        expect(r.status, r.stderr).to.equal(2)
        expect(lines(r.stderr)[0]).to.equal(line)
      }
    })

    it('the API says it too', async function () {
      const {exportRootfs} = await import('../../src/index.js')
      const error = await exportRootfs(makeTempDir(), {format: 'tra' as 'tar', output: join(makeTempDir(), 'x')}).catch((e: Error) => e)
      expect((error as Error).message).to.equal('exportRootfs(): option format must be one of tar, oci, bundle (got "tra"); did you mean tar?')
    })
  })

  describe('build-rootfs with many PROGRAMs', () => {
    // A directory, an executable file that is no program, and sh: as `build-rootfs /usr/bin/*` meets them.
    function mixed(): {work: string; dir: string; data: string} {
      const work = makeTempDir()
      const dir = join(work, 'X11')
      mkdirSync(dir)
      const data = join(work, 'notes')
      writeFileSync(data, 'plain text\n')
      chmodSync(data, 0o755)
      return {work, dir, data}
    }

    it('skips directories and files that are not programs with one warning listing them, and builds the rest', function () {
      const {work, dir, data} = mixed()
      const out = join(work, 'rootfs')
      const r = cli(['build-rootfs', '--no-data', '-o', out, dir, 'sh', data])
      expect(r.status, r.stderr).to.equal(0)
      const warnings = lines(r.stderr).filter((line) => line.includes('warning'))
      expect(warnings).to.deep.equal([`ns-tool build-rootfs: warning: skipped 2 of the PROGRAMs given: ${dir} (is a directory, not a program), ${data} (not an ELF file or a #! script)`])
      expect(existsSync(join(out, 'bin', 'sh'))).to.equal(true)
    })

    it('is an error when nothing is left, and writes nothing', function () {
      const {work, dir, data} = mixed()
      const out = join(work, 'rootfs')
      const r = cli(['build-rootfs', '--no-data', '-o', out, dir, data])
      expect(r.status, r.stderr).to.equal(1)
      expect(lines(r.stderr)).to.deep.equal([`ns-tool build-rootfs: ${dir}: is a directory, not a program`, `ns-tool build-rootfs: ${data}: not an ELF file or a #! script`])
      expect(existsSync(out)).to.equal(false)
    })

    it('names every missing program in one message, and writes nothing', function () {
      const work = makeTempDir()
      const out = join(work, 'rootfs')
      const r = cli(['build-rootfs', '--no-data', '-o', out, 'sh', 'nosuch1', 'nosuch2'], {env: {PATH: '/usr/bin:/bin'}})
      expect(r.status, r.stderr).to.equal(1)
      expect(lines(r.stderr)).to.deep.equal(['ns-tool build-rootfs: nosuch1, nosuch2: not found on PATH (/usr/bin:/bin)'])
      expect(existsSync(out)).to.equal(false)
    })
  })

  describe('a build on a terminal says what it does from its first second', () => {
    function atTerminal(argv: string[]): {status: number; terminal: string} {
      const driver = [join(fixturesDir, 'run', 'pty-driver.py'), '--timeout', '60', '--']
      const r = spawnSync('/usr/bin/python3', [...driver, process.execPath, binRun, ...argv], {encoding: 'utf8', env: runEnv})
      return JSON.parse(r.stdout)
    }

    it('resolving N programs... before anything else, and nothing with -q', function () {
      const work = makeTempDir()
      const shown = atTerminal(['build-rootfs', '--no-data', '-o', join(work, 'a'), 'sh', 'ls'])
      expect(shown.status, shown.terminal).to.equal(0)
      expect(shown.terminal).to.match(/^resolving 2 programs\.\.\./)
      const quiet = atTerminal(['build-rootfs', '-q', '--no-data', '-o', join(work, 'b'), 'sh', 'ls'])
      expect(quiet.status, quiet.terminal).to.equal(0)
      expect(quiet.terminal).to.equal('')
    })
  })

  it('a tree built before, with its manifest at /.ns-tool, is still ns-tool\'s: rebuilt without --force, the manifest moves to /var/lib/ns-tool', function () {
    const out = join(makeTempDir(), 'old')
    const first = cli(['build-rootfs', '-q', '--no-data', '-o', out, 'true'])
    expect(first.status, first.stderr).to.equal(0)
    renameSync(join(out, 'var/lib/ns-tool'), join(out, '.ns-tool'))
    const again = cli(['build-rootfs', '-q', '--no-data', '-o', out, 'true'])
    expect(again.status, again.stderr).to.equal(0)
    expect(existsSync(join(out, '.ns-tool')), 'the old record is not carried over').to.equal(false)
    expect(readdirSync(join(out, 'var/lib/ns-tool'))).to.include('manifest.json')
  })

  describe('run: the tree\'s manifest is not visible inside', () => {
    let box = ''
    before(function () {
      if (!isRoot) skipBecause(this, 'the tree is built as root and run as root and as uid 65534')
      box = join(makeSuiteTempDir(), 'tree')
      const r = cli(['build-rootfs', '-q', '--no-data', '-o', box, 'sh', 'ls', 'cat', 'touch', 'wc'])
      if (r.status !== 0) throw new Error(r.stderr)
    })
    for (const {name, rootless} of runModes) {
      it(`${name}: the manifest is not at the root, and /var/lib/ns-tool holds nothing COMMAND can read or change; the tree keeps it`, function () {
        if (rootless) requireRootless(this)
        const r = nsTool(['run', box, '/bin/sh', '-c', 'ls -A /; echo ==; ls -A /var/lib/ns-tool | wc -l; touch /var/lib/ns-tool/x 2>/dev/null && echo written; cat /var/lib/ns-tool/manifest.json 2>/dev/null | wc -c'], rootless)
        const [root, rest] = r.stdout.split('==\n')
        expect(root.split('\n').filter((name) => name.includes('ns-tool')), r.stderr).to.deep.equal([])
        expect(rest.split('\n').map((line) => line.trim()).filter(Boolean), r.stderr).to.deep.equal(['0', '0'])
        expect(readdirSync(join(box, 'var/lib/ns-tool'))).to.include('manifest.json')
      })
    }
  })
})
