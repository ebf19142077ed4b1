import {expect} from 'chai'
import {chmodSync, mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {NsToolError} from '../../src/errors.js'
import {envCommand, findProgramIn, parseShebang} from '../../src/loader/program.js'
import {Sysroot} from '../../src/loader/sysroot.js'
import {makeTempDir} from '../support/temp.js'

describe('resolve/program', () => {
  it('parses #! lines as the kernel does', () => {
    const head = (text: string) => Buffer.from(text, 'latin1')
    expect(parseShebang(head('#!/bin/sh\necho'))).to.deep.equal({interpreter: '/bin/sh'})
    expect(parseShebang(head('#! \t/usr/bin/env  python3 -u \r\n'))).to.deep.equal({interpreter: '/usr/bin/env', argument: 'python3 -u'})
    expect(parseShebang(head('#!/bin/sh'))).to.deep.equal({interpreter: '/bin/sh'})
    expect(parseShebang(head('#!   \n'))).to.equal(undefined)
    expect(parseShebang(head('\x7fELF'))).to.equal(undefined)
    // An interpreter path cut off by the kernel's 256-byte buffer is refused.
    expect(parseShebang(head('#!/' + 'x'.repeat(300)))).to.equal(undefined)
  })

  it('finds the program env runs', () => {
    expect(envCommand('python3')).to.equal('python3')
    expect(envCommand('-S python3 -u')).to.equal('python3')
    expect(envCommand('-S -i A=1 -u B node --flag')).to.equal('node')
    expect(envCommand('--split-string=perl -w')).to.equal('perl')
    // Without -S the kernel's single argument is one word, spaces and all.
    expect(envCommand('python3 -u')).to.equal('python3 -u')
    expect(envCommand(undefined)).to.equal(undefined)
    expect(envCommand('-i')).to.equal(undefined)
  })

  describe('findProgramIn', () => {
    function root(): string {
      const dir = makeTempDir()
      mkdirSync(join(dir, 'usr/bin'), {recursive: true})
      mkdirSync(join(dir, 'usr/local/bin/tool'), {recursive: true})
      mkdirSync(join(dir, 'opt'), {recursive: true})
      writeFileSync(join(dir, 'usr/bin/tool'), '#!/bin/sh\n')
      chmodSync(join(dir, 'usr/bin/tool'), 0o755)
      writeFileSync(join(dir, 'usr/bin/data'), 'x')
      symlinkSync('loop', join(dir, 'usr/bin/loop'))
      symlinkSync('/usr/bin/tool', join(dir, 'opt/link'))
      return dir
    }
    const PATH = '/usr/local/bin:/usr/bin'

    it('takes the first executable file on PATH, inside the sysroot', () => {
      const dir = root()
      // /usr/local/bin/tool is a directory: skipped, as execvp does.
      expect(findProgramIn(new Sysroot(dir), 'tool', PATH)).to.equal('/usr/bin/tool')
      expect(findProgramIn(new Sysroot(dir), '/opt/link', PATH)).to.equal('/opt/link')
    })

    it('names the program and the PATH searched when it is not there', () => {
      const dir = root()
      expect(() => findProgramIn(new Sysroot(dir), 'nope', PATH)).to.throw(NsToolError, `nope: not found on PATH (${PATH}) in ${dir}`)
      expect(() => findProgramIn(new Sysroot('/'), 'ns-tool-no-such-program', PATH)).to.throw(NsToolError, `ns-tool-no-such-program: not found on PATH (${PATH})`)
    })

    it('gives one clear reason for a path that is no program', () => {
      const sysroot = new Sysroot(root())
      expect(() => findProgramIn(sysroot, '/usr/bin', PATH)).to.throw(NsToolError, /^\/usr\/bin: is a directory/)
      expect(() => findProgramIn(sysroot, '/usr/bin/data', PATH)).to.throw(NsToolError, /^\/usr\/bin\/data: not executable \(mode 0644/)
      expect(() => findProgramIn(sysroot, '/usr/bin/loop', PATH)).to.throw(NsToolError, /^\/usr\/bin\/loop: symlink loop/)
      expect(() => findProgramIn(sysroot, '/usr/bin/gone', PATH)).to.throw(NsToolError, /^\/usr\/bin\/gone: no such file/)
      expect(() => findProgramIn(sysroot, 'data', PATH)).to.throw(NsToolError, /^data: \/usr\/bin\/data .*is not executable/)
    })
  })
})
