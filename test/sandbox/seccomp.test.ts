// run's default seccomp filter, --seccomp unconfined|FILE and the bundle's filter, against a static
// probe that tries what a container should not reach (fixtures/run/kernel-probe.c). Oracles: the
// same probe on the host, runc (libseccomp compiling the same profile), podman with its own profile.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {requireStaticBusybox} from '../support/busybox.js'
import {cli, repoRoot} from '../support/cli.js'
import {compile, compile32} from '../support/fixtures.js'
import {isRoot, skipBecause, which} from '../support/skip.js'
import {makeSuiteTempDir, makeTempDir} from '../support/temp.js'
import {asUser, nsTool, requireRootless, runModes} from '../support/run.js'

type Outcome = Record<string, string>

// "NAME allowed|refused DETAIL" lines -> {NAME: "allowed ..."}.
function outcomes(stdout: string): Outcome {
  return Object.fromEntries(stdout.trim().split('\n').filter(Boolean).map((line) => {
    const [name, ...rest] = line.split(' ')
    return [name, rest.join(' ')]
  }))
}

const PROBED = ['add_key', 'keyctl', 'request_key', 'unshare(CLONE_NEWUSER)', 'clone(CLONE_NEWUSER)', 'clone3', 'bpf', 'perf_event_open', 'userfaultfd', 'kexec_load', 'io_uring_setup', 'x32:keyctl', 'int80:keyctl']

describe('the seccomp table', () => {
  it('is the one docs/run.md shows: every refused call and the capability that lifts it are listed there (or in docs/sandbox-hardening.md)', async () => {
    const {REFUSALS} = await import('../../src/sandbox/seccomp/table.js')
    const page = readFileSync(join(repoRoot, 'docs', 'run.md'), 'utf8')
    const hardening = readFileSync(join(repoRoot, 'docs', 'sandbox-hardening.md'), 'utf8')
    const section = page.slice(page.indexOf('### What the sandbox refuses'), page.indexOf('Architectures: on x86-64')) +
      hardening.slice(hardening.indexOf('## The seccomp filter on the i386 entry'), hardening.indexOf('i386 has two ways'))
    for (const row of REFUSALS.flatMap((group) => group.rows)) {
      const line = section.split('\n').find((l) => l.includes(row.syscalls[0]))
      expect(line, row.syscalls[0]).to.not.equal(undefined)
      for (const call of row.syscalls) expect(line, call).to.match(new RegExp(`\\b${call}\\b`))
      for (const cap of row.unlessCap ?? []) expect(section, `${row.syscalls[0]}: ${cap}`).to.contain(cap)
    }
  })
})

