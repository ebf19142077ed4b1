// The command line behaves like its peers (git, docker, podman): "did you mean" for commands and
// flags, -h and `help COMMAND` everywhere, a mistake answered with one line and the usage line,
// exit statuses in --help, one way to render errors with no stack trace, refusals that all exit 2.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli, repoRoot} from '../support/cli.js'
import {compile} from '../support/fixtures.js'
import {makeTempDir} from '../support/temp.js'

// Every command with an option table (src/options/ID.ts beside commands/ID.ts).
const COMMANDS = readdirSync(join(repoRoot, 'src', 'options')).filter((name) => name.endsWith('.ts') && existsSync(join(repoRoot, 'commands', name))).map((name) => name.slice(0, -3))

function lines(text: string): string[] {
  return text.trim().split('\n')
}

describe('command-line conventions', function () {
  it('a mistyped command gets "did you mean", with arguments after it and with --help', function () {
    for (const argv of [['buld-rootfs', 'bash'], ['buld-rootfs', '--help'], ['buld-rootfs', 'bash', '-o', 'x']]) {
      const r = cli(argv)
      expect(r.status, argv.join(' ')).to.equal(2)
      expect(r.stderr.trim(), argv.join(' ')).to.equal('ns-tool: buld-rootfs is not a command; did you mean build-rootfs? (ns-tool --help lists them)')
    }
  })

  it('a mistyped flag or a missing argument: one line naming it, then the usage line; no help dump, no stack', function () {
    const cases: Array<[string[], string]> = [
      [['build-rootfs', '--ouput', 'x', 'ls'], 'ns-tool build-rootfs: unknown flag --ouput; did you mean --output?'],
      [['deps', '--jsn', 'ls'], 'ns-tool deps: unknown flag --jsn; did you mean --json?'],
      [['run', '--hostnme', 'box', 'R', '/bin/true'], 'ns-tool run: unknown flag --hostnme; did you mean --hostname?'],
      [['verify'], 'ns-tool verify: missing ROOTFS'],
      [['export', 'R', '-o', 'x'], 'ns-tool export: missing --format (one of tar, oci, bundle)'],
      [['build-rootfs', '--layout', 'sideways', 'ls'], 'ns-tool build-rootfs: --layout sideways: expected one of host, flat'],
    ]
    for (const [argv, first] of cases) {
      const r = cli(argv)
      expect(r.status, argv.join(' ')).to.equal(2)
      expect(lines(r.stderr), argv.join(' ')).to.have.length(2)
      expect(lines(r.stderr)[0]).to.equal(first)
      expect(lines(r.stderr)[1]).to.match(new RegExp(`^usage: ns-tool ${argv[0]} .*\\(ns-tool help ${argv[0]} for more\\)$`))
      expect(r.stdout).to.equal('')
    }
  })

  it('-h, --help and `ns-tool help COMMAND` give the same help, with the exit statuses; `run ROOTFS --help` is run\'s', function () {
    for (const command of COMMANDS) {
      const help = cli(['help', command])
      expect(help.status, command).to.equal(0)
      expect(help.stdout).to.contain(`$ ns-tool ${command} `).and.to.contain('EXIT STATUS').and.to.match(/\n {2}2 +bad usage/)
      expect(cli([command, '-h']).stdout, `${command} -h`).to.equal(help.stdout)
      expect(cli([command, '--help']).stdout, `${command} --help`).to.equal(help.stdout)
    }
    const run = cli(['help', 'run']).stdout
    expect(run).to.contain('$ ns-tool run [FLAGS] ROOTFS [COMMAND [ARG...]]').and.to.match(/\n {2}125 +the sandbox could not be set up/)
    expect(cli(['run', 'rootfs', '--help']).stdout).to.equal(run)
    expect(cli(['run', 'rootfs', '-h']).stdout).to.equal(run)
    expect(cli(['help', 'chroot']).stdout).to.contain('[COMMAND [ARG...]]')
  })

  it('refusals exit 2 whatever the command: / as output, a non-empty directory ns-tool did not make, an existing export', function () {
    const work = makeTempDir()
    const foreign = join(work, 'foreign')
    mkdirSync(foreign)
    writeFileSync(join(foreign, 'keep.txt'), 'mine\n')
    const nonEmpty = cli(['build-rootfs', '-o', foreign, 'true'])
    expect(nonEmpty.status, nonEmpty.stderr).to.equal(2)
    expect(lines(nonEmpty.stderr)).to.have.length(1)
    expect(readdirSync(foreign)).to.deep.equal(['keep.txt'])
    const root = cli(['build-rootfs', '-o', '/', 'true'])
    expect(root.status, root.stderr).to.equal(2)
    const tree = join(work, 'tree')
    expect(cli(['build-rootfs', '-q', '-o', tree, 'true']).status).to.equal(0)
    writeFileSync(join(work, 'out.tar'), 'not yours to replace\n')
    const existing = cli(['export', tree, '--format', 'tar', '-o', join(work, 'out.tar')])
    expect(existing.status, existing.stderr).to.equal(2)
    expect(lines(existing.stderr)).to.have.length(1)
  })

  it('one renderer: an internal error is one line without a stack, the stack only with NS_TOOL_DEBUG=1', function () {
    const script = `import {reportError} from ${JSON.stringify(join(repoRoot, 'dist', 'src', 'cli', 'report.js'))}
process.exitCode = reportError(new TypeError('boom'), {command: 'deps'})`
    const run = (env: Record<string, string>) => spawnSync(process.execPath, ['--input-type=module', '-e', script], {encoding: 'utf8', env: {...process.env, NODE_EXTRA_CA_CERTS: '', ...env}})
    const plain = run({NS_TOOL_DEBUG: ''})
    expect(plain.status).to.equal(1)
    expect(plain.stderr).to.equal('ns-tool deps: internal error: boom (NS_TOOL_DEBUG=1 shows where)\n')
    const debug = run({NS_TOOL_DEBUG: '1'})
    expect(debug.stderr).to.contain('TypeError: boom\n    at ')
  })

  it('a missing library is one line, its ~30 searched paths summarised by directory; deps --json lists them all', function () {
    const libextra = compile({sources: ['verify/libextra.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libextra.so.1']})
    const libgreet = compile({sources: ['verify/libgreet.c'], flags: ['-shared', '-fPIC', '-Wl,-soname,libgreet.so.1', libextra]})
    const greet = compile({sources: ['verify/greet.c'], flags: [libgreet, '-Wl,--allow-shlib-undefined']})
    const deps = cli(['deps', '--json', greet])
    expect(deps.status).to.equal(1)
    const searched: string[] = JSON.parse(deps.stdout).missing[0].searched
    expect(searched.length).to.be.greaterThan(20)
    const line = lines(deps.stderr)
    expect(line).to.have.length(1)
    expect(line[0]).to.match(new RegExp(`^ns-tool deps: libgreet\\.so\\.1 needed by ${greet}: not found \\(searched: /etc/ld\\.so\\.cache /lib/x86_64-linux-gnu /usr/lib/x86_64-linux-gnu .*, each directory with its hwcaps subdirectories: ${searched.length} paths, all listed by --json\\)$`))
    expect(line[0].length).to.be.lessThan(400)
    const build = cli(['build-rootfs', '--dry-run', '-o', join(makeTempDir(), 'out'), greet])
    expect(build.status).to.equal(1)
    expect(lines(build.stderr)).to.deep.equal([line[0].replace('ns-tool deps:', 'ns-tool build-rootfs:'), 'ns-tool build-rootfs: add the library with --file, or pass --allow-missing'])
  })

  it('no help text, no README line and no page of docs/ refers to a design document users do not have', function () {
    const pages = readdirSync(join(repoRoot, 'docs')).filter((name) => name.endsWith('.md')).map((name): [string, string] => [`docs/${name}`, readFileSync(join(repoRoot, 'docs', name), 'utf8')])
    const texts: Array<[string, string]> = [['ns-tool --help', cli(['--help']).stdout], ['README.md', readFileSync(join(repoRoot, 'README.md'), 'utf8')], ...pages]
    for (const command of COMMANDS) texts.push([`ns-tool help ${command}`, cli(['help', command]).stdout])
    for (const [where, text] of texts) expect(text, where).to.not.match(/design\b|§/i)
  })
})
