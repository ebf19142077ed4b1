// run's network (--net, -p/--publish, --dns, --add-host, --host-loopback) -> the helper's options,
// with the /etc/resolv.conf and /etc/hosts the sandbox sees (the helper mounts them for the run;
// ROOTFS is never written). Loaded only when a run asks for any of it.
import {readFileSync, writeSync} from 'node:fs'
import {isIP, isIPv4} from 'node:net'
import {RUN} from '../options/run.js'
import {UsageError} from '../errors.js'
import {LOCALHOST_HOSTS} from '../rootfs/plan/skeleton.js'
import type {RunSpec} from './spec.js'

// slirp4netns's network (its defaults, which --configure sets up): the sandbox, the host as seen
// from it (with --host-loopback, its 127.0.0.1 too), and its DNS forwarder to the host's resolvers.
export const SLIRP = {guest: '10.0.2.100', gateway: '10.0.2.2', dns: '10.0.2.3'} as const

// Not docker's 0.0.0.0: a port published to every interface opens the sandbox to the network.
export const DEFAULT_PUBLISH_IP = '127.0.0.1'

export interface Publish {
  ip: string
  hostPort: number
  port: number
  protocol: 'tcp' | 'udp'
}

const PUBLISH = /^(?:(\d+\.\d+\.\d+\.\d+):)?(?:(\d*):)?(\d+)(?:\/(tcp|udp))?$/
const PUBLISH_SHAPE = 'expected [IP:]HOSTPORT:PORT[/tcp|/udp] (IP an IPv4 address, HOSTPORT 0 for a free one)'

// docker's -p syntax: 8080:80, 127.0.0.1:8080:80/udp, IP::80 or 80 (HOSTPORT 0: a free one).
export function parsePublish(value: string): Publish {
  const match = PUBLISH.exec(value)
  if (!match || (match[1] !== undefined && !isIPv4(match[1]))) throw new UsageError(`--publish ${value}: ${PUBLISH_SHAPE}`)
  const hostPort = Number(match[2] || 0)
  const port = Number(match[3])
  for (const [what, n, low] of [['HOSTPORT', hostPort, 0], ['PORT', port, 1]] as const) {
    if (n < low || n > 65_535) throw new UsageError(`--publish ${value}: ${what} ${n} is out of range (${low}-65535)`)
  }
  return {ip: match[1] ?? DEFAULT_PUBLISH_IP, hostPort, port, protocol: (match[4] as 'tcp' | 'udp' | undefined) ?? 'tcp'}
}

// `--add-host NAME:IP`; docker's host-gateway names the host (slirp4netns's gateway).
export function parseAddHost(value: string, net: string): {name: string; ip: string} {
  const colon = value.indexOf(':')
  const name = value.slice(0, colon)
  const ip = value.slice(colon + 1) === 'host-gateway' && net === 'private' ? SLIRP.gateway : value.slice(colon + 1)
  if (colon < 1 || !/^[A-Za-z0-9_]([A-Za-z0-9_.-]*[A-Za-z0-9_])?$/.test(name) || !isIP(ip)) {
    throw new UsageError(`--add-host ${value}: expected NAME:IP (an IPv4 or IPv6 address${net === 'private' ? ', or host-gateway' : ''})`)
  }
  return {name, ip}
}

export function parseDns(value: string): string {
  if (!isIP(value)) throw new UsageError(`--dns ${value}: expected the IP address of a nameserver`)
  return value
}

// The network a spec asks for: -p and --host-loopback need private and choose it when --net is not given.
export function networkOf(spec: RunSpec): NonNullable<RunSpec['net']> {
  const needsPrivate = (spec.publish?.length ?? 0) > 0 ? '--publish' : spec.hostLoopback ? '--host-loopback' : undefined
  if (needsPrivate && spec.net !== undefined && spec.net !== 'private') {
    throw new UsageError(`${needsPrivate} needs the sandbox's own network, reached through slirp4netns: use --net private (or leave --net out), not --net ${spec.net}`)
  }
  return spec.net ?? (needsPrivate ? 'private' : 'none')
}

// The helper's options for the spec's network, its ports and its /etc files.
export function networkArgv(spec: RunSpec): string[] {
  const net = networkOf(spec)
  const publish = (spec.publish ?? []).map(parsePublish)
  checkDistinctPorts(publish)
  const dns = (spec.dns ?? []).map(parseDns)
  const addHost = (spec.addHost ?? []).map((value) => parseAddHost(value, net))
  const argv = net === 'host' ? ['--net-host'] : net === 'private' ? ['--net-private'] : []
  if (spec.hostLoopback) argv.push('--host-loopback')
  for (const p of publish) argv.push('--publish', `${p.ip}:${p.hostPort}:${p.port}/${p.protocol}`)
  const udp = publish.find((p) => p.protocol === 'udp')
  if (udp && !spec.hostLoopback) warnUdpLoopback(udp)
  const files = networkFiles(net, spec.hostname ?? RUN.flags.hostname.default, dns, addHost)
  for (const [name, content] of Object.entries(files)) argv.push('--etc-file', `${name}=${content}`)
  return argv
}

