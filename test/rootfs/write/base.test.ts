// build-rootfs --base: a mini root filesystem tarball (any compression) or a directory as the
// starting tree, links and modes kept; hostile archives refused before anything is written.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, createWriteStream, existsSync, lstatSync, mkdirSync, readdirSync, readFileSync, readlinkSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {requireStaticBusybox} from '../../support/busybox.js'
import {binRun, cli} from '../../support/cli.js'
import {isRoot, skipBecause} from '../../support/skip.js'
import {makeSharedTempDir, makeTempDir} from '../../support/temp.js'
import {asUser, requireRootless, runEnv} from '../../support/run.js'

// The mini rootfs: busybox, some applet links, a hard link, an /etc file with its own mode.
function miniTree(dir: string): string {
  const tree = join(dir, 'mini')
  mkdirSync(join(tree, 'bin'), {recursive: true})
  mkdirSync(join(tree, 'etc'))
  copyFileSync('/bin/busybox', join(tree, 'bin', 'busybox'))
  chmodSync(join(tree, 'bin', 'busybox'), 0o755)
  for (const applet of ['sh', 'ls', 'cat', 'echo']) symlinkSync('busybox', join(tree, 'bin', applet))
  writeFileSync(join(tree, 'etc', 'os-release'), 'ID=mini\n')
  chmodSync(join(tree, 'etc', 'os-release'), 0o640)
  spawnSync('ln', [join(tree, 'etc', 'os-release'), join(tree, 'etc', 'os-release.hard')])
  return tree
}

async function hostileTar(path: string, members: Array<{name: string; type?: string; linkname?: string; body?: string; devmajor?: number; devminor?: number}>): Promise<void> {
  const {pack: makePack} = (await import('tar-stream')).default
  const pack = makePack()
  const done = pipeline(pack as unknown as NodeJS.ReadableStream, createWriteStream(path))
  for (const m of members) {
    await new Promise<void>((resolve, reject) => {
      const header = {name: m.name, type: (m.type ?? 'file') as 'file', linkname: m.linkname, mode: 0o644, devmajor: m.devmajor, devminor: m.devminor}
      ;(pack as unknown as {entry(h: object, body: string, cb: (e?: Error) => void): void}).entry(header, m.body ?? '', (error) => (error ? reject(error) : resolve()))
    })
  }
  ;(pack as unknown as {finalize(): void}).finalize()
  await done
}

function listing(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, {recursive: true}).map(String).sort()
}

