// run --cap-add / --cap-drop over Docker's default set, and the one definition of that set and of
// the default PATH that the C helper and the OCI bundle share (issue 11). The oracle for the
// numbers is the kernel's own header, linux/capability.h, not ns-tool's table.
import {expect} from 'chai'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {requireStaticBusybox} from '../support/busybox.js'
import {cli} from '../support/cli.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeSuiteTempDir, makeTempDir} from '../support/temp.js'
import {nsTool, requireRootless, runModes} from '../support/run.js'

const HEADER = '/usr/include/linux/capability.h'

// CAP_NAME -> number, from the kernel's header.
function kernelCapabilities(): Map<string, number> {
  const caps = new Map<string, number>()
  for (const match of readFileSync(HEADER, 'utf8').matchAll(/^#define (CAP_[A-Z_]+)\s+(\d+)\s*$/gm)) caps.set(match[1], Number(match[2]))
  return caps
}

function mask(names: string[]): bigint {
  const numbers = kernelCapabilities()
  return names.reduce((m, name) => m | (1n << BigInt(numbers.get(name) ?? Number.NaN)), 0n)
}

// CapBnd, CapEff of COMMAND, as bitmasks.
function capabilities(args: string[], box: string, rootless: boolean): {bounding: bigint; effective: bigint} {
  const r = nsTool(['run', ...args, box, '/bin/grep', '-E', '^Cap(Bnd|Eff)', '/proc/self/status'], rootless)
  expect(r.status, r.stderr).to.equal(0)
  const value = (key: string) => BigInt(`0x${new RegExp(`^${key}:\\s+([0-9a-f]+)$`, 'm').exec(r.stdout)![1]}`)
  return {bounding: value('CapBnd'), effective: value('CapEff')}
}

describe('run: capabilities', function () {
  this.timeout(120_000)
  let box = ''
  let bundle: {caps: string[]; path: string; seccomp: unknown}

  before(function () {
    if (!isRoot) skipBecause(this, 'these tests build their trees as root and switch to uid 65534 with setpriv')
    requireStaticBusybox(this)
    if (!existsSync(HEADER)) skipBecause(this, `${HEADER} is missing (linux-libc-dev)`)
    box = join(makeSuiteTempDir('ns-tool-caps-'), 'box')
    const built = cli(['build-rootfs', '-q', '-o', box, '--busybox'])
    expect(built.status, built.stderr).to.equal(0)
    const out = join(makeTempDir(), 'bundle')
    const exported = cli(['export', box, '--format', 'bundle', '-o', out])
    expect(exported.status, exported.stderr).to.equal(0)
    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'))
    bundle = {caps: config.process.capabilities.bounding, path: config.process.env.find((e: string) => e.startsWith('PATH=')).slice(5), seccomp: config.linux.seccomp}
  })

  it('the helper and the OCI bundle have one default set (Docker\'s 14) and one default PATH', function () {
    expect(bundle.caps).to.have.length(14)
    const {bounding, effective} = capabilities([], box, false)
    expect(bounding.toString(16)).to.equal(mask(bundle.caps).toString(16))
    expect(effective).to.equal(bounding)
    const path = nsTool(['run', box, '/bin/sh', '-c', 'echo "$PATH"'], false)
    expect(path.stdout.trim()).to.equal(bundle.path)
  })

  for (const {name, rootless} of runModes) {
    describe(name, () => {
      before(function () {
        if (rootless) requireRootless(this)
      })

      it('--cap-drop and --cap-add change the set, spelled as docker spells them', function () {
        const base = mask(bundle.caps)
        const bit = (names: string[]) => mask(names)
        expect(capabilities(['--cap-drop', 'ALL'], box, rootless)).to.deep.equal({bounding: 0n, effective: 0n})
        expect(capabilities(['--cap-drop', 'all', '--cap-add', 'kill'], box, rootless).effective).to.equal(bit(['CAP_KILL']))
        for (const spelling of ['NET_ADMIN', 'CAP_NET_ADMIN', 'net_admin', 'Cap_Net_Admin']) {
          expect(capabilities(['--cap-add', spelling], box, rootless).effective, spelling).to.equal(base | bit(['CAP_NET_ADMIN']))
        }
        expect(capabilities(['--cap-drop', 'chown', '--cap-drop', 'CAP_KILL'], box, rootless).bounding).to.equal(base & ~bit(['CAP_CHOWN', 'CAP_KILL']))
        // Added wins over dropped, as in docker.
        expect(capabilities(['--cap-drop', 'SYS_PTRACE', '--cap-add', 'SYS_PTRACE'], box, rootless).effective).to.equal(base | bit(['CAP_SYS_PTRACE']))
        // Another uid has none, whatever the set; its bounding set is the set.
        expect(capabilities(['--user', '1000', '--cap-add', 'NET_ADMIN'], box, rootless)).to.deep.equal({bounding: base | bit(['CAP_NET_ADMIN']), effective: 0n})
      })

      it('a capability does what it says: NET_ADMIN brings lo down, dropping CHOWN stops chown', function () {
        const down = 'ip link set lo down && echo down'
        expect(nsTool(['run', box, '/bin/sh', '-c', down], rootless).stdout).to.equal('')
        expect(nsTool(['run', '--cap-add', 'NET_ADMIN', box, '/bin/sh', '-c', down], rootless).stdout).to.equal('down\n')
        const chown = 'touch /tmp/f && chown 1:1 /tmp/f && echo chowned'
        expect(nsTool(['run', '--ephemeral', box, '/bin/sh', '-c', chown], rootless).stdout).to.equal(rootless ? '' : 'chowned\n')
        expect(nsTool(['run', '--ephemeral', '--cap-drop', 'CHOWN', box, '/bin/sh', '-c', chown], rootless).stdout).to.equal('')
      })
    })
  }

  it('refuses an unknown capability and --cap-add ALL with one line (exit 2)', function () {
    for (const [flag, value, message] of [['--cap-add', 'SYS_EVERYTHING', /no such capability/], ['--cap-drop', 'CAP_NOPE', /no such capability/], ['--cap-add', 'ALL', /not offered .*no --privileged/]] as const) {
      const r = cli(['run', flag, value, box, '/bin/true'])
      expect(r.status, value).to.equal(2)
      expect(r.stderr, value).to.match(message)
      expect(r.stderr.trim().split('\n')).to.have.length(1)
    }
  })
})
