// run --net private, -p/--publish, --dns, --add-host, --host-loopback: a server inside a tree built
// by ns-tool answers real clients on the host (curl over TCP, a UDP datagram) through slirp4netns;
// from inside, the host's 127.0.0.1 is reached only with --host-loopback, and --net none reaches
// nothing; the forwarder and its ports are gone when the run ends, also after SIGKILL of ns-tool.
// Every packet stays on 127.0.0.1 or inside the sandbox's own namespace (slirp4netns's 10.0.2.x);
// the nameservers written into files are never queried.
import {expect} from 'chai'
import {spawnSync, type ChildProcess} from 'node:child_process'
import {createSocket} from 'node:dgram'
import {chmodSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createServer as createHttpServer} from 'node:http'
import {createServer, type AddressInfo, type Server} from 'node:net'
import {join} from 'node:path'
import {hostResolvers, parsePublish} from '../../src/sandbox/network.js'
import {repoRoot} from '../support/cli.js'
import {compile} from '../support/fixtures.js'
import {alive, descendants, nsTool, requireRootless, runEnv, runModes, spawnNsTool} from '../support/run.js'
import {isRoot, skipBecause, which} from '../support/skip.js'
import {runcRun} from '../support/runc.js'
import {makeSharedTempDir, makeSuiteTempDir} from '../support/temp.js'
import {treeListing} from '../support/tree.js'

async function until(condition: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 200; i++) {
    if (await condition()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  expect(await condition(), what).to.equal(true)
}

// Whether 127.0.0.1:PORT can be bound again, as the forwarder bound it.
function portFree(port: number, protocol: 'tcp' | 'udp'): Promise<boolean> {
  return new Promise((resolve) => {
    if (protocol === 'udp') {
      const socket = createSocket('udp4')
      socket.once('error', () => resolve(false))
      socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)))
      return
    }
    const server = createServer()
    server.once('error', () => resolve(false))
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
  })
}

// A free port of 127.0.0.1, for a HOSTPORT given explicitly.
async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as AddressInfo
  await new Promise((resolve) => server.close(resolve))
  return port
}

function curl(port: number): string {
  const r = spawnSync('curl', ['-s', '--max-time', '5', `http://127.0.0.1:${port}/`], {encoding: 'utf8'})
  return r.status === 0 ? r.stdout : ''
}

// One datagram to 127.0.0.1:PORT, and the answer (resent until one comes: UDP may drop).
async function udpEcho(port: number, text: string): Promise<string> {
  const socket = createSocket('udp4')
  try {
    const answer = new Promise<string>((resolve) => socket.on('message', (message) => resolve(String(message))))
    for (let i = 0; i < 100; i++) {
      socket.send(text, port, '127.0.0.1')
      const got = await Promise.race([answer, new Promise<undefined>((resolve) => setTimeout(() => resolve(undefined), 100))])
      if (got !== undefined) return got
    }
    return ''
  } finally {
    socket.close()
  }
}

// A run in the background, with what it says on stderr.
function start(args: string[], rootless: boolean): {child: ChildProcess; stderr: () => string; exited: Promise<number | null>} {
  const child = spawnNsTool(['run', ...args], rootless, {stdio: ['ignore', 'pipe', 'pipe']})
  let stderr = ''
  child.stderr!.on('data', (chunk) => (stderr += String(chunk)))
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)))
  return {child, stderr: () => stderr, exited}
}

// A run to its end, without blocking this process (its host listener must answer meanwhile).
async function finish(args: string[], rootless: boolean): Promise<{status: number | null; stdout: string; stderr: string}> {
  const run = start(args, rootless)
  let stdout = ''
  run.child.stdout!.on('data', (chunk) => (stdout += String(chunk)))
  const status = await run.exited
  return {status, stdout, stderr: run.stderr()}
}

// The port ns-tool picked for a HOSTPORT 0.
async function publishedPort(run: {stderr: () => string}): Promise<number> {
  await until(() => /published on 127\.0\.0\.1:\d+/.test(run.stderr()), `a line naming the port picked: ${run.stderr()}`)
  return Number(/published on 127\.0\.0\.1:(\d+)/.exec(run.stderr())![1])
}

function forwarders(pid: number): number[] {
  return descendants(pid).filter((p) => {
    try {
      return readFileSync(`/proc/${p}/comm`, 'utf8').trim() === 'slirp4netns'
    } catch {
      return false
    }
  })
}

