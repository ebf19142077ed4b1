// run --memory, --pids-limit, --cpus: the limits hold (a fork loop stops, an allocator is
// OOM-killed with 137 and a notice, a spinner is throttled), and the run's cgroup is gone after
// the run, also when ns-tool or the helper is SIGKILLed. Runaway work: fixtures/run/limits.c.
import {expect} from 'chai'
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, existsSync, readdirSync, readFileSync} from 'node:fs'
import {dirname, join, resolve} from 'node:path'
import {requireStaticBusybox} from '../support/busybox.js'
import {binRun, cli} from '../support/cli.js'
import {compile} from '../support/fixtures.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeSuiteTempDir} from '../support/temp.js'
import {asUser, nsTool, requireRootless, runEnv} from '../support/run.js'

// The directories a run's cgroups are made in: this process's own cgroup in each hierarchy that
// has one of the three controllers (ns-tool and its helper inherit it).
function cgroupParents(): string[] {
  const own = new Map<string, string>()
  for (const line of readFileSync('/proc/self/cgroup', 'utf8').trim().split('\n')) {
    const [, controllers, path] = line.split(':')
    own.set(controllers === '' ? 'cgroup2' : controllers, path)
  }
  const parents: string[] = []
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').trim().split('\n')) {
    const [fields, after] = line.split(' - ')
    const [type, , options] = after.split(' ')
    const point = fields.split(' ')[4]
    const key = type === 'cgroup2' ? 'cgroup2' : [...own.keys()].find((k) => k.split(',').some((c) => ['memory', 'pids', 'cpu'].includes(c) && options.split(',').includes(c)))
    if ((type === 'cgroup' || type === 'cgroup2') && key && own.has(key)) parents.push(join(point, own.get(key)!))
  }
  return parents
}

function leftovers(): string[] {
  return cgroupParents().flatMap((dir) => (existsSync(dir) ? readdirSync(dir).filter((n) => n.startsWith('ns-tool-')).map((n) => join(dir, n)) : []))
}

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 50))
  expect(condition(), what).to.equal(true)
}

// Where the v1 hierarchy with CONTROLLER is mounted.
function mountOf(controller: string): string {
  const line = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.includes(' - cgroup ') && l.split(' - ')[1].split(' ')[2].split(',').includes(controller))!
  return line.split(' ')[4]
}

// Whether uid 65534, started in this process's cgroup v2 (as the rootless runs are), may write a
// cgroup at or above it whose children get the memory controller: what the README calls delegated.
// The kernel answers whether it may write (test -w as uid 65534).
function memoryDelegatedToNobody(top: string): boolean {
  const own = /^0::(\/.*)$/m.exec(readFileSync('/proc/self/cgroup', 'utf8'))?.[1] ?? '/'
  for (let dir = resolve(top, `.${own}`); ; dir = dirname(dir)) {
    const enabled = readFileSync(join(dir, 'cgroup.subtree_control'), 'utf8').split(/\s+/).includes('memory')
    const [command, ...args] = asUser(['test', '-w', dir, '-a', '-w', join(dir, 'cgroup.procs')], true)
    if (enabled && spawnSync(command, args).status === 0) return true
    if (dir === top) return false
  }
}

