// The closure is a fixpoint (docs/data.md): whatever enters a tree built from a name is closed by
// the rules `verify` checks, data files whose needs this host cannot meet are left out or kept
// with one warning, and a dlopen'ed module's libraries are matched against what is loaded first.
// Each case is a defect of real host programs, built through the library API and verified.
import {expect} from 'chai'
import {copyFileSync, existsSync, lstatSync, mkdirSync, readlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {build, resolve, verify} from '../../src/index.js'
import {problemLine} from '../../src/verify/index.js'
import {cli} from '../support/cli.js'
import {skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

// Builds PROGRAMS as `build-rootfs` does with its defaults, the warnings kept.
async function buildTree(programs: string[]): Promise<{output: string; warnings: string[]}> {
  const output = join(makeTempDir(), 'rootfs')
  const warnings: string[] = []
  await build(programs, {output, copyMode: 'hardlink', warn: (line) => warnings.push(line)})
  return {output, warnings}
}

async function expectVerifies(output: string): Promise<void> {
  const checked = await verify(output)
  expect(checked.problems.map(problemLine)).to.deep.equal([])
}

function needs(ctx: Mocha.Context, path: string): void {
  if (!existsSync(path)) skipBecause(ctx, `${path} is not installed on this host`)
}

describe('data: the closure is a fixpoint, and build and verify agree', function () {
  this.timeout(300_000)

  it("node builds though a file of its package (corepack's .ps1 shim) needs pwsh, which the host lacks: one warning names it", async function () {
    const shim = '/usr/lib/node_modules/corepack/shims/corepack.ps1'
    needs(this, shim)
    const {output, warnings} = await buildTree(['/usr/bin/node'])
    const about = warnings.filter((line) => line.includes(shim))
    expect(about).to.have.length(1)
    expect(about[0]).to.match(/pwsh/).and.to.match(/package \S+/)
    await expectVerifies(output)
    // The manifest records it, with why; verify does not check it, and says how many it left.
    const {readManifest} = await import('../../src/rootfs/write/manifest.js')
    expect(readManifest(output)?.notClosed?.find((file) => file.path === shim)?.reason).to.match(/not closed: pwsh/)
    expect((await verify(output)).notClosed).to.be.greaterThan(0)
  })

  it('a --file directory holding a script whose interpreter the host lacks: kept as it is, one warning, not closed, and the tree verifies', async function () {
    const dir = join(makeTempDir(), 'app')
    mkdirSync(dir)
    writeFileSync(join(dir, 'tool.ps1'), '#!/nowhere/pwsh\nWrite-Host hi\n', {mode: 0o755})
    writeFileSync(join(dir, 'run.sh'), '#!/bin/sh\necho hi\n', {mode: 0o755})
    const output = join(makeTempDir(), 'rootfs')
    const warnings: string[] = []
    await build(['/bin/true'], {output, files: [dir], warn: (line) => warnings.push(line)})
    expect(warnings.filter((line) => line.includes(join(dir, 'tool.ps1')))).to.have.length(1)
    expect(existsSync(join(output, dir, 'tool.ps1')), 'kept as it is').to.equal(true)
    // The script that can run gets its interpreter.
    expect(existsSync(join(output, 'bin', 'sh'))).to.equal(true)
    await expectVerifies(output)
  })

  it('systemctl builds though its package ships a dangling link (/etc/modules-load.d/modules.conf): left out, with one warning naming it', async function () {
    const link = '/etc/modules-load.d/modules.conf'
    needs(this, '/usr/bin/systemctl')
    if (!lstatSync(link, {throwIfNoEntry: false})?.isSymbolicLink() || existsSync(link)) skipBecause(this, `${link} is not a dangling link on this host`)
    const {output, warnings} = await buildTree(['systemctl'])
    const about = warnings.filter((line) => line.includes(link))
    expect(about).to.have.length(1)
    expect(about[0]).to.include(readlinkSync(link)).and.to.match(/package systemd/)
    expect(lstatSync(join(output, link), {throwIfNoEntry: false})).to.equal(undefined)
    await expectVerifies(output)
    // A rebuild that reuses the plan says it again.
    const again: string[] = []
    await build(['systemctl'], {output, copyMode: 'hardlink', warn: (line) => again.push(line)})
    expect(again.filter((line) => line.includes(link))).to.deep.equal(about)
  })

  it("deps /usr/bin/java: the JDK's modules find libjvm.so, which the java launcher loads first", async function () {
    needs(this, '/usr/bin/java')
    const {resolveWithData} = await import('../../src/data/index.js')
    const {closure} = await resolveWithData(['/usr/bin/java'], {}, {})
    expect(closure.missing.map((missing) => `${missing.soname} needed by ${missing.neededBy}`)).to.deep.equal([])
    const jvm = closure.files.find((file) => file.path.endsWith('/lib/server/libjvm.so'))
    expect(jvm, 'libjvm.so in the closure').to.not.equal(undefined)
    // The plain ELF closure does not need it: the launcher dlopens it.
    expect((await resolve(['/usr/bin/java'])).files.some((file) => file.path.endsWith('/libjvm.so'))).to.equal(false)
    // A tree of java alone verifies, and the JVM starts in it.
    const {output} = await buildTree(['/usr/bin/java'])
    await expectVerifies(output)
    const started = cli(['run', output, '--', '/usr/bin/java', '-version'], {timeout: 120_000})
    expect(started.status, started.stderr).to.equal(0)
    expect(started.stderr).to.match(/^openjdk version "\d+/m)
  })

  it("a named script's #!/usr/bin/env NAME finds NAME where the tree will run it (run's PATH), not through the caller's shims", function () {
    const work = makeTempDir()
    const shims = join(work, 'shims')
    mkdirSync(shims)
    // A version manager's shim for bash, first on the caller's PATH.
    writeFileSync(join(shims, 'bash'), '#!/bin/sh\nexec /usr/bin/bash "$@"\n', {mode: 0o755})
    const script = join(work, 'hello')
    writeFileSync(script, '#!/usr/bin/env bash\necho "hello from $BASH_VERSION"\n', {mode: 0o755})
    const output = join(work, 'rootfs')
    const built = cli(['build-rootfs', '-q', '-o', output, script], {env: {PATH: `${shims}:/usr/bin:/bin`}})
    expect(built.status, built.stderr).to.equal(0)
    expect(existsSync(join(output, shims, 'bash')), 'the shim is not in the tree').to.equal(false)
    const checked = cli(['verify', output])
    expect(checked.status, checked.stdout + checked.stderr).to.equal(0)
  })

  it('a script given with --file gets its interpreter, as the tree runs it; a --file lands only where it was asked for', async function () {
    const work = makeTempDir()
    const script = join(work, 'run')
    writeFileSync(script, '#!/usr/bin/env bash\necho "hello from $BASH_VERSION"\n', {mode: 0o755})
    const program = join(work, 'true')
    copyFileSync('/usr/bin/true', program)
    const output = join(work, 'rootfs')
    await build([], {output, copyMode: 'hardlink', files: [`${script}:/app/run`, `${program}:/app/true`]})
    expect(existsSync(join(output, '/usr/bin/bash')), 'bash is in the tree').to.equal(true)
    // Each is where it was asked for, not also at its source's path.
    expect([script, program].filter((path) => existsSync(join(output, path)))).to.deep.equal([])
    await expectVerifies(output)
  })

  for (const [programs, why] of [
    [['/usr/bin/python3'], 'the standard library modules with a #! line'],
    [['/usr/bin/apt'], 'bash, brought as data, with the data rules of its own'],
    [['/usr/bin/ar'], 'the other programs of binutils, brought by links of its package, with their libraries'],
    [['/usr/bin/apropos'], 'perl, run by a script of man-db, with the data rules of its own'],
  ] as const) {
    it(`a tree of ${programs.join(' ')} verifies (${why})`, async function () {
      needs(this, programs[0])
      const {output} = await buildTree([...programs])
      await expectVerifies(output)
    })
  }
})