// A host listener on 127.0.0.1 that counts its connections and answers HTTP.
async function hostListener(): Promise<{server: Server; port: number; connections: () => number}> {
  let count = 0
  const server = createHttpServer((_request, response) => response.end('hello from the host\n'))
  server.on('connection', () => count++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {server, port: (server.address() as AddressInfo).port, connections: () => count}
}

let box = ''

// A busybox tree built by ns-tool, with two web roots and the UDP echo server.
function networkTree(ctx: Mocha.Context): string {
  if (!isRoot) skipBecause(ctx, 'these tests build their tree as root and switch to uid 65534 with setpriv')
  if (!which('busybox')) skipBecause(ctx, 'busybox-static is not installed (the test bootstrap installs it as root)')
  if (!which('slirp4netns')) skipBecause(ctx, 'slirp4netns is not installed (the test bootstrap installs it as root)')
  if (!which('curl')) skipBecause(ctx, 'curl is not installed (the test bootstrap installs it as root)')
  if (!statSync('/dev/net/tun', {throwIfNoEntry: false})) skipBecause(ctx, '/dev/net/tun is missing (no tun module, or a container without the device): slirp4netns needs it')
  if (box) return box
  const dir = join(makeSuiteTempDir('ns-tool-net-'), 'box')
  const built = nsTool(['build-rootfs', '-q', '-o', dir, '--busybox'], false)
  if (built.status !== 0) throw new Error(`build-rootfs --busybox failed: ${built.stderr}`)
  for (const [web, text] of [['www1', 'first sandbox\n'], ['www2', 'second sandbox\n']]) {
    mkdirSync(join(dir, web))
    writeFileSync(join(dir, web, 'index.html'), text)
  }
  compile({sources: ['run/udp-echo.c'], flags: ['-static', '-O2'], output: join(dir, 'udp-echo')})
  chmodSync(join(dir, 'udp-echo'), 0o755)
  box = dir
  return dir
}

for (const mode of runModes) {
  describe(`run: networking (${mode.name})`, function () {
    this.timeout(120_000)
    let tunMode: number | undefined

    before(function () {
      networkTree(this)
      if (!mode.rootless) return
      requireRootless(this)
      // slirp4netns opens /dev/net/tun as the caller. Without udev (this machine) it is 0600: the
      // rootless tests widen it to 0666, as udev makes it, for their own duration only.
      const tun = statSync('/dev/net/tun')
      if ((tun.mode & 0o006) !== 0o006) {
        tunMode = tun.mode & 0o7777
        process.stdout.write(`      note: /dev/net/tun widened from ${tunMode.toString(8)} to 0666 for the rootless tests, restored after them\n`)
        chmodSync('/dev/net/tun', 0o666)
      }
    })

    after(() => {
      if (tunMode !== undefined) chmodSync('/dev/net/tun', tunMode)
    })

    it('two sandboxes publish at once (TCP on a HOSTPORT 0 it prints, TCP and UDP on given ones); the forwarder and the ports are gone when the run ends, and after SIGKILL of ns-tool', async function () {
      const [web2, udp] = [await freePort(), await freePort()]
      const first = start(['-p', '0:80', box, '/bin/busybox', 'httpd', '-f', '-p', '80', '-h', '/www1'], mode.rootless)
      // UDP to a client on 127.0.0.1 needs --host-loopback: slirp4netns answers it through 10.0.2.2.
      const second = start(['--host-loopback', '-p', `127.0.0.1:${web2}:8080`, '-p', `${udp}:7/udp`, box, '/bin/sh', '-c', '/bin/busybox httpd -p 8080 -h /www2 && exec /udp-echo 7'], mode.rootless)
      try {
        const web1 = await publishedPort(first)
        expect(first.stderr()).to.equal(`ns-tool-helper: --publish 127.0.0.1:0:80/tcp: published on 127.0.0.1:${web1}/tcp\n`)
        await until(() => curl(web1) !== '' && curl(web2) !== '', 'both servers answer')
        expect(curl(web1)).to.equal('first sandbox\n')
        expect(curl(web2)).to.equal('second sandbox\n')
        expect(await udpEcho(udp, 'ping')).to.equal('echo:ping')
        const [slirp1, slirp2] = [forwarders(first.child.pid!), forwarders(second.child.pid!)]
        expect(slirp1, 'one forwarder each').to.have.length(1)
        expect(slirp2).to.have.length(1)
        if (mode.rootless) expect(statSync(`/proc/${slirp1[0]}`).uid, 'the forwarder runs as the caller').to.equal(65534)

        // The command ends (SIGTERM reaches httpd): by the time ns-tool exits, both are gone.
        first.child.kill('SIGTERM')
        expect(await first.exited).to.equal(143)
        expect(alive(slirp1[0]), 'the forwarder ended with the run').to.equal(false)
        expect(await portFree(web1, 'tcp'), `port ${web1} is free`).to.equal(true)
        expect(curl(web2), 'the other sandbox still answers').to.equal('second sandbox\n')

        second.child.kill('SIGKILL')
        await second.exited
        await until(() => !alive(slirp2[0]), 'the forwarder ends after SIGKILL of ns-tool')
        await until(async () => (await portFree(web2, 'tcp')) && (await portFree(udp, 'udp')), 'the ports are free after SIGKILL of ns-tool')
      } finally {
        first.child.kill('SIGKILL')
        second.child.kill('SIGKILL')
      }
    })

    it('from inside: the host\'s 127.0.0.1 at 10.0.2.2, by an --add-host name, with --host-loopback only; --net none reaches nothing', async function () {
      const host = await hostListener()
      try {
        // --dns 127.0.0.1: should the name not be found in /etc/hosts, no query leaves the sandbox.
        const reached = await finish(['--host-loopback', '--add-host', 'the-host:10.0.2.2', '--dns', '127.0.0.1', box, '/bin/wget', '-q', '-O', '-', `http://the-host:${host.port}/`], mode.rootless)
        expect(reached.status, reached.stderr).to.equal(0)
        expect(reached.stdout).to.equal('hello from the host\n')
        expect(host.connections()).to.equal(1)
        const probe = `/bin/nc -w 2 10.0.2.2 ${host.port} </dev/null; echo "via 10.0.2.2: $?"; /bin/nc -w 2 127.0.0.1 ${host.port} </dev/null; echo "via 127.0.0.1: $?"`
        for (const net of ['private', 'none']) {
          const refused = await finish(['--net', net, box, '/bin/sh', '-c', probe], mode.rootless)
          expect(refused.status, refused.stderr).to.equal(0)
          expect(refused.stdout, `--net ${net}`).to.match(/^via 10\.0\.2\.2: [1-9]\d*\nvia 127\.0\.0\.1: [1-9]\d*\n$/)
        }
        expect(host.connections(), 'no other connection reached the host').to.equal(1)
      } finally {
        host.server.close()
      }
    })
  })
}

describe('run: the network\'s files and bad input', function () {
  this.timeout(120_000)

  before(function () {
    networkTree(this)
  })

  it('/etc/resolv.conf and /etc/hosts are mounted for the run, never written into ROOTFS; a read-only root works', function () {
    const before = treeListing(box)
    const show = ['/bin/sh', '-c', 'cat /etc/resolv.conf; echo ---; cat /etc/hosts; echo ---; grep -c " /etc/resolv.conf " /proc/mounts']
    const r = nsTool(['run', '--read-only', '--net', 'private', '--add-host', 'db:10.0.2.50', '--hostname', 'web', box, ...show], false)
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('nameserver 10.0.2.3\n---\n10.0.2.50\tdb\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n10.0.2.100\tweb\n---\n1\n')
    const own = nsTool(['run', '--net', 'none', '--dns', '127.0.0.9', '--dns', '::1', box, '/bin/cat', '/etc/resolv.conf'], false)
    expect(own.stdout).to.equal('nameserver 127.0.0.9\nnameserver ::1\n')
    // The default mounts nothing: the tree's own (empty) file.
    expect(nsTool(['run', box, '/bin/cat', '/etc/resolv.conf', '/etc/hosts'], false).stdout).to.equal(readFileSync(join(box, 'etc/hosts'), 'utf8'))
    expect(treeListing(box), 'ROOTFS unchanged').to.deep.equal(before)
    expect(readFileSync(join(box, 'etc/resolv.conf'), 'utf8')).to.equal('')
  })

  it('a tree without /etc/resolv.conf: one warning naming the fix, and nothing created in it', function () {
    const bare = join(makeSharedTempDir(), 'bare')
    spawnSync('cp', ['-a', box, bare])
    rmSync(join(bare, 'etc/resolv.conf'))
    const r = nsTool(['run', '--net', 'host', bare, '/bin/cat', '/etc/hosts'], false)
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stderr).to.equal(`ns-tool-helper: warning: ${bare} has no regular file /etc/resolv.conf to mount the run's over (it is missing or a link): create an empty one (touch ${bare}/etc/resolv.conf)\n`)
    expect(r.stdout).to.equal(`${readFileSync('/etc/hosts', 'utf8')}127.0.1.1\tns-tool\n`)
    expect(statSync(join(bare, 'etc/resolv.conf'), {throwIfNoEntry: false})).to.equal(undefined)
  })

  it('the same from a --config file and from the library\'s run()', function () {
    const dir = makeSharedTempDir()
    writeFileSync(join(dir, 'run.yaml'), 'net: private\ndns: [127.0.0.7]\nadd-host: ["cache:10.0.2.60"]\n')
    const r = nsTool(['run', '--config', join(dir, 'run.yaml'), box, '/bin/sh', '-c', 'cat /etc/resolv.conf; head -1 /etc/hosts; ip -4 route | head -1'], false)
    expect(r.status, r.stderr).to.equal(0)
    expect(r.stdout).to.equal('nameserver 127.0.0.7\n10.0.2.60\tcache\ndefault via 10.0.2.2 dev tap0 \n')
    const spec = {rootfs: box, command: '/bin/sh', args: ['-c', 'grep -qx "nameserver 127.0.0.8" /etc/resolv.conf && ip link show tap0 >/dev/null'], publish: ['0:80'], dns: ['127.0.0.8']}
    const api = spawnSync(process.execPath, ['--input-type=module', '-e', `import {run} from ${JSON.stringify(join(repoRoot, 'dist/src/index.js'))}; process.exitCode = await run(${JSON.stringify(spec)})`], {encoding: 'utf8', env: runEnv})
    expect(api.status, api.stderr).to.equal(0)
    expect(api.stderr).to.match(/^ns-tool-helper: --publish 127\.0\.0\.1:0:80\/tcp: published on 127\.0\.0\.1:\d+\/tcp\n$/)
  })

  it('bad input: one line and exit 2 (a malformed or out-of-range -p, -p with --net host) or 125 (a port in use, no forwarder), before COMMAND starts', async function () {
    const refuse = (args: string[], status: number, line: RegExp, env: NodeJS.ProcessEnv = runEnv) => {
      const r = nsTool(['run', ...args, box, '/bin/echo', 'started'], false, {env})
      expect(r.status, r.stderr).to.equal(status)
      expect(r.stdout, 'COMMAND did not start').to.equal('')
      expect(r.stderr).to.match(line)
      expect(r.stderr.trim().split('\n'), r.stderr).to.have.length(1)
    }
    refuse(['-p', '80:80/sctp'], 2, /^ns-tool run: --publish 80:80\/sctp: expected \[IP:\]HOSTPORT:PORT\[\/tcp\|\/udp\]/)
    refuse(['-p', '1.2.3.400:80:80'], 2, /^ns-tool run: --publish 1\.2\.3\.400:80:80: expected/)
    refuse(['-p', '70000:80'], 2, /^ns-tool run: --publish 70000:80: HOSTPORT 70000 is out of range \(0-65535\)\n$/)
    refuse(['-p', '8080:0'], 2, /^ns-tool run: --publish 8080:0: PORT 0 is out of range \(1-65535\)\n$/)
    refuse(['--net', 'host', '-p', '8080:80'], 2, /^ns-tool run: --publish needs the sandbox's own network, reached through slirp4netns: use --net private \(or leave --net out\), not --net host\n$/)
    refuse(['--net', 'none', '--host-loopback'], 2, /^ns-tool run: --host-loopback needs .* not --net none\n$/)
    refuse(['-p', '8080:80', '-p', '127.0.0.1:8080:81'], 2, /^ns-tool run: --publish: 127\.0\.0\.1:8080\/tcp is published twice; give each -p its own HOSTPORT \(or 0 for a free one\)\n$/)
    refuse(['--add-host', 'nocolon'], 2, /^ns-tool run: --add-host nocolon: expected NAME:IP/)
    const taken = await hostListener()
    try {
      refuse(['-p', `${taken.port}:80`], 125, new RegExp(`^ns-tool-helper: --publish 127\\.0\\.0\\.1:${taken.port}:80/tcp: port ${taken.port}/tcp of 127\\.0\\.0\\.1 is already in use on the host: choose another HOSTPORT, or 0 for a free one\\n$`))
    } finally {
      taken.server.close()
    }
    refuse(['--net', 'private'], 125, /^ns-tool-helper: --net private needs slirp4netns, which is not on PATH: install it \(Debian\/Ubuntu: apt-get install slirp4netns/, {...runEnv, PATH: makeSharedTempDir()})
  })

  it('rootless, with a /dev/net/tun the caller may not open: one line naming the device and what a host needs, exit 125', function () {
    requireRootless(this)
    const tun = statSync('/dev/net/tun')
    // The mode of a host without udev, for this check only; the device's own mode is restored.
    chmodSync('/dev/net/tun', 0o600)
    try {
      const r = nsTool(['run', '--net', 'private', box, '/bin/echo', 'started'], true)
      expect(r.status).to.equal(125)
      expect(r.stdout).to.equal('')
      expect(r.stderr).to.equal('ns-tool-helper: --net private: /dev/net/tun is not readable and writable by uid 65534 (mode 0600): slirp4netns opens it as you; make it mode 0666, as udev does on desktop and server distributions (chmod 0666 /dev/net/tun)\n')
    } finally {
      chmodSync('/dev/net/tun', tun.mode & 0o7777)
    }
  })

  it('export --format bundle: runc runs it with the hostname, resolvers and hosts asked for, bound from the bundle; --net host leaves out the network namespace', function () {
    const runc = which('runc')
    if (!runc) skipBecause(this, 'runc is not installed (the test bootstrap installs it as root)')
    const dir = makeSharedTempDir()
    const bundle = join(dir, 'bundle')
    const r = nsTool(['export', box, '--format', 'bundle', '-o', bundle, '--entrypoint', '/bin/sh', '--hostname', 'web', '--dns', '127.0.0.9', '--add-host', 'db:10.1.1.1'], false)
    expect(r.status, r.stderr).to.equal(0)
    const config = JSON.parse(readFileSync(join(bundle, 'config.json'), 'utf8'))
    expect(config.hostname).to.equal('web')
    expect(config.linux.namespaces.map((ns: {type: string}) => ns.type)).to.include('network')
    const run = runcRun(runc, bundle, (edited) => (edited.process.args = ['/bin/sh', '-c', 'hostname; cat /etc/resolv.conf /etc/hosts']))
    expect(run.status, run.stderr).to.equal(0)
    expect(run.stdout).to.equal('web\nnameserver 127.0.0.9\n10.1.1.1\tdb\n127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n127.0.1.1\tweb\n')
    const host = nsTool(['export', box, '--format', 'bundle', '-o', join(dir, 'host'), '--entrypoint', '/bin/sh', '--net', 'host'], false)
    expect(host.status, host.stderr).to.equal(0)
    expect(JSON.parse(readFileSync(join(dir, 'host', 'config.json'), 'utf8')).linux.namespaces.map((ns: {type: string}) => ns.type)).to.not.include('network')
    expect(readFileSync(join(dir, 'host', 'hosts'), 'utf8')).to.equal(`${readFileSync('/etc/hosts', 'utf8')}127.0.1.1\tns-tool\n`)
    const image = nsTool(['export', box, '--format', 'oci', '-o', join(dir, 'image'), '--dns', '127.0.0.9'], false)
    expect(image.status).to.equal(2)
    expect(image.stderr).to.equal("ns-tool export: --dns applies to --format bundle only (an image's network is its runtime's)\n")
  })
})

// Pure: needs neither root nor the forwarder.
describe('run: the network\'s parsing', function () {
  it('parses docker\'s -p forms; a host whose resolver is a loopback stub gets the servers it forwards to', function () {
    expect(parsePublish('8080:80')).to.deep.equal({ip: '127.0.0.1', hostPort: 8080, port: 80, protocol: 'tcp'})
    expect(parsePublish('0.0.0.0:53:5353/udp')).to.deep.equal({ip: '0.0.0.0', hostPort: 53, port: 5353, protocol: 'udp'})
    expect(parsePublish('127.0.0.1::80')).to.deep.equal({ip: '127.0.0.1', hostPort: 0, port: 80, protocol: 'tcp'})
    expect(parsePublish('80')).to.deep.equal({ip: '127.0.0.1', hostPort: 0, port: 80, protocol: 'tcp'})
    const dir = makeSharedTempDir()
    writeFileSync(join(dir, 'stub'), 'nameserver 127.0.0.53\noptions edns0 trust-ad\nsearch example.test\n')
    writeFileSync(join(dir, 'upstream'), 'nameserver 192.0.2.1\nnameserver 192.0.2.2\n')
    writeFileSync(join(dir, 'plain'), 'nameserver 192.0.2.9\n')
    expect(hostResolvers(join(dir, 'stub'), join(dir, 'upstream'))).to.deep.equal({nameservers: ['192.0.2.1', '192.0.2.2'], others: ['options edns0 trust-ad', 'search example.test']})
    expect(hostResolvers(join(dir, 'plain'), join(dir, 'upstream')).nameservers).to.deep.equal(['192.0.2.9'])
    expect(hostResolvers(join(dir, 'stub'), join(dir, 'missing')).nameservers, 'no upstream known: the stub stays').to.deep.equal(['127.0.0.53'])
  })
})
