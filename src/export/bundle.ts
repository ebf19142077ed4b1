// export --format bundle: an OCI runtime bundle, config.json (what runc's `spec` makes, without a
// terminal) and a copy of the tree in rootfs/, which runc and crun run as is.
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {ROOT_PATH} from '../loader/program.js'
import {MANIFEST_DIRS} from '../manifest-path.js'
import {ociCapabilities} from '../sandbox/capabilities.js'
import {walk} from './tree.js'

export interface BundleOptions {
  entrypoint: string
  net?: 'none' | 'host'
  hostname?: string
  dns?: string[]
  addHost?: string[]
}

export async function writeBundle(rootfs: string, dir: string, options: BundleOptions): Promise<number> {
  mkdirSync(dir, {recursive: true})
  const {execFileSync} = await import('node:child_process')
  // cp -a keeps links, modes and owners; hard links where the filesystem allows would share inodes
  // with the source tree, which runc may write to.
  execFileSync('cp', ['-a', '--', rootfs, join(dir, 'rootfs')])
  for (const manifestDir of MANIFEST_DIRS) rmSync(join(dir, 'rootfs', manifestDir), {recursive: true, force: true})
  // The same capabilities, PATH and seccomp filter as `ns-tool run` by default.
  const CAPS = ociCapabilities()
  const hostname = options.hostname ?? 'ns-tool'
  const {defaultProfile, resolveProfile} = await import('../sandbox/seccomp/profile.js')
  const config = {
    ociVersion: '1.0.2',
    process: {terminal: false, user: {uid: 0, gid: 0}, args: [options.entrypoint], env: [`PATH=${ROOT_PATH}`, 'TERM=xterm'], cwd: '/', capabilities: {bounding: CAPS, effective: CAPS, permitted: CAPS}, rlimits: [{type: 'RLIMIT_NOFILE', hard: 1024, soft: 1024}], noNewPrivileges: true},
    root: {path: 'rootfs', readonly: false},
    hostname,
    mounts: [
      {destination: '/proc', type: 'proc', source: 'proc'},
      {destination: '/dev', type: 'tmpfs', source: 'tmpfs', options: ['nosuid', 'strictatime', 'mode=755', 'size=65536k']},
      {destination: '/dev/pts', type: 'devpts', source: 'devpts', options: ['nosuid', 'noexec', 'newinstance', 'ptmxmode=0666', 'mode=0620']},
      {destination: '/dev/shm', type: 'tmpfs', source: 'shm', options: ['nosuid', 'noexec', 'nodev', 'mode=1777', 'size=65536k']},
      {destination: '/dev/mqueue', type: 'mqueue', source: 'mqueue', options: ['nosuid', 'noexec', 'nodev']},
      {destination: '/sys', type: 'sysfs', source: 'sysfs', options: ['nosuid', 'noexec', 'nodev', 'ro']},
      ...(await networkMounts(dir, options, hostname)),
    ],
    linux: {
      namespaces: [{type: 'pid'}, ...(options.net === 'host' ? [] : [{type: 'network'}]), {type: 'ipc'}, {type: 'uts'}, {type: 'mount'}],
      maskedPaths: ['/proc/kcore', '/proc/keys', '/proc/timer_list', '/proc/sched_debug', '/sys/firmware'],
      readonlyPaths: ['/proc/bus', '/proc/fs', '/proc/irq', '/proc/sys', '/proc/sysrq-trigger'],
      seccomp: resolveProfile(defaultProfile()),
    },
  }
  writeFileSync(join(dir, 'config.json'), JSON.stringify(config, null, 2) + '\n')
  return walk(join(dir, 'rootfs')).length
}

// The files run would mount for the same options, written beside config.json and bound read-only
// over the tree's (a relative bind source is relative to the bundle, per the runtime spec).
async function networkMounts(dir: string, options: BundleOptions, hostname: string): Promise<object[]> {
  if (!options.net && !options.dns?.length && !options.addHost?.length) return []
  const {networkFiles, parseAddHost, parseDns} = await import('../sandbox/network.js')
  const net = options.net ?? 'none'
  const files = networkFiles(net, hostname, (options.dns ?? []).map(parseDns), (options.addHost ?? []).map((value) => parseAddHost(value, net)))
  return Object.entries(files).map(([name, content]) => {
    writeFileSync(join(dir, name), content)
    return {destination: `/etc/${name}`, type: 'bind', source: name, options: ['rbind', 'ro']}
  })
}
