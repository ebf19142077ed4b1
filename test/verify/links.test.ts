// verify names every symlink that leads nowhere inside the rootfs: dangling (relative or absolute,
// the absolute one taken from the rootfs's root, not the host's) and loops; links into /proc,
// /sys and /dev are filled at run time.
import {expect} from 'chai'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {makeTempDir} from '../support/temp.js'

describe('verify: links', function () {
  it('names each link that leads nowhere, and no other', function () {
    const root = makeTempDir()
    mkdirSync(join(root, 'etc/ssl'), {recursive: true})
    mkdirSync(join(root, 'usr/share'), {recursive: true})
    writeFileSync(join(root, 'usr/share/real'), 'x')
    symlinkSync('../usr/share/real', join(root, 'etc/good-relative'))
    symlinkSync('/usr/share/real', join(root, 'etc/good-absolute'))
    symlinkSync('/usr/share', join(root, 'etc/good-dir'))
    symlinkSync('../proc/self/mounts', join(root, 'etc/mtab'))
    symlinkSync('missing', join(root, 'etc/dangling-relative'))
    // /etc/hostname exists on the host, not in the rootfs.
    symlinkSync('/etc/hostname', join(root, 'etc/dangling-absolute'))
    symlinkSync('loop-b', join(root, 'etc/loop-a'))
    symlinkSync('loop-a', join(root, 'etc/loop-b'))
    symlinkSync('/usr/share/real/below', join(root, 'etc/ssl/through-a-file'))
    const r = cli(['verify', '--json', root])
    expect(r.status).to.equal(1)
    const problems = JSON.parse(r.stdout).problems as Array<{path: string; kind: string; name: string; error?: string}>
    expect(problems.map((p) => `${p.kind} ${p.path} -> ${p.name}`)).to.deep.equal([
      'link /etc/dangling-absolute -> /etc/hostname',
      'link /etc/dangling-relative -> missing',
      'link /etc/loop-a -> loop-b',
      'link /etc/loop-b -> loop-a',
      'link /etc/ssl/through-a-file -> /usr/share/real/below',
    ])
    expect(problems.find((p) => p.path === '/etc/loop-a')?.error).to.match(/symlink loop/)
    expect(problems.find((p) => p.path === '/etc/dangling-relative')?.error).to.equal('no such file')
    const text = cli(['verify', root])
    expect(text.status).to.equal(1)
    for (const name of ['dangling-absolute', 'dangling-relative', 'loop-a', 'loop-b', 'through-a-file']) expect(text.stdout + text.stderr).to.contain(`/etc/${name.startsWith('through') ? 'ssl/' : ''}${name} ->`)
  })
})
