// export: the same bytes twice; an OCI layout that skopeo and umoci accept with the rootfs's files;
// a bundle that runc runs.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {readFileSync, utimesSync} from 'node:fs'
import {join} from 'node:path'
import {requireStaticBusybox} from '../support/busybox.js'
import {cli} from '../support/cli.js'
import {treeListing} from '../support/tree.js'
import {isRoot, skipBecause, which} from '../support/skip.js'
import {runcRun} from '../support/runc.js'
import {makeTempDir} from '../support/temp.js'

describe('export', function () {
  this.timeout(300_000)
  let work: string
  let rootfs: string

  beforeEach(function () {
    requireStaticBusybox(this)
    work = makeTempDir()
    rootfs = join(work, 'rootfs')
    const r = cli(['build-rootfs', '-q', '-o', rootfs, '--busybox'])
    expect(r.status, r.stderr).to.equal(0)
  })

  it('--format tar gives the same bytes twice, even after the files\' mtimes change', function () {
    const a = join(work, 'a.tar')
    const b = join(work, 'b.tar')
    expect(cli(['export', rootfs, '--format', 'tar', '-o', a]).status).to.equal(0)
    utimesSync(join(rootfs, 'etc/hostname'), new Date(), new Date())
    expect(cli(['export', rootfs, '--format', 'tar', '-o', b]).status).to.equal(0)
    expect(readFileSync(a).equals(readFileSync(b))).to.equal(true)
    const list = spawnSync('tar', ['tvf', a], {encoding: 'utf8'}).stdout
    expect(list).to.contain('bin/busybox').and.to.not.contain('var/lib/ns-tool')
    expect(list).to.match(/ 0\/0 /)
    // An existing output is not replaced without --force (a refusal: bad usage, 2).
    const again = cli(['export', rootfs, '--format', 'tar', '-o', a])
    expect(again.status).to.equal(2)
    expect(again.stderr).to.contain('--force')
  })

  it('--format oci: skopeo inspects it, umoci unpacks the same files', function () {
    const skopeo = which('skopeo')
    const umoci = which('umoci')
    if (!skopeo || !umoci) skipBecause(this, 'skopeo or umoci is not installed (the test bootstrap installs them as root)')
    const image = join(work, 'image')
    const r = cli(['export', rootfs, '--format', 'oci', '-o', image, '--tag', 'latest', '--entrypoint', '/bin/ls'])
    expect(r.status, r.stderr).to.equal(0)
    const inspect = spawnSync(skopeo, ['inspect', `oci:${image}:latest`], {encoding: 'utf8'})
    expect(inspect.status, inspect.stderr).to.equal(0)
    expect(JSON.parse(inspect.stdout).Architecture).to.be.a('string')
    const config = spawnSync(skopeo, ['inspect', '--config', `oci:${image}:latest`], {encoding: 'utf8'})
    expect(JSON.parse(config.stdout).config.Entrypoint).to.deep.equal(['/bin/ls'])
    const unpacked = join(work, 'unpacked')
    const unpack = spawnSync(umoci, ['unpack', ...(isRoot ? [] : ['--rootless']), '--image', `${image}:latest`, unpacked], {encoding: 'utf8'})
    expect(unpack.status, unpack.stderr).to.equal(0)
    expect(treeListing(join(unpacked, 'rootfs'))).to.deep.equal(treeListing(rootfs))
  })

  it('--format bundle: runc runs its command', function () {
    const runc = which('runc')
    if (!runc) skipBecause(this, 'runc is not installed (the test bootstrap installs it as root)')
    if (!isRoot) skipBecause(this, 'runc needs root here')
    const bundle = join(work, 'bundle')
    const r = cli(['export', rootfs, '--format', 'bundle', '-o', bundle, '--entrypoint', '/bin/hostname'])
    expect(r.status, r.stderr).to.equal(0)
    const run = runcRun(runc, bundle)
    expect(run.status, run.stderr).to.equal(0)
    expect(run.stdout.trim()).to.equal('ns-tool')
  })
})
