import {expect} from 'chai'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {Sysroot, SysrootLookupError} from '../../src/loader/sysroot.js'
import {makeTempDir} from '../support/temp.js'

describe('resolve/sysroot', () => {
  function tree(): string {
    const root = makeTempDir()
    mkdirSync(join(root, 'usr/lib/x86_64-linux-gnu'), {recursive: true})
    mkdirSync(join(root, 'usr/lib64'), {recursive: true})
    mkdirSync(join(root, 'store/pkg/lib'), {recursive: true})
    mkdirSync(join(root, 'store/pkg/name'), {recursive: true})
    writeFileSync(join(root, 'usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2'), 'loader')
    writeFileSync(join(root, 'store/pkg/name/libname.so'), 'physical')
    symlinkSync('usr/lib', join(root, 'lib'))
    symlinkSync('usr/lib64', join(root, 'lib64'))
    // Absolute targets, as Debian ships them: they must land inside the sysroot.
    symlinkSync('/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2', join(root, 'usr/lib64/ld-linux-x86-64.so.2'))
    symlinkSync('/store/pkg/lib', join(root, 'libs'))
    symlinkSync('store/pkg/lib', join(root, 'relative-libs'))
    symlinkSync('../../../../etc/passwd', join(root, 'escape'))
    symlinkSync('loop-b', join(root, 'loop-a'))
    symlinkSync('loop-a', join(root, 'loop-b'))
    return root
  }

  it('resolves absolute symlink targets inside the sysroot', () => {
    const root = tree()
    const sysroot = new Sysroot(root)
    expect(sysroot.realpath('/lib64/ld-linux-x86-64.so.2')).to.equal('/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2')
    expect(sysroot.file('/lib64/ld-linux-x86-64.so.2')?.stats.size).to.equal('loader'.length)
    expect(sysroot.hostPath('/usr/lib')).to.equal(join(root, 'usr/lib'))
  })

  it('stops ".." at the sysroot root, so nothing outside is reached', () => {
    const sysroot = new Sysroot(tree())
    // /etc/passwd of the host exists; the sysroot has no /etc.
    expect(sysroot.file('/escape')).to.equal(undefined)
    expect(() => sysroot.realpath('/escape')).to.throw(SysrootLookupError)
    expect(sysroot.realpath('/../../usr/lib')).to.equal('/usr/lib')
  })

  it('reports a symlink loop as ELOOP, in the sysroot and on the host', () => {
    const root = tree()
    for (const [sysroot, path] of [
      [new Sysroot(root), '/loop-a'],
      [new Sysroot('/'), join(root, 'loop-a')],
    ] as const) {
      let caught: unknown
      try {
        sysroot.file(path)
      } catch (error) {
        caught = error
      }
      expect(caught).to.be.instanceOf(SysrootLookupError)
      expect((caught as SysrootLookupError).code).to.equal('ELOOP')
      // What the loader sees: open() fails, the candidate is skipped.
      expect(sysroot.openable(path)).to.equal(undefined)
    }
  })

  it('normalizes ".." physically, as the kernel resolves it', () => {
    const root = tree()
    const sysroot = new Sysroot(root)
    // /libs -> /store/pkg/lib, so /libs/../name is /store/pkg/name, not /name.
    expect(sysroot.normalize('/libs/../name/libname.so')).to.equal('/store/pkg/name/libname.so')
    expect(sysroot.normalize('/libs/./x/')).to.equal('/libs/x')
    expect(sysroot.normalize('name', '/store/pkg')).to.equal('/store/pkg/name')
    const host = new Sysroot('/')
    expect(host.normalize(`${root}/relative-libs/../name/libname.so`)).to.equal(join(sysroot.root, 'store/pkg/name/libname.so'))
    // The host-relative path of a link that does not resolve is cleaned up lexically.
    expect(host.normalize(`${root}/missing/../x`)).to.equal(join(sysroot.root, 'x'))
  })
})