describe('run: resource limits', function () {
  this.timeout(120_000)
  let box = ''
  let v1 = false
  // cgroup v2 with the memory controller: whether uid 65534 has it delegated.
  let delegated = false

  before(function () {
    if (!isRoot) skipBecause(this, 'these tests build their trees as root and switch to uid 65534 with setpriv')
    requireStaticBusybox(this)
    box = join(makeSuiteTempDir('ns-tool-limits-'), 'box')
    const built = cli(['build-rootfs', '-q', '-o', box, '--busybox'])
    expect(built.status, built.stderr).to.equal(0)
    compile({sources: ['run/limits.c'], flags: ['-static', '-O2'], output: join(box, 'limits')})
    chmodSync(join(box, 'limits'), 0o755)
    const unified = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').find((l) => l.includes(' - cgroup2 '))
    const controllers = unified ? readFileSync(join(unified.split(' ')[4], 'cgroup.controllers'), 'utf8') : ''
    v1 = !controllers.split(/\s+/).includes('memory')
    delegated = !v1 && memoryDelegatedToNobody(unified!.split(' ')[4])
  })

  afterEach(() => expect(leftovers(), 'cgroups left behind').to.deep.equal([]))

  it('--pids-limit bounds a fork loop (PID 1 counts: 20 allows 19 more)', function () {
    const r = nsTool(['run', '--pids-limit', '20', box, '/limits', 'forks', '100'], false)
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('forked 19\n')
    expect(nsTool(['run', box, '/limits', 'forks', '100'], false).stdout).to.equal('forked 100\n')
  })

  it('--memory: an allocator past the limit is OOM-killed, exit 137 with one line; one under it is not', function () {
    const killed = nsTool(['run', '--memory', '32m', box, '/limits', 'alloc', '256'], false)
    expect(killed.status).to.equal(137)
    expect(killed.stdout).to.equal('')
    expect(killed.stderr).to.match(/^ns-tool-helper: out of memory: the OOM killer ended 1 process of the sandbox \(--memory 32 MiB\)\n$/)
    const fits = nsTool(['run', '--memory', '32m', box, '/limits', 'alloc', '8'], false)
    expect(fits.status, fits.stderr).to.equal(0)
    expect(fits.stdout).to.equal('allocated 8\n')
    expect(fits.stderr).to.equal('')
    // Under --init the reaper survives and reports COMMAND's death.
    expect(nsTool(['run', '--init', '--memory', '32m', box, '/limits', 'alloc', '256'], false).status).to.equal(137)
  })

  it('--cpus throttles a spinner; SIGKILL of ns-tool still removes the run\'s cgroups', async function () {
    const child = spawn(process.execPath, [binRun, 'run', '--cpus', '0.5', '--memory', '64m', '--pids-limit', '50', box, '/limits', 'spin'], {env: runEnv, cwd: '/'})
    try {
      await new Promise<void>((resolve) => child.stdout.on('data', (chunk) => String(chunk).includes('spinning') && resolve()))
      const made = leftovers()
      expect(made, 'one cgroup per hierarchy').to.have.length(v1 ? 3 : 1)
      const cpu = v1 ? made.find((dir) => dir.startsWith(mountOf('cpu') + '/'))! : made[0]
      expect(readFileSync(join(cpu, 'cgroup.procs'), 'utf8').trim(), 'the spinner is in it').to.not.equal('')
      if (v1) expect(readFileSync(join(cpu, 'cpu.cfs_quota_us'), 'utf8').trim()).to.equal('50000')
      else expect(readFileSync(join(cpu, 'cpu.max'), 'utf8').trim()).to.equal('50000 100000')
      await until(() => /nr_throttled [1-9]/.test(readFileSync(join(cpu, 'cpu.stat'), 'utf8')), 'the spinner is throttled')
      child.kill('SIGKILL')
      await until(() => leftovers().length === 0, 'the cgroups are removed after SIGKILL of ns-tool')
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('a helper SIGKILLed itself leaves its cgroup; the next run with limits sweeps it', async function () {
    const child = spawn(process.execPath, [binRun, 'run', '--pids-limit', '50', box, '/limits', 'spin'], {env: runEnv, cwd: '/'})
    try {
      await new Promise<void>((resolve) => child.stdout.on('data', (chunk) => String(chunk).includes('spinning') && resolve()))
      const helper = Number(readFileSync(`/proc/${child.pid}/task/${child.pid}/children`, 'utf8').trim().split(' ')[0])
      expect(readFileSync(`/proc/${helper}/comm`, 'utf8').trim()).to.equal('ns-tool-helper')
      const left = leftovers()
      process.kill(helper, 'SIGKILL')
      await until(() => left.every((dir) => readFileSync(join(dir, 'cgroup.procs'), 'utf8').trim() === ''), 'the sandbox died with its helper')
      expect(leftovers()).to.deep.equal(left)
      expect(nsTool(['run', '--pids-limit', '10', box, '/bin/true'], false).status).to.equal(0)
      expect(leftovers()).to.deep.equal([])
    } finally {
      child.kill('SIGKILL')
    }
  })

  it('rootless: a limit is applied in a delegated cgroup v2, else refused in one line (exit 125)', function () {
    requireRootless(this)
    const r = nsTool(['run', '--memory', '64m', box, '/bin/true'], true)
    if (delegated) {
      expect(r.status, r.stderr).to.equal(0)
    } else if (!v1) {
      expect(r.status).to.equal(125)
      expect(r.stderr).to.match(/^ns-tool-helper: cannot apply --memory: no cgroup v2 delegated to uid 65534 has the memory controller/)
    } else {
      expect(r.status).to.equal(125)
      expect(r.stderr).to.equal('ns-tool-helper: cannot apply --memory: the memory controller is on cgroup v1 here, which is never delegated to unprivileged users (uid 65534); run as root, or on a cgroup v2 host\n')
    }
  })

  it('rejects malformed limits with one line (exit 2)', function () {
    for (const args of [['--memory', '12q'], ['--memory', '1k'], ['--pids-limit', '0'], ['--pids-limit', '2.5'], ['--cpus', 'half'], ['--cpus', '4096']]) {
      const r = cli(['run', ...args, box, '/bin/true'])
      expect(r.status, args.join(' ')).to.equal(2)
      expect(r.stderr.trim().split('\n'), args.join(' ')).to.have.length(1)
      expect(r.stderr).to.contain(`${args[0]} ${args[1]}`)
    }
  })
})
