import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {repoRoot} from '../support/cli.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

// A consumer's script that knows ns-tool only by its package name, as `npm install ns-tool` gives it.
const CONSUMER = `
import {build, exportRootfs, plan, resolve, run, verify, NsToolError} from 'ns-tool'

const output = process.argv[2]
const closure = await resolve(['ls'])
const planned = await plan(['bash', 'ls'], {output})
const built = await build(['bash', 'ls'], {output, layout: 'flat'})
const checked = await verify(output)
let refused
try {
  await build(['no-such-program-anywhere'], {output})
} catch (error) {
  refused = {isNsToolError: error instanceof NsToolError, exitCode: error.exitCode, message: error.message}
}
// The command's own exit status comes back; its output goes to our stdout (none here).
const status = await run({rootfs: output, command: '/bin/bash', args: ['-c', 'test -x /bin/ls && exit 7']})
const exported = await exportRootfs(output, {format: 'tar', output: output + '.tar'})
console.log(JSON.stringify({
  exportedEntries: exported.entries,
  status,
  closureFiles: closure.files.map((file) => file.path),
  plannedPaths: planned.entries.map((entry) => entry.path),
  builtLayout: built.layout,
  copied: built.stats.copied,
  verify: checked,
  refused,
}))
`

describe('public API (import from "ns-tool")', function () {
  it('builds a rootfs through the package API alone, runs a program in it with run(), and it runs under chroot too', function () {
    if (!existsSync(join(repoRoot, 'dist', 'src', 'index.js'))) skipBecause(this, 'dist/ is not built (run node scripts/setup.js)')
    const consumer = makeTempDir('ns-tool-api-')
    mkdirSync(join(consumer, 'node_modules'))
    symlinkSync(repoRoot, join(consumer, 'node_modules', 'ns-tool'))
    writeFileSync(join(consumer, 'consumer.mjs'), CONSUMER)
    const output = join(consumer, 'rootfs')

    const r = spawnSync(process.execPath, ['consumer.mjs', output], {cwd: consumer, encoding: 'utf8', env: {...process.env, NODE_EXTRA_CA_CERTS: ''}})
    expect(r.status, r.stderr).to.equal(0)
    const report = JSON.parse(r.stdout)
    expect(report.closureFiles).to.include('/lib64/ld-linux-x86-64.so.2')
    expect(report.plannedPaths).to.include('/usr/bin/ls')
    expect(report.builtLayout).to.equal('flat')
    expect(report.copied).to.be.greaterThan(2)
    expect(report.verify).to.deep.include({ok: true, problems: []})
    expect(report.refused).to.deep.include({isNsToolError: true, exitCode: 1})
    expect(report.refused.message).to.contain('no-such-program-anywhere')
    // run() through the package: bash ran inside the rootfs (root or rootless) and its status came back.
    expect(report.status).to.equal(7)
    expect(report.exportedEntries, "exportRootfs wrote the tree as a tarball").to.be.greaterThan(10)
    // The failed build left the rootfs as it was.
    expect(existsSync(join(output, 'bin', 'bash'))).to.equal(true)

    if (!isRoot) skipBecause(this, 'running the built program needs chroot (root); the build and verify above were checked')
    const ran = spawnSync('chroot', [output, '/bin/bash', '-c', 'ls /bin'], {encoding: 'utf8'})
    expect(ran.status, ran.stderr).to.equal(0)
    expect(ran.stdout.split('\n')).to.include.members(['bash', 'ls'])
  })

  it('declares its types next to its code', function () {
    const declarations = join(repoRoot, 'dist', 'src', 'index.d.ts')
    if (!existsSync(declarations)) skipBecause(this, 'dist/ is not built (run node scripts/setup.js)')
    const r = spawnSync(process.execPath, ['-e', `const p = require(${JSON.stringify(join(repoRoot, 'package.json'))}); console.log(p.exports['.'].types)`], {encoding: 'utf8'})
    expect(existsSync(join(repoRoot, r.stdout.trim()))).to.equal(true)
  })

  it('refuses an option it does not know (a typo is not silently ignored), and one of the wrong shape; takes an AbortSignal', function () {
    if (!existsSync(join(repoRoot, 'dist', 'src', 'index.js'))) skipBecause(this, 'dist/ is not built (run node scripts/setup.js)')
    const consumer = makeTempDir('ns-tool-api-')
    mkdirSync(join(consumer, 'node_modules'))
    symlinkSync(repoRoot, join(consumer, 'node_modules', 'ns-tool'))
    writeFileSync(join(consumer, 'typo.mjs'), `
import {build, plan, run, exportRootfs, resolve} from 'ns-tool'
const out = process.argv[2]
const outcome = async (call) => { try { await call(); return 'accepted' } catch (error) { return {exitCode: error.exitCode, message: error.message} } }
console.log(JSON.stringify({
  layot: await outcome(() => build(['true'], {output: out, layot: 'flat'})),
  layout: await outcome(() => plan(['true'], {output: out, layout: 'sideways'})),
  files: await outcome(() => plan(['true'], {output: out, files: '/etc/hostname'})),
  hostnme: await outcome(() => run({rootfs: out, hostnme: 'x'})),
  format: await outcome(() => exportRootfs(out, {output: out + '.tar'})),
  sysrot: await outcome(() => resolve(['true'], {sysrot: '/'})),
  signal: await outcome(() => build(['true'], {output: out, signal: 'SIGTERM'})),
  aborted: await outcome(() => build(['true'], {output: out, signal: AbortSignal.abort('SIGTERM')})),
}))
`)
    const out = join(consumer, 'rootfs')
    const r = spawnSync(process.execPath, ['typo.mjs', out], {cwd: consumer, encoding: 'utf8', env: {...process.env, NODE_EXTRA_CA_CERTS: ''}})
    expect(r.status, r.stderr).to.equal(0)
    const report = JSON.parse(r.stdout)
    expect(report.layot).to.deep.equal({exitCode: 2, message: 'build(): unknown option layot; did you mean layout?'})
    expect(report.layout).to.deep.equal({exitCode: 2, message: 'plan(): option layout must be one of host, flat (got "sideways")'})
    expect(report.files).to.deep.equal({exitCode: 2, message: 'plan(): option files must be an array of strings (got "/etc/hostname")'})
    expect(report.hostnme).to.deep.equal({exitCode: 2, message: 'run(): unknown option hostnme; did you mean hostname?'})
    expect(report.format).to.deep.equal({exitCode: 2, message: 'exportRootfs(): option format is required'})
    expect(report.sysrot).to.deep.equal({exitCode: 2, message: 'resolve(): unknown option sysrot; did you mean sysroot?'})
    expect(report.signal).to.deep.equal({exitCode: 2, message: 'build(): option signal must be an AbortSignal (got "SIGTERM")'})
    // An AbortSignal is build()'s own way to stop: aborted, it leaves the output as it was.
    expect(report.aborted).to.deep.equal({exitCode: 143, message: `interrupted; ${out} is unchanged`})
    expect(existsSync(out)).to.equal(false)
  })
})
