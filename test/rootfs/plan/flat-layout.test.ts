// The flat layout keeps one file per name in /bin and /lib64: two different files wanting one name
// are an error naming both, never one silently dropped.
import {expect} from 'chai'
import {existsSync, mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../../support/cli.js'
import {compile, privateCopySysroot} from '../../support/fixtures.js'
import {makeTempDir} from '../../support/temp.js'

describe('rootfs/plan: flat layout collisions', function () {
  it('two programs of one name are an error naming both, and nothing is written', function () {
    const work = makeTempDir()
    for (const [dir, name] of [['a', 'first'], ['b', 'second']]) {
      mkdirSync(join(work, dir))
      compile({sources: ['resolve/plain.c'], flags: [`-DNAME="${name}"`], output: join(work, dir, 'tool')})
    }
    const out = join(work, 'rootfs')
    const r = cli(['build-rootfs', '--layout', 'flat', '-o', out, join(work, 'a/tool'), join(work, 'b/tool')])
    // Refused (exit 2): the fix is a change to the command line.
    expect(r.status, r.stderr).to.equal(2)
    expect(r.stderr).to.contain('/bin/tool').and.to.contain(join(work, 'a/tool')).and.to.contain(join(work, 'b/tool')).and.to.contain('--layout host')
    expect(r.stderr.trim().split('\n')).to.have.length(1)
    expect(existsSync(out)).to.equal(false)
    // The same file under two names is no collision; host layout keeps both at their own paths.
    expect(cli(['build-rootfs', '-q', '--layout', 'flat', '-o', out, join(work, 'a/tool'), join(work, 'a/../a/tool')]).status).to.equal(0)
    expect(cli(['build-rootfs', '-q', '-o', join(work, 'host'), join(work, 'a/tool'), join(work, 'b/tool')]).status).to.equal(0)
  })

  it('a private RUNPATH copy and the system copy of one soname are an error naming both and who needs each', function () {
    const sysroot = join(makeTempDir(), 'sysroot')
    privateCopySysroot(sysroot)
    const out = join(makeTempDir(), 'rootfs')
    const r = cli(['build-rootfs', '--layout', 'flat', '--sysroot', sysroot, '-o', out, '/opt/b/bin/b', '/usr/bin/a'])
    expect(r.status, r.stderr).to.equal(2)
    expect(r.stderr).to.contain('/lib64/libdup.so.1').and.to.contain(join(sysroot, 'opt/b/lib/libdup.so.1')).and.to.contain(join(sysroot, 'usr/lib/x86_64-linux-gnu/libdup.so.1'))
    expect(r.stderr).to.contain('/opt/b/bin/b').and.to.contain('/usr/bin/a')
    expect(existsSync(out)).to.equal(false)
  })
})