describe('run: the seccomp filter', function () {
  this.timeout(180_000)
  let shared = ''
  let box = ''
  // What the probe may do on the host as uid 65534, outside any sandbox.
  let host: Outcome = {}
  // The tree exported as an OCI bundle, for runc.
  let bundle = ''

  before(function () {
    if (!isRoot) skipBecause(this, 'these tests build their trees as root and switch to uid 65534 with setpriv')
    requireStaticBusybox(this)
    shared = makeSuiteTempDir('ns-tool-seccomp-')
    box = join(shared, 'box')
    const built = cli(['build-rootfs', '-q', '-o', box, '--busybox'])
    expect(built.status, built.stderr).to.equal(0)
    for (const [source, name] of [['run/kernel-probe.c', 'probe'], ['run/seccomp-args.c', 'seccomp-args']]) {
      compile({sources: [source], flags: ['-static', '-O2'], output: join(box, name)})
      chmodSync(join(box, name), 0o755)
    }
    bundle = join(shared, 'bundle')
    const exported = cli(['export', box, '--format', 'bundle', '-o', bundle])
    expect(exported.status, exported.stderr).to.equal(0)
    const argv = asUser([join(box, 'probe')], true)
    const onHost = spawnSync(argv[0], argv.slice(1), {encoding: 'utf8'})
    host = outcomes(onHost.stdout)
    expect(Object.keys(host), `the probe on the host: ${onHost.stdout}${onHost.stderr}`).to.deep.equal(PROBED)
  })

  // A job of the kinds a filter could break: pipelines and background jobs in bash; python with
  // threads (glibc tries clone3 first: ENOSYS must send it to clone), subprocesses, a process pool,
  // asyncio, C extensions. Its output on the host is the oracle.
  const job = [
    'seq 1 2000 | sort -rn | head -3 | tr "\\n" " "; echo',
    'sleep 0.1 & sleep 0.1 & wait; echo "jobs: $?"; (exit 3); echo "subshell: $?"',
    `/usr/bin/python3 -c '${[
      'import asyncio, ctypes, decimal, hashlib, json, sqlite3, ssl, subprocess, threading, concurrent.futures as cf',
      'out = []; t = threading.Thread(target=out.append, args=("thread",)); t.start(); t.join(); print(*out)',
      'print(subprocess.run(["/bin/bash", "-c", "echo $((6 * 7))"], capture_output=True, text=True).stdout.strip())',
      // Shut down before exit: a pool left to python's exit hook races it (EBADF, now and then).
      'pool = cf.ProcessPoolExecutor(2); print(sum(pool.map(abs, [-1, -2, -3]))); pool.shutdown()',
      'print(asyncio.run(asyncio.sleep(0, result="async")))',
      'db = sqlite3.connect(":memory:"); print(db.execute("select 40 + 2").fetchone()[0])',
      'print(hashlib.sha256(b"x").hexdigest()[:8], decimal.Decimal(1) / 8, json.dumps({"ok": True}), ssl.OPENSSL_VERSION.split()[0])',
    ].join('; ')}'`,
  ].join('\n')

  for (const {name, rootless} of runModes) {
    describe(name, () => {
      before(function () {
        if (rootless) requireRootless(this)
      })

      it('leaves ordinary work alone: bash pipelines and jobs, python threads, processes, asyncio', function () {
        const python = join(shared, 'python')
        if (!existsSync(python)) {
          const stdlib = spawnSync('/usr/bin/python3', ['-c', 'import sysconfig; print(sysconfig.get_path("stdlib"))'], {encoding: 'utf8'}).stdout.trim()
          const built = cli(['build-rootfs', '-q', '-o', python, '-f', stdlib, '/usr/bin/python3', 'bash', 'seq', 'sort', 'head', 'tr', 'sleep'])
          expect(built.status, built.stderr).to.equal(0)
        }
        const onHost = spawnSync('/bin/bash', ['-c', job], {encoding: 'utf8', env: {PATH: '/usr/bin:/bin'}})
        expect(onHost.status, onHost.stderr).to.equal(0)
        // HOME: run's is /root, which in a tree built by root is not uid 65534's; bash (its stdin a
        // socket) would complain reading ~/.bashrc there.
        const inside = nsTool(['run', '-e', 'HOME=/tmp', python, '/bin/bash', '-c', job], rootless)
        expect(inside.stderr).to.equal('')
        expect(inside.stdout).to.equal(onHost.stdout)
        expect(inside.stdout).to.contain('thread\n42\n6\nasync\n42')
      })

      it('refuses every probed call by default, through every entry point (x86-64, x32, int 0x80)', function () {
        const r = nsTool(['run', box, '/probe'], rootless)
        expect(r.status, r.stderr).to.equal(0)
        const seen = outcomes(r.stdout)
        expect(Object.keys(seen)).to.deep.equal(PROBED)
        for (const call of PROBED) expect(seen[call], call).to.match(/^refused /)
        // The filter's own answers: EPERM, ENOSYS where glibc falls back (clone3), death for x32.
        expect(seen.clone3).to.equal('refused ENOSYS')
        expect(seen['x32:keyctl']).to.equal('refused signal 31')
        expect(seen['int80:keyctl'], 'the i386 numbers are filtered too').to.equal('refused EPERM')
        const status = nsTool(['run', box, '/bin/grep', 'Seccomp:', '/proc/self/status'], rootless)
        expect(status.stdout).to.match(/^Seccomp:\s+2$/m)
      })

      it('--seccomp unconfined gives back every call the host allows an unprivileged process', function () {
        const seen = outcomes(nsTool(['run', '--seccomp', 'unconfined', box, '/probe'], rootless).stdout)
        const allowedOnHost = PROBED.filter((call) => host[call].startsWith('allowed'))
        expect(allowedOnHost, 'this host lets uid 65534 use the keyring, user namespaces, io_uring').to.include.members(['add_key', 'unshare(CLONE_NEWUSER)', 'clone3', 'int80:keyctl'])
        for (const call of allowedOnHost) expect(seen[call], call).to.equal(host[call])
        expect(nsTool(['run', '--seccomp', 'unconfined', box, '/bin/grep', 'Seccomp:', '/proc/self/status'], rootless).stdout).to.match(/^Seccomp:\s+0$/m)
      })

      it('--cap-add SYS_ADMIN lifts the refusals SYS_ADMIN grants anyway (mount, new namespaces), as docker does', function () {
        const script = 'mount -t tmpfs none /tmp && echo mounted; /probe keyctl "unshare(CLONE_NEWUSER)"'
        const lifted = nsTool(['run', '--cap-add', 'CAP_SYS_ADMIN', box, '/bin/sh', '-c', script], rootless)
        expect(lifted.stdout.trim().split('\n')).to.deep.equal(['mounted', 'keyctl refused EPERM', 'unshare(CLONE_NEWUSER) allowed'])
        const kept = nsTool(['run', box, '/bin/sh', '-c', script], rootless)
        expect(kept.stdout.trim().split('\n')).to.deep.equal(['keyctl refused EPERM', 'unshare(CLONE_NEWUSER) refused EPERM'])
      })
    })
  }

  // socketcall's family sits behind a pointer no filter can read: its socket call is refused with
  // ENOSYS on the i386 entry, which costs 32-bit glibc programs their sockets (glibc's socket()
  // goes through socketcall on i386, with no fallback); the direct i386 socket call is filtered by
  // family as on x86-64. Oracle: the same probe on the host.
  it('i386: socketcall cannot make a socket of a refused family (ENOSYS for every socketcall socket); socket(2) is filtered by family', function () {
    const probe = join(box, 'socket32')
    compile32(this, 'run/socket32.c', probe)
    chmodSync(probe, 0o755)
    const onHost = spawnSync(probe, {encoding: 'utf8'})
    expect(onHost.stdout, 'AF_VSOCK sockets can be made on this host').to.contain('socketcall:AF_VSOCK allowed\nsocketcall:AF_INET allowed\n')
    const r = nsTool(['run', box, '/socket32'], false)
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stdout).to.equal(['socketcall:AF_ALG refused ENOSYS', 'socketcall:AF_VSOCK refused ENOSYS', 'socketcall:AF_INET refused ENOSYS',
      'socket:AF_ALG refused EPERM', 'socket:AF_VSOCK refused EPERM', 'socket:AF_INET allowed', 'glibc:AF_INET refused ENOSYS', ''].join('\n'))
    const unconfined = nsTool(['run', '--seccomp', 'unconfined', box, '/socket32'], false)
    expect(unconfined.stdout).to.equal(onHost.stdout)
  })

  it('the API takes the same settings: seccomp, capDrop, memory (bytes), pidsLimit, cpus', function () {
    const api = (spec: object) => spawnSync(process.execPath, ['--input-type=module', '-e',
      `import {run} from ${JSON.stringify(join(repoRoot, 'dist/src/index.js'))}; try { process.exitCode = await run(${JSON.stringify(spec)}) } catch (e) { console.error(e.message); process.exitCode = e.exitCode }`], {encoding: 'utf8', env: {...process.env, NODE_EXTRA_CA_CERTS: ''}})
    const base = {rootfs: box, command: '/probe', args: ['keyctl'], pty: false}
    expect(api(base).stdout).to.equal('keyctl refused EPERM\n')
    expect(api({...base, seccomp: 'unconfined', memory: 64 * 2 ** 20, pidsLimit: 50, cpus: 1, capDrop: ['ALL']}).stdout).to.equal('keyctl allowed\n')
    const bad = api({...base, memory: '64m'})
    expect(bad.status).to.equal(2)
    expect(bad.stderr).to.match(/option memory must be a number/)
  })

  it('compiles a profile\'s argument comparisons as runc does (x86-64 and int 0x80, 64-bit values)', function () {
    const runc = which('runc')
    if (!runc) skipBecause(this, 'runc is not installed (the test bootstrap installs it as root)')
    // One harmless call per operator; each answers its own errno when its comparison holds.
    const value = 0x100000010
    const rules = [
      ['getppid', 0, 'SCMP_CMP_EQ'], ['getpgrp', 1, 'SCMP_CMP_NE'], ['getuid', 2, 'SCMP_CMP_LT'], ['geteuid', 3, 'SCMP_CMP_LE'],
      ['getgid', 4, 'SCMP_CMP_GE'], ['getegid', 0, 'SCMP_CMP_GT'], ['gettid', 1, 'SCMP_CMP_MASKED_EQ'],
    ].map(([call, index, op], i) => ({names: [call], action: 'SCMP_ACT_ERRNO', errnoRet: i + 1, args: [op === 'SCMP_CMP_MASKED_EQ' ? {index, value: 0xf000000f0, valueTwo: 0x1000000a0, op} : {index, value, op}]}))
    const profile = {defaultAction: 'SCMP_ACT_ALLOW', architectures: ['SCMP_ARCH_X86_64', 'SCMP_ARCH_X86'], syscalls: rules}
    const file = join(makeTempDir(), 'profile.json')
    writeFileSync(file, JSON.stringify(profile))
    const ours = nsTool(['run', '--seccomp', file, box, '/seccomp-args'], false)
    expect(ours.status, ours.stderr).to.equal(0)
    const theirs = runcRun(runc, bundle, ['/seccomp-args'], profile)
    expect(theirs.status, theirs.stderr).to.equal(0)
    expect(ours.stdout.split('\n')).to.have.length(7 * 12 * 2 + 1)
    expect(ours.stdout).to.equal(theirs.stdout)
    expect(ours.stdout).to.match(/getppid x86_64 arg0=0x100000010 EPERM/)
  })

  it('the OCI bundle export carries the same filter: runc refuses what run refuses', function () {
    const runc = which('runc')
    if (!runc) skipBecause(this, 'runc is not installed (the test bootstrap installs it as root)')
    const theirs = runcRun(runc, bundle, ['/probe'])
    expect(theirs.status, theirs.stderr).to.equal(0)
    expect(theirs.stdout).to.equal(nsTool(['run', box, '/probe'], false).stdout)
  })

  it('reads a Docker-format profile with conditional rules: podman\'s own gives what podman gives', function () {
    const podman = which('podman')
    const profile = '/usr/share/containers/seccomp.json'
    if (!podman || !existsSync(profile)) skipBecause(this, 'podman (and its seccomp.json) is not installed')
    // podman takes an oci: path only in lower case.
    const oci = join(tmpdir(), `ns-tool-podman-oci-${process.pid}`)
    const store = makeTempDir()
    try {
      const exported = cli(['export', box, '--format', 'oci', '-o', oci])
      expect(exported.status, exported.stderr).to.equal(0)
      podmanProbe(podman, oci, store, profile)
    } finally {
      rmSync(oci, {recursive: true, force: true})
    }
  })

  function podmanProbe(podman: string, oci: string, store: string, profile: string): void {
    const r = spawnSync(podman, ['--root', join(store, 'root'), '--runroot', join(store, 'run'), '--storage-driver', 'vfs', 'run', '--rm', '--runtime', 'runc', '--cgroup-manager', 'cgroupfs',
      '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '--security-opt', `seccomp=${profile}`, '--entrypoint', '/probe', `oci:${oci}`], {encoding: 'utf8', timeout: 120_000})
    expect(r.status, r.stderr).to.equal(0)
    const theirs = outcomes(r.stdout)
    const ours = outcomes(nsTool(['run', '--seccomp', profile, box, '/probe'], false).stdout)
    // x32 is the one deliberate difference: podman's profile filters it, run kills any x32 call.
    expect(ours['x32:keyctl']).to.equal('refused signal 31')
    delete ours['x32:keyctl']
    delete theirs['x32:keyctl']
    expect(ours).to.deep.equal(theirs)
    expect(ours.keyctl, 'podman\'s profile allows keyctl').to.equal('allowed')
  }

  it('rejects a profile it cannot compile with one line naming the key (exit 2)', function () {
    const dir = makeTempDir()
    const cases: Array<[string, RegExp]> = [
      ['{"defaultAction": "SCMP_ACT_NOTIFY"}', /\/defaultAction: one of SCMP_ACT_ALLOW/],
      ['{"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["keyctl"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 6, "value": 1, "op": "SCMP_CMP_EQ"}]}]}', /\/syscalls\/0\/args\/0\/index/],
      ['{"defaultAction": "SCMP_ACT_ALLOW", "listenerPath": "/run/agent.sock"}', /\/listenerPath: not supported/],
      ['{"defaultAction": "SCMP_ACT_ALLOW", "architectures": ["SCMP_ARCH_S390X"]}', /no architecture of this machine/],
      ['not json', /not valid JSON/],
    ]
    for (const [text, message] of cases) {
      const file = join(dir, 'profile.json')
      writeFileSync(file, text)
      const r = cli(['run', '--seccomp', file, box, '/bin/true'])
      expect(r.status, text).to.equal(2)
      expect(r.stderr, text).to.match(message)
      expect(r.stderr.trim().split('\n'), text).to.have.length(1)
    }
    expect(cli(['run', '--seccomp', join(dir, 'absent.json'), box, '/bin/true']).stderr).to.match(/cannot read it \(ENOENT\)/)
  })
})

// The bundle's command under runc, with its own seccomp profile or PROFILE; the bundle's config
// is put back afterwards.
function runcRun(runc: string, bundle: string, args: string[], profile?: object) {
  const file = join(bundle, 'config.json')
  const original = readFileSync(file, 'utf8')
  const config = JSON.parse(original)
  config.process.args = args
  if (profile) config.linux.seccomp = profile
  writeFileSync(file, JSON.stringify(config))
  const name = `ns-tool-seccomp-${process.pid}-${Date.now()}`
  try {
    const r = spawnSync(runc, ['run', '--bundle', bundle, name], {encoding: 'utf8', timeout: 60_000})
    return {status: r.status, stdout: String(r.stdout), stderr: String(r.stderr)}
  } finally {
    spawnSync(runc, ['delete', '--force', name])
    writeFileSync(file, original)
  }
}
