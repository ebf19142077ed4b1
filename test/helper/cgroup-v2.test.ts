// The helper's cgroup v2 path (src/helper/cgroup.c) on a cgroup v2 host. This test host is
// hybrid (pids, memory and cpu are bound to v1 hierarchies, so no cgroup2 mount here can have
// them): the helper's own code (all of it, main() renamed) is linked into a driver (fixtures/helper/cgroup-v2-host.c) that
// takes every path it names below a directory shaped like a v2 host's /sys/fs/cgroup and
// /proc/self/cgroup, and answers statfs of /sys/fs/cgroup with cgroup2's magic.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdirSync, readdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {compile, haveCompiler, helperFlags, helperSources} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

const WRAPPED = ['statfs', 'openat', 'open', 'fopen', 'access', 'opendir', 'mkdirat', 'unlinkat']

// A v2 host's cgroup tree: systemd's root (every controller for its children), user-0.slice
// (the ones a delegated user gets), and the session scope this process is in (none).
function v2Host(root: string, delegated: string): void {
  const cgroup = join(root, 'sys/fs/cgroup')
  const levels: Array<[string, string]> = [['', 'cpu io memory pids'], ['user.slice', 'cpu io memory pids'], ['user.slice/user-0.slice', delegated], ['user.slice/user-0.slice/session-1.scope', '']]
  for (const [dir, children] of levels) {
    mkdirSync(join(cgroup, dir), {recursive: true})
    writeFileSync(join(cgroup, dir, 'cgroup.controllers'), 'cpuset cpu io memory hugetlb pids rdma misc\n')
    writeFileSync(join(cgroup, dir, 'cgroup.subtree_control'), children ? `${children}\n` : '')
    writeFileSync(join(cgroup, dir, 'cgroup.procs'), '')
  }
  mkdirSync(join(root, 'proc/self'), {recursive: true})
  writeFileSync(join(root, 'proc/self/cgroup'), '0::/user.slice/user-0.slice/session-1.scope\n')
}

describe('ns-tool-helper: cgroup v2 (a simulated v2 host)', function () {
  this.timeout(60_000)
  let driver = ''

  before(function () {
    if (!haveCompiler()) skipBecause(this, 'no C compiler to link the helper\'s cgroup code into the driver')
    if (!isRoot) skipBecause(this, 'the driver takes a cgroup namespace (cgroup_enter), which needs root')
    driver = compile({sources: ['helper/cgroup-v2-host.c', ...helperSources()], flags: [...helperFlags(), ...WRAPPED.map((call) => `-Wl,--wrap=${call}`)]})
  })

  const runDriver = (root: string) => spawnSync(driver, [root, String(64 * 2 ** 20), '50', '1.5'], {encoding: 'utf8'})

  it('makes the run\'s cgroup in the nearest cgroup whose children get the controllers, writes the v2 limits, joins and removes it', function () {
    const root = makeTempDir()
    v2Host(root, 'memory pids cpu')
    const r = runDriver(root)
    expect(r.stderr).to.equal('')
    expect(r.status).to.equal(0)
    const lines = r.stdout.trim().split('\n')
    expect(lines[0]).to.match(/^cgroup \/sys\/fs\/cgroup\/user\.slice\/user-0\.slice\/ns-tool-\d+$/)
    expect(lines.slice(1)).to.deep.equal(['memory.max=67108864', 'memory.swap.max=0', 'pids.max=50', 'cpu.max=150000 100000', 'cgroup.procs=0', 'removed'])
    expect(readdirSync(join(root, 'sys/fs/cgroup/user.slice/user-0.slice')).filter((name) => name.startsWith('ns-tool-'))).to.deep.equal([])
  })

  it('says which controller no cgroup enables for its children (exit 125), not a v1 error', function () {
    const root = makeTempDir()
    v2Host(root, 'memory')
    // Only memory is enabled anywhere: --pids-limit has no place.
    writeFileSync(join(root, 'sys/fs/cgroup/user.slice/cgroup.subtree_control'), 'memory\n')
    writeFileSync(join(root, 'sys/fs/cgroup/cgroup.subtree_control'), 'memory\n')
    const r = runDriver(root)
    expect(r.status).to.equal(125)
    expect(r.stderr.trim()).to.equal('ns-tool-helper: cannot apply --pids-limit: no cgroup at or above this one has the controller enabled for its children (cgroup.subtree_control)')
  })
})
