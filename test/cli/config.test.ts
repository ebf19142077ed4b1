// build-rootfs --config: a JSON or YAML file gives exactly the tree the same flags give; a bad one
// is refused with its location and nothing is written.
import {expect} from 'chai'
import {existsSync, mkdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {busyboxTree} from '../support/run.js'
import {treeListing} from '../support/tree.js'
import {makeTempDir} from '../support/temp.js'

describe('build-rootfs --config', function () {
  it('a JSON and a YAML file give exactly the tree the same flags give; flags given on the command line win', function () {
    const work = makeTempDir()
    writeFileSync(join(work, 'c.json'), JSON.stringify({programs: ['bash', 'ls'], layout: 'flat', file: ['/etc/hostname:/etc/host-name'], 'allow-missing': false}))
    writeFileSync(join(work, 'c.yaml'), 'programs:\n  - bash\n  - ls\nlayout: flat\nfile: ["/etc/hostname:/etc/host-name"]\n')
    const byFlags = cli(['build-rootfs', '-q', '--layout', 'flat', '-f', '/etc/hostname:/etc/host-name', '-o', join(work, 'flags'), 'bash', 'ls'])
    expect(byFlags.status, byFlags.stderr).to.equal(0)
    for (const config of ['c.json', 'c.yaml']) {
      const out = join(work, config.replace('.', '-'))
      const r = cli(['build-rootfs', '-q', '--config', join(work, config), '-o', out])
      expect(r.status, r.stderr).to.equal(0)
      expect(treeListing(out), config).to.deep.equal(treeListing(join(work, 'flags')))
    }
    const override = cli(['build-rootfs', '--dry-run', '--json', '--config', join(work, 'c.yaml'), '--layout', 'host', '-o', join(work, 'o'), 'ps'])
    const planned = JSON.parse(override.stdout)
    expect(planned.layout).to.equal('host')
    expect(planned.programs.map((p: {name: string}) => p.name)).to.deep.equal(['bash', 'ls', 'ps'])
  })

  it('an invalid file gets one line naming the file, the key and what was expected, exit 2, and nothing is written', function () {
    const work = makeTempDir()
    const cases: Array<[string, string, string]> = [
      ['unknown.json', '{"programs": ["bash"], "layot": "flat"}', '/layot'],
      ['enum.yaml', 'layout: sideways\n', 'one of host, flat'],
      ['type.yaml', 'programs: bash\n', '/programs'],
      ['broken.json', '{"programs": [', 'not valid JSON'],
    ]
    for (const [name, text, expected] of cases) {
      writeFileSync(join(work, name), text)
      const out = join(work, `out-${name}`)
      const r = cli(['build-rootfs', '--config', join(work, name), '-o', out])
      expect(r.status, name).to.equal(2)
      expect(r.stderr, name).to.contain(join(work, name)).and.to.contain(expected)
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1)
      expect(existsSync(out)).to.equal(false)
    }
  })

  it('a file flag takes one value with or without --config: `-f SRC:DEST true` builds true either way', function () {
    const work = makeTempDir()
    writeFileSync(join(work, 'app.conf'), 'x=1\n')
    writeFileSync(join(work, 'c.yaml'), 'layout: host\n')
    const base = ['build-rootfs', '--dry-run', '--json', '-o', join(work, 'out'), '-f', `${join(work, 'app.conf')}:/etc/app.conf`, 'true']
    const plans = [cli(base), cli([...base, '--config', join(work, 'c.yaml')])].map((r) => {
      expect(r.status, r.stderr).to.equal(0)
      const plan = JSON.parse(r.stdout)
      return {programs: plan.programs.map((p: {name: string}) => p.name), conf: plan.entries.filter((e: {path: string}) => e.path === '/etc/app.conf').length}
    })
    expect(plans[0]).to.deep.equal({programs: ['true'], conf: 1})
    expect(plans[1]).to.deep.equal(plans[0])
  })

  it('relative paths in the file are relative to the file, not to the current directory', function () {
    const work = makeTempDir()
    const elsewhere = makeTempDir()
    writeFileSync(join(work, 'app.conf'), 'x=1\n')
    writeFileSync(join(work, 'c.yaml'), 'programs: ["true"]\noutput: out\nfile: ["./app.conf:/etc/app.conf"]\n')
    const r = cli(['build-rootfs', '-q', '--config', join(work, 'c.yaml')], {cwd: elsewhere})
    expect(r.status, r.stderr).to.equal(0)
    expect(readFileSync(join(work, 'out', 'etc', 'app.conf'), 'utf8')).to.equal('x=1\n')
    expect(existsSync(join(elsewhere, 'out'))).to.equal(false)
  })
})

describe('run --config', function () {
  it('takes run\'s flags from a file (a seccomp profile relative to it, variables, limits of the table); flags given on the command line win', function () {
    const box = busyboxTree(this)
    const dir = makeTempDir()
    mkdirSync(join(dir, 'profiles'))
    // A profile that refuses mkdir: the sandbox's only way to show it is in force.
    writeFileSync(join(dir, 'profiles', 'no-mkdir.json'), JSON.stringify({defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{names: ['mkdir', 'mkdirat'], action: 'SCMP_ACT_ERRNO'}]}))
    writeFileSync(join(dir, 'run.yaml'), 'seccomp: profiles/no-mkdir.json\nhostname: from-file\nenv: [GREETING=hello]\n')
    const line = 'echo "$GREETING $(hostname)"; mkdir /tmp/x && echo made || echo refused'
    const fromFile = cli(['run', '--config', join(dir, 'run.yaml'), box, '/bin/sh', '-c', line], {cwd: '/'})
    expect(fromFile.status, fromFile.stderr).to.equal(0)
    expect(fromFile.stdout).to.equal('hello from-file\nrefused\n')
    const overridden = cli(['run', '--config', join(dir, 'run.yaml'), '--hostname', 'from-flag', '--seccomp', 'default', box, '/bin/sh', '-c', line], {cwd: '/'})
    expect(overridden.stdout).to.equal('hello from-flag\nmade\n')
    writeFileSync(join(dir, 'bad.yaml'), 'rootfs: /srv\n')
    const bad = cli(['run', '--config', join(dir, 'bad.yaml'), box, '/bin/true'])
    expect(bad.status).to.equal(2)
    expect(bad.stderr.trim()).to.equal(`ns-tool run: --config ${join(dir, 'bad.yaml')}: /rootfs: no such option (keys are run's long flag names)`)
  })
})
