// The OCI layout export goes to a real registry and back: Debian's docker-registry, started by the
// test on 127.0.0.1 and a free port with its storage in a temp dir, stopped by its pid even when a
// test fails; skopeo pushes the image (and the SBOM artifacts, by the referrers tag) and pulls it
// back with the same digests; podman runs the image and a real job gives the host's output.
import {expect} from 'chai'
import {spawn, spawnSync, type ChildProcess} from 'node:child_process'
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {createServer} from 'node:net'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {isRoot, skipBecause} from '../support/skip.js'
import {makeLowerCaseTempDir, makeSuiteTempDir, makeTempDir} from '../support/temp.js'

const REGISTRY = '/usr/bin/docker-registry'

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer().once('error', reject)
    server.listen(0, '127.0.0.1', () => {
      const {port} = server.address() as {port: number}
      server.close(() => resolve(port))
    })
  })
}

async function waitFor(url: string, registry: ChildProcess): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (registry.exitCode !== null) throw new Error(`docker-registry exited ${registry.exitCode}`)
    try {
      if ((await fetch(url)).ok) return
    } catch {
      // Not listening yet.
    }
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  throw new Error(`${url}: no answer after 10 s`)
}

function skopeo(args: string[]) {
  const r = spawnSync('skopeo', args, {encoding: 'utf8', timeout: 120_000})
  expect(r.status, `skopeo ${args.join(' ')}: ${r.stderr}`).to.equal(0)
  return r.stdout
}

function indexOf(layout: string): {manifests: Array<{digest: string; artifactType?: string; annotations?: Record<string, string>}>} {
  return JSON.parse(readFileSync(join(layout, 'index.json'), 'utf8'))
}

describe('export --format oci through a registry', function () {
  this.timeout(300_000)
  let registry: ChildProcess | undefined
  let host: string
  let work: string

  before(async function () {
    if (!existsSync(REGISTRY)) skipBecause(this, 'docker-registry is not installed (the test bootstrap installs it as root)')
    if (spawnSync('skopeo', ['--version']).status !== 0) skipBecause(this, 'skopeo is not installed (the test bootstrap installs it as root)')
    work = makeSuiteTempDir()
    const port = await freePort()
    host = `127.0.0.1:${port}`
    const config = join(work, 'registry.yml')
    writeFileSync(config, `version: 0.1\nlog:\n  level: error\nstorage:\n  filesystem:\n    rootdirectory: ${join(work, 'storage')}\nhttp:\n  addr: ${host}\n  secret: ns-tool-test\n`)
    registry = spawn(REGISTRY, ['serve', config], {stdio: 'ignore'})
    await waitFor(`http://${host}/v2/`, registry)
  })

  after(async function () {
    if (!registry || registry.exitCode !== null) return
    const exited = new Promise((resolve) => registry!.once('exit', resolve))
    process.kill(registry.pid!, 'SIGTERM')
    await exited
  })

  it('skopeo pushes the layered image and its SBOMs, and pulls the same digests back', function () {
    if (!existsSync('/var/lib/dpkg/status')) skipBecause(this, 'this host has no dpkg database (the SBOM needs one)')
    const rootfs = join(work, 'rootfs')
    expect(cli(['build-rootfs', '-q', '-o', rootfs, 'bash', 'ls']).status).to.equal(0)
    const image = join(work, 'image')
    const r = cli(['export', rootfs, '--format', 'oci', '--layers', '4', '--sbom', '--tag', 'v1', '-o', image, '--json'])
    expect(r.status, r.stderr).to.equal(0)
    const result = JSON.parse(r.stdout)
    expect(result.referrers.map((d: {artifactType: string}) => d.artifactType)).to.deep.equal(['application/spdx+json', 'application/vnd.cyclonedx+json'])
    // The documented push: one line for the image, one for the SBOMs that refer to it.
    skopeo(['copy', '--dest-tls-verify=false', `oci:${image}:v1`, `docker://${host}/ns-tool/mini:v1`])
    skopeo(['copy', '--all', '--dest-tls-verify=false', `oci:${image}:${result.referrersTag}`, `docker://${host}/ns-tool/mini:${result.referrersTag}`])
    const pulled = join(makeTempDir(), 'pulled')
    skopeo(['copy', '--src-tls-verify=false', `docker://${host}/ns-tool/mini:v1`, `oci:${pulled}:v1`])
    expect(indexOf(pulled).manifests[0].digest).to.equal(result.digest)
    const remote = JSON.parse(skopeo(['inspect', '--tls-verify=false', `docker://${host}/ns-tool/mini:v1`]))
    expect(remote.Digest).to.equal(result.digest)
    expect(remote.Layers).to.deep.equal(result.layers.map((layer: {digest: string}) => layer.digest))
    // Each SBOM artifact comes back byte for byte, still naming the image as its subject.
    for (const referrer of result.referrers) {
      const raw = JSON.parse(skopeo(['inspect', '--raw', '--tls-verify=false', `docker://${host}/ns-tool/mini@${referrer.digest}`]))
      expect(raw.subject.digest).to.equal(result.digest)
      expect(raw.artifactType).to.equal(referrer.artifactType)
      const sbom = raw.layers[0].digest.slice(7)
      const blob = spawnSync('curl', ['-sf', `http://${host}/v2/ns-tool/mini/blobs/sha256:${sbom}`], {encoding: 'buffer'}).stdout
      expect(blob.equals(readFileSync(join(image, 'blobs', 'sha256', sbom)))).to.equal(true)
    }
  })

  it('podman runs the image: a real job gives the host\'s output', function () {
    if (!isRoot) skipBecause(this, 'podman runs images as root here (rootless podman needs subordinate ids)')
    if (spawnSync('podman', ['--version']).status !== 0) skipBecause(this, 'podman is not installed (the test bootstrap installs it as root)')
    const rootfs = join(work, 'job')
    const text = '/usr/share/common-licenses/GPL-3'
    expect(cli(['build-rootfs', '-q', '-o', rootfs, 'sh', 'tr', 'sort', 'uniq', 'head', '--file', `${text}:/data/text`]).status).to.equal(0)
    // A lower-case path: podman takes the image name from it.
    const image = join(makeLowerCaseTempDir('ns-tool-podman-'), 'image')
    expect(cli(['export', rootfs, '--format', 'oci', '--layers', '3', '--entrypoint', '/bin/sh', '-o', image]).status).to.equal(0)
    const job = "tr -cs 'A-Za-z' '\\n' < /data/text | sort | uniq -c | sort -rn | head -8"
    const run = spawnSync('podman', ['run', '--rm', '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', `oci:${image}:latest`, '-c', job], {encoding: 'utf8', timeout: 180_000})
    const id = JSON.parse(readFileSync(join(image, 'blobs', 'sha256', indexOf(image).manifests[0].digest.slice(7)), 'utf8')).config.digest.slice(7)
    // podman copied the image into its store: remove it (by its id, which this test made).
    spawnSync('podman', ['rmi', '--force', id], {stdio: 'ignore'})
    expect(run.status, run.stderr).to.equal(0)
    const host = spawnSync('sh', ['-c', job.replace('/data/text', text)], {encoding: 'utf8'})
    expect(run.stdout).to.equal(host.stdout)
    expect(run.stdout.split('\n')[0]).to.match(/^\s+\d+ the$/)
  })
})
