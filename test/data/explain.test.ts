// Explain and warn: deps shows the data with its reasons (tree and JSON), a program that is a shell
// wrapper gets a one-line warning naming the real program, verify reports what a data rule needs
// and the tree lacks.
import {expect} from 'chai'
import {chmodSync, existsSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

describe('data: deps, warnings, verify', function () {
  it('deps shows each data file with its reason, grouped in the tree, listed in --json; --no-data shows none', function () {
    if (!existsSync('/usr/bin/python3.11')) skipBecause(this, 'python3.11 is not installed')
    const tree = cli(['deps', '/usr/bin/python3'])
    expect(tree.status, tree.stderr).to.equal(0)
    expect(tree.stdout).to.match(/\ndata \(\d+ entries, not ELF dependencies\):\n/)
    expect(tree.stdout).to.match(/\n {2}python standard library: python3\.11 is a python interpreter\n {4}\/usr\/lib\/python3\.11 \(and \d+ entries in it\)\n/)
    expect(tree.stdout).to.match(/\n {2}CA certificates: libssl\.so\.3 is in the closure\n/)
    const json = JSON.parse(cli(['deps', '--json', '/usr/bin/python3']).stdout)
    expect(json.data).to.deep.include({path: '/usr/lib/python3.11/os.py', reason: 'python standard library: python3.11 is a python interpreter'})
    expect(json.files.some((file: {path: string}) => /_ssl\.cpython/.test(file.path)), 'the extension modules are resolved').to.equal(true)
    const bare = JSON.parse(cli(['deps', '--json', '--no-data', '/usr/bin/python3']).stdout)
    expect(bare.data).to.deep.equal([])
    expect(bare.files.some((file: {path: string}) => /_ssl\.cpython/.test(file.path))).to.equal(false)
  })

  it('a shell script that execs another program gets a one-line warning naming the real one; other scripts do not', function () {
    const bin = makeTempDir()
    const script = (name: string, text: string) => {
      writeFileSync(join(bin, name), text)
      chmodSync(join(bin, name), 0o755)
    }
    script('cat', '#!/bin/sh\n# a shim, as version managers write them\nexec /usr/bin/env cat "$@"\n')
    script('hello', '#!/bin/sh\necho hello\n')
    const env = {PATH: `${bin}:/usr/bin:/bin`}
    const shim = cli(['deps', 'cat', 'hello'], {env})
    expect(shim.status, shim.stderr).to.equal(0)
    const warnings = shim.stderr.split('\n').filter((line) => line.includes('warning'))
    expect(warnings).to.deep.equal([`ns-tool deps: warning: cat: ${bin}/cat is a shell script that runs other programs (a wrapper or shim): the tree gets it and its shell, not what it runs; name the real program (/usr/bin/cat) or add --trace 'cat ...'`])
    const build = cli(['build-rootfs', '--dry-run', '-o', join(bin, 'out'), 'cat'], {env})
    expect(build.stderr).to.include('ns-tool build-rootfs: warning: cat: ')
    // -q hides progress and summaries, never a warning.
    expect(cli(['build-rootfs', '--dry-run', '-q', '-o', join(bin, 'out'), 'cat'], {env}).stderr.split('\n').filter(Boolean)).to.deep.equal([warnings[0].replace('ns-tool deps:', 'ns-tool build-rootfs:')])
  })

  it('verify reports a data rule that applies and finds nothing of its own in the tree', function () {
    const dir = makeTempDir()
    const build = (name: string, flags: string[]) => {
      const r = cli(['build-rootfs', '-q', '-o', join(dir, name), ...flags, 'date'])
      expect(r.status, r.stderr).to.equal(0)
      return join(dir, name)
    }
    // A --no-data tree is held to its ELF closure unless the data is asked for (--data).
    const bare = cli(['verify', '--json', '--data', build('bare', ['--no-data'])])
    expect(bare.status).to.equal(1)
    const problem = JSON.parse(bare.stdout).problems.find((p: {kind: string; name: string}) => p.kind === 'data' && p.name === 'zoneinfo')
    expect(problem).to.deep.include({path: '/usr/bin/date', error: 'date imports tzset, and the tree has none of its files'})
    expect(problem.searched).to.include('/usr/share/zoneinfo')
    const text = cli(['verify', '--data', join(dir, 'bare')])
    expect(text.stdout).to.include('zoneinfo needed by /usr/bin/date: missing (date imports tzset, and the tree has none of its files: /etc/localtime /usr/share/zoneinfo)')
    const full = cli(['verify', build('full', [])])
    expect(full.status, full.stdout).to.equal(0)
  })
})