// One host address and port can be forwarded once (HOSTPORT 0 picks a new one each time).
function checkDistinctPorts(publish: Publish[]): void {
  const seen = new Set<string>()
  for (const p of publish.filter((p) => p.hostPort !== 0)) {
    const key = `${p.ip}:${p.hostPort}/${p.protocol}`
    if (seen.has(key)) throw new UsageError(`--publish: ${key} is published twice; give each -p its own HOSTPORT (or 0 for a free one)`)
    seen.add(key)
  }
}

// /etc/resolv.conf and /etc/hosts for a sandbox on NET (run mounts them; export --format bundle
// writes them into the bundle). With no network, only those asked for: a plain run mounts nothing.
export function networkFiles(net: string, hostname: string, dns: string[], addHost: {name: string; ip: string}[]): {'resolv.conf'?: string; hosts?: string} {
  return {
    ...((net !== 'none' || dns.length > 0) && {'resolv.conf': resolvConf(net, dns)}),
    ...((net !== 'none' || addHost.length > 0) && {hosts: hostsFile(net, hostname, addHost)}),
  }
}

// slirp4netns sees a datagram from the host's loopback as coming from 10.0.2.2, and with host
// loopback off it refuses the sandbox's reply to that address (TCP is not affected).
function warnUdpLoopback(p: Publish): void {
  writeSync(2, `ns-tool run: warning: --publish ${p.hostPort}:${p.port}/udp: slirp4netns drops the replies to clients on this host's loopback (127.0.0.1) unless --host-loopback is given (which also lets the sandbox reach the host's 127.0.0.1)\n`)
}

interface ResolvConf {
  nameservers: string[]
  // search and options lines, kept as they are
  others: string[]
}

function readResolvConf(path: string): ResolvConf | undefined {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
  const lines = text.split('\n').map((line) => line.trim())
  return {
    nameservers: lines.filter((line) => /^nameserver\s/.test(line)).map((line) => line.split(/\s+/)[1]),
    others: lines.filter((line) => /^(search|domain|options)\s/.test(line)),
  }
}

const isLoopback = (ip: string) => ip.startsWith('127.') || ip === '::1'

// The host's resolvers. A stub on loopback (systemd-resolved's 127.0.0.53) is replaced by the
// servers it forwards to, as podman does: the sandbox's loopback is its own, except with --net host,
// where a stub reached through it would still leave the sandbox depending on the host's daemon.
export function hostResolvers(etc = '/etc/resolv.conf', upstream = '/run/systemd/resolve/resolv.conf'): ResolvConf {
  const own = readResolvConf(etc) ?? {nameservers: [], others: []}
  if (own.nameservers.length === 0 || !own.nameservers.every(isLoopback)) return own
  const forwarded = readResolvConf(upstream)?.nameservers.filter((ip) => !isLoopback(ip)) ?? []
  return forwarded.length ? {nameservers: forwarded, others: own.others} : own
}

// --dns wins; else slirp4netns's forwarder (private) or the host's servers (host). The host's
// search domains and options apply to both.
function resolvConf(net: string, dns: string[]): string {
  const host = net === 'none' ? {nameservers: [], others: []} : hostResolvers()
  const servers = dns.length ? dns : net === 'private' ? [SLIRP.dns] : host.nameservers
  return [...servers.map((ip) => `nameserver ${ip}`), ...host.others].join('\n') + '\n'
}

// --add-host lines first (the first match wins), then localhost (the host's whole file with --net
// host, as docker does), then the sandbox's hostname at its address.
function hostsFile(net: string, hostname: string, addHost: {name: string; ip: string}[]): string {
  const added = addHost.map(({name, ip}) => `${ip}\t${name}\n`).join('')
  const base = net === 'host' ? hostHosts() : LOCALHOST_HOSTS
  return `${added}${base}${net === 'private' ? SLIRP.guest : '127.0.1.1'}\t${hostname}\n`
}

function hostHosts(): string {
  try {
    const text = readFileSync('/etc/hosts', 'utf8')
    return text.endsWith('\n') || text === '' ? text : `${text}\n`
  } catch {
    return LOCALHOST_HOSTS
  }
}
