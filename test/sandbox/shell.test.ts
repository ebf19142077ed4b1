// With no COMMAND, `run ROOTFS` starts the tree's /bin/sh, else the first shell it holds (and says
// which), else refuses with one line; an exported image's default command is the same choice.
// The README's first example (`build-rootfs bash ls ps`, then `run rootfs`) works as written.
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {requireStaticBusybox} from '../support/busybox.js'
import {cli} from '../support/cli.js'
import {nsTool, requireRootless, runModes} from '../support/run.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeSuiteTempDir, makeTempDir} from '../support/temp.js'

describe('run and export: the default shell', function () {
  this.timeout(180_000)
  let shared = ''

  before(function () {
    if (!isRoot) skipBecause(this, 'these tests build their trees as root and switch to uid 65534 with setpriv')
    shared = makeSuiteTempDir('ns-tool-shell-')
    for (const [name, programs] of [['rootfs', ['bash', 'ls', 'ps']], ['lsonly', ['ls']]] as const) {
      const r = cli(['build-rootfs', '-q', '-o', join(shared, name), ...programs])
      expect(r.status, r.stderr).to.equal(0)
    }
  })

  for (const {name, rootless} of runModes) {
    it(`${name}: the README's first example: build-rootfs bash ls ps, then run rootfs starts bash and says so`, function () {
      if (rootless) requireRootless(this)
      const r = nsTool(['run', 'rootfs'], rootless, {cwd: shared, input: 'echo "hi from $BASH_VERSION"; ls /usr/bin; exit 3\n'})
      expect(r.status, r.stderr).to.equal(3)
      expect(r.stdout).to.match(/^hi from 5\./).and.to.contain('\nls\n')
      expect(r.stderr).to.equal('ns-tool run: rootfs has no /bin/sh; starting /usr/bin/bash\n')
    })
  }

  it('a tree with no shell: run refuses with one line naming what to give, exit 127', function () {
    const r = nsTool(['run', join(shared, 'lsonly')], false)
    expect(r.status).to.equal(127)
    expect(r.stderr).to.equal(`ns-tool run: ${join(shared, 'lsonly')} holds no shell (no /bin/sh, bash, zsh, ash, dash, ksh, mksh, yash): give COMMAND, a program of the tree\n`)
  })

  it('a tree with /bin/sh starts it without a word', function () {
    requireStaticBusybox(this)
    const box = join(shared, 'box')
    expect(cli(['build-rootfs', '-q', '-o', box, '--busybox']).status).to.equal(0)
    const r = nsTool(['run', box], false, {input: 'readlink /proc/$$/exe\n'})
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stdout).to.match(/^\/(usr\/)?bin\/busybox\n$/)
    expect(r.stderr).to.equal('')
  })

  it("export: the image's and the bundle's default command is the same shell; without one, the image has none and the bundle asks for --entrypoint", function () {
    const work = makeTempDir()
    const image = join(work, 'image')
    const oci = cli(['export', join(shared, 'rootfs'), '--format', 'oci', '-q', '-o', image])
    expect(oci.status, oci.stderr).to.equal(0)
    const index = JSON.parse(readFileSync(join(image, 'index.json'), 'utf8'))
    const blob = (digest: string) => JSON.parse(readFileSync(join(image, 'blobs', 'sha256', digest.slice(7)), 'utf8'))
    const manifest = blob(index.manifests[0].digest)
    expect(blob(manifest.config.digest).config.Entrypoint).to.deep.equal(['/usr/bin/bash'])
    const bundle = join(work, 'bundle')
    expect(cli(['export', join(shared, 'rootfs'), '--format', 'bundle', '-q', '-o', bundle]).status).to.equal(0)
    expect(JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8')).process.args).to.deep.equal(['/usr/bin/bash'])

    const bare = join(work, 'bare')
    expect(cli(['export', join(shared, 'lsonly'), '--format', 'oci', '-q', '-o', bare]).status).to.equal(0)
    const bareIndex = JSON.parse(readFileSync(join(bare, 'index.json'), 'utf8'))
    const bareConfig = JSON.parse(readFileSync(join(bare, 'blobs', 'sha256', JSON.parse(readFileSync(join(bare, 'blobs', 'sha256', bareIndex.manifests[0].digest.slice(7)), 'utf8')).config.digest.slice(7)), 'utf8'))
    expect(bareConfig.config).to.not.have.property('Entrypoint')
    const none = cli(['export', join(shared, 'lsonly'), '--format', 'bundle', '-o', join(work, 'none')])
    expect(none.status).to.equal(2)
    expect(none.stderr.trim().split('\n')).to.have.length(1)
    expect(none.stderr).to.contain('--entrypoint')
    expect(readdirSync(work).sort()).to.deep.equal(['bare', 'bundle', 'image'])
  })
})