describe('build-rootfs --base', function () {
  this.timeout(120_000)
  beforeEach(function () {
    requireStaticBusybox(this)
  })

  it('starts from a mini root filesystem in each compression and a directory, links and modes kept, and adds ls', function () {
    const work = makeTempDir()
    const tree = miniTree(work)
    const archives: string[] = [join(work, 'mini.tar'), join(work, 'mini.tar.gz')]
    spawnSync('tar', ['-C', tree, '-cf', archives[0], '.'])
    spawnSync('tar', ['-C', tree, '-czf', archives[1], '.'])
    for (const [tool, ext] of [['xz', 'xz'], ['zstd', 'zst']]) {
      if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) continue
      const file = join(work, `mini.tar.${ext}`)
      spawnSync('sh', ['-c', `${tool} -c < "$1" > "$2"`, 'sh', archives[0], file])
      archives.push(file)
    }
    expect(archives.length, 'xz and zstd are part of Debian\'s base').to.equal(4)
    for (const base of [...archives, tree]) {
      const out = join(work, `out-${base.split('/').pop()}`)
      const r = cli(['build-rootfs', '-q', '--base', base, '-o', out, 'ls'])
      expect(r.status, `${base}: ${r.stderr}`).to.equal(0)
      expect(readlinkSync(join(out, 'bin', 'sh'))).to.equal('busybox')
      expect(statSync(join(out, 'etc', 'os-release')).mode & 0o777).to.equal(0o640)
      expect(statSync(join(out, 'etc', 'os-release')).ino, 'the hard link is kept').to.equal(statSync(join(out, 'etc', 'os-release.hard')).ino)
      expect(existsSync(join(out, 'usr', 'bin', 'ls'))).to.equal(true)
      if (isRoot) {
        expect(spawnSync('chroot', [out, '/bin/sh', '-c', 'cat /etc/os-release; /usr/bin/ls /etc'], {encoding: 'utf8'}).stdout).to.contain('ID=mini').and.to.contain('os-release.hard')
      }
    }
  })

  it('refuses hostile archives before writing anything, anywhere', async function () {
    const work = makeSharedTempDir()
    const cases: Array<[string, Parameters<typeof hostileTar>[1], string]> = [
      ['dotdot.tar', [{name: 'etc/ok', body: 'fine'}, {name: '../../escaped', body: 'evil'}], '".."'],
      ['absolute.tar', [{name: '/tmp-escape-abs', body: 'evil'}], 'absolute'],
      ['through-link.tar', [{name: 'etc', type: 'symlink', linkname: work}, {name: 'etc/escaped', body: 'evil'}], 'through the symlink'],
      ['hardlink.tar', [{name: 'etc/passwd-copy', type: 'link', linkname: '../../../etc/passwd'}], 'hard link'],
    ]
    const before = listing(work)
    for (const [name, members, reason] of cases) {
      const archive = join(work, name)
      await hostileTar(archive, members)
      const out = join(work, `out-${name}`)
      const r = cli(['build-rootfs', '--base', archive, '-o', out, 'true'])
      expect(r.status, name).to.equal(1)
      expect(r.stderr, name).to.contain(archive).and.to.contain(reason)
      expect(existsSync(out), `${name}: no output`).to.equal(false)
      expect(listing(work).filter((p) => !p.endsWith('.tar')), `${name}: nothing written beside it`).to.deep.equal(before)
      expect(existsSync(join(work, '..', 'escaped'))).to.equal(false)
    }
    // A device node: refused for a normal user (as root it would be created).
    const device = join(work, 'device.tar')
    await hostileTar(device, [{name: 'dev/sda', type: 'block-device', devmajor: 8, devminor: 0}])
    requireRootless(this)
    const full = asUser([process.execPath, binRun, 'build-rootfs', '--base', device, '-o', join(work, 'out-device'), '--no-skeleton'], true)
    const r = spawnSync(full[0], full.slice(1), {encoding: 'utf8', env: runEnv, cwd: '/'})
    expect(r.status, r.stderr).to.equal(1)
    expect(r.stderr).to.contain('device node')
    expect(existsSync(join(work, 'out-device'))).to.equal(false)
    expect(readFileSync(device).length).to.be.greaterThan(0)
    expect(lstatSync(work).isDirectory()).to.equal(true)
  })
  it('keeps absolute symlinks exactly as written: an Alpine-like mini root filesystem (bin/ls -> /bin/busybox)', function () {
    const work = makeTempDir()
    const tree = join(work, 'alpine')
    mkdirSync(join(tree, 'bin'), {recursive: true})
    mkdirSync(join(tree, 'usr/bin'), {recursive: true})
    mkdirSync(join(tree, 'etc'))
    copyFileSync('/bin/busybox', join(tree, 'bin/busybox'))
    chmodSync(join(tree, 'bin/busybox'), 0o755)
    for (const applet of ['sh', 'ls', 'cat']) symlinkSync('/bin/busybox', join(tree, 'bin', applet))
    symlinkSync('/bin/busybox', join(tree, 'usr/bin/env'))
    writeFileSync(join(tree, 'etc/os-release'), 'ID=alpine\n')
    const archive = join(work, 'alpine-minirootfs.tar.gz')
    expect(spawnSync('tar', ['-C', tree, '-czf', archive, '.']).status).to.equal(0)
    const out = join(work, 'out')
    const r = cli(['build-rootfs', '--base', archive, '-o', out, 'true'])
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stderr).to.not.match(/internal error|TAR_|\n\s+at /)
    expect(readlinkSync(join(out, 'bin/ls'))).to.equal('/bin/busybox')
    expect(readlinkSync(join(out, 'usr/bin/env'))).to.equal('/bin/busybox')
    expect(statSync(join(out, 'bin/busybox')).mode & 0o777).to.equal(0o755)
    if (isRoot) expect(spawnSync('chroot', [out, '/bin/sh', '-c', 'ls /etc && cat /etc/os-release'], {encoding: 'utf8'}).stdout).to.contain('os-release').and.to.contain('ID=alpine')
  })

  it('takes ns-tool\'s own export --format tar as a base, absolute links and hard links kept', function () {
    const work = makeTempDir()
    const first = join(work, 'first')
    expect(cli(['build-rootfs', '-q', '--busybox', '-o', first]).status).to.equal(0)
    symlinkSync('/bin/busybox', join(first, 'root/abs-link'))
    writeFileSync(join(first, 'root/note'), 'note\n')
    spawnSync('ln', [join(first, 'root/note'), join(first, 'root/note-hard')])
    const tarball = join(work, 'first.tar')
    const exported = cli(['export', first, '--format', 'tar', '-o', tarball])
    expect(exported.status, exported.stderr).to.equal(0)
    const out = join(work, 'second')
    const r = cli(['build-rootfs', '--base', tarball, '-o', out, 'true'])
    expect(r.status, r.stderr).to.equal(0)
    expect(readlinkSync(join(out, 'root/abs-link'))).to.equal('/bin/busybox')
    expect(statSync(join(out, 'root/note-hard')).ino).to.equal(statSync(join(out, 'root/note')).ino)
    expect(readlinkSync(join(out, 'bin'))).to.equal(readlinkSync(join(first, 'bin')))
    expect(existsSync(join(out, 'usr/bin/true'))).to.equal(true)
  })

  it('refuses a member written through an absolute symlink, and any archive it cannot read, in one line', async function () {
    const work = makeSharedTempDir()
    const through = join(work, 'through-absolute.tar')
    await hostileTar(through, [{name: 'etc', type: 'symlink', linkname: '/etc'}, {name: 'etc/ns-tool-escaped', body: 'evil'}])
    const garbage = join(work, 'garbage.tar.gz')
    writeFileSync(garbage, Buffer.concat([Buffer.from([0x1f, 0x8b, 8, 0]), Buffer.alloc(64, 0x41)]))
    const truncated = join(work, 'truncated.tar')
    await hostileTar(truncated, [{name: 'etc/big', body: 'x'.repeat(10_000)}])
    writeFileSync(truncated, readFileSync(truncated).subarray(0, 2048))
    for (const [archive, reason] of [[through, 'through the symlink etc'], [garbage, 'not a readable'], [truncated, 'not a readable']]) {
      const out = join(work, `out-${archive.split('/').pop()}`)
      const r = cli(['build-rootfs', '--base', archive, '-o', out, 'true'])
      expect(r.status, `${archive}: ${r.stderr}`).to.equal(1)
      expect(r.stderr).to.contain(archive).and.to.contain(reason)
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1)
      expect(r.stderr).to.not.match(/internal error|TAR_|\n\s+at /)
      expect(existsSync(out)).to.equal(false)
    }
    expect(existsSync('/etc/ns-tool-escaped')).to.equal(false)
  })
})
