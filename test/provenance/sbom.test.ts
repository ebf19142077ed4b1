// `ns-tool sbom`: SPDX 2.3 and CycloneDX 1.5 documents that the official JSON schemas accept, that
// list every regular file of the tree with its SHA-256 (as sha256sum computes it), each package
// present with dpkg's version and the licenses of its copyright file, the program -> library ->
// package relationships, the tool's version and the build's inputs; the same tree and
// SOURCE_DATE_EPOCH give the same bytes.
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli, repoRoot} from '../support/cli.js'
import {expectedPackages, haveDpkg} from '../support/dpkg.js'
import {skipBecause} from '../support/skip.js'
import {makeSuiteTempDir, makeTempDir} from '../support/temp.js'

const schemas = join(repoRoot, 'test', 'provenance', 'schemas')

async function validator(schema: string, refs: string[] = []) {
  // Both are CommonJS: Ajv is also a named export; the plugin is only the default's default.
  const {Ajv} = await import('ajv')
  const addFormats = (await import('ajv-formats')).default.default
  const ajv = new Ajv({strict: false, allErrors: true})
  addFormats(ajv)
  // The IRI and IDN formats these schemas use, checked as their ASCII forms (what ns-tool writes).
  ajv.addFormat('iri-reference', ajv.formats['uri-reference'] as RegExp)
  ajv.addFormat('idn-email', ajv.formats.email as RegExp)
  for (const ref of refs) ajv.addSchema(JSON.parse(readFileSync(join(schemas, ref), 'utf8')))
  return ajv.compile(JSON.parse(readFileSync(join(schemas, schema), 'utf8')))
}

function sha256sum(rootfs: string, path: string): string {
  return spawnSync('sha256sum', [join(rootfs, path)], {encoding: 'utf8'}).stdout.split(' ')[0]
}

describe('sbom', function () {
  this.timeout(300_000)
  let rootfs: string
  let spdx: any
  let cdx: any

  before(function () {
    if (!haveDpkg || !existsSync('/var/lib/dpkg/status')) skipBecause(this, 'this host has no dpkg database')
    rootfs = join(makeSuiteTempDir(), 'rootfs')
    const r = cli(['build-rootfs', '-q', '-o', rootfs, 'bash', 'ls'])
    expect(r.status, r.stderr).to.equal(0)
    const a = cli(['sbom', rootfs, '--format', 'spdx-json'])
    expect(a.status, a.stderr).to.equal(0)
    spdx = JSON.parse(a.stdout)
    const b = cli(['sbom', rootfs, '--format', 'cyclonedx-json'])
    expect(b.status, b.stderr).to.equal(0)
    cdx = JSON.parse(b.stdout)
  })

  it('SPDX: the SPDX 2.3 schema accepts it', async function () {
    const validate = await validator('spdx-2.3.schema.json')
    expect(validate(spdx), JSON.stringify(validate.errors?.slice(0, 5))).to.equal(true)
    expect(spdx.spdxVersion).to.equal('SPDX-2.3')
  })

  it('CycloneDX: the CycloneDX 1.5 schema accepts it', async function () {
    const validate = await validator('bom-1.5.schema.json', ['spdx.schema.json', 'jsf-0.82.schema.json'])
    expect(validate(cdx), JSON.stringify(validate.errors?.slice(0, 5))).to.equal(true)
    expect(cdx.specVersion).to.equal('1.5')
  })

  it('lists every regular file with its SHA-256, and each package present with the host\'s version', function () {
    const listed = spawnSync('find', ['.', '-path', './var/lib/ns-tool', '-prune', '-o', '-type', 'f', '-print'], {cwd: rootfs, encoding: 'utf8'}).stdout.split('\n').filter(Boolean).map((p) => p.slice(1)).sort()
    const files = new Map<string, string>(spdx.files.map((f: any) => [f.fileName.slice(1), f.checksums.find((c: any) => c.algorithm === 'SHA256').checksumValue]))
    expect([...files.keys()].sort()).to.deep.equal(listed)
    for (const path of ['/usr/bin/ls', '/usr/lib/x86_64-linux-gnu/libc.so.6', '/etc/passwd']) expect(files.get(path), path).to.equal(sha256sum(rootfs, path))
    const expected = expectedPackages(rootfs)
    const byName = (pkgs: any[]) => pkgs.filter((p) => p.primaryPackagePurpose === 'LIBRARY').map((p) => `${p.name} ${p.versionInfo}`).sort()
    expect(byName(spdx.packages)).to.deep.equal([...expected].map(([key, version]) => `${key.split(':')[0]} ${version}`).sort())
    const components = cdx.components.filter((c: any) => c.type === 'library').map((c: any) => `${c.name} ${c.version}`).sort()
    expect(components).to.deep.equal(byName(spdx.packages))
    const ls = cdx.components.find((c: any) => c.name === 'coreutils').components.find((f: any) => f.name === '/usr/bin/ls')
    expect(ls.hashes.find((h: any) => h.alg === 'SHA-256').content).to.equal(sha256sum(rootfs, '/usr/bin/ls'))
  })

  it('relates program -> library -> package, and gives the licenses of the copyright files', function () {
    const id = (fileName: string) => spdx.files.find((f: any) => f.fileName === `.${fileName}`).SPDXID
    const pkg = (name: string) => spdx.packages.find((p: any) => p.name === name)
    const has = (a: string, type: string, b: string) => spdx.relationships.some((r: any) => r.spdxElementId === a && r.relationshipType === type && r.relatedSpdxElement === b)
    expect(has(id('/usr/bin/ls'), 'DEPENDS_ON', id('/usr/lib/x86_64-linux-gnu/libselinux.so.1'))).to.equal(true)
    expect(has(pkg('libselinux1').SPDXID, 'CONTAINS', id('/usr/lib/x86_64-linux-gnu/libselinux.so.1'))).to.equal(true)
    expect(has(pkg('coreutils').SPDXID, 'DEPENDS_ON', pkg('libselinux1').SPDXID)).to.equal(true)
    // bash's machine-readable copyright says GPL-3+ for most of it.
    expect(pkg('bash').licenseDeclared).to.match(/^GPL-3\.0-or-later( AND |$)/)
    const bash = cdx.components.find((c: any) => c.name === 'bash')
    expect(bash.licenses.map((l: any) => l.license?.id ?? l.expression).join(' ')).to.contain('GPL-3.0-or-later')
    expect(bash.properties).to.deep.include({name: 'ns-tool:partial', value: 'true'})
    const dependsOn = (ref: string) => cdx.dependencies.find((d: any) => d.ref === ref)?.dependsOn ?? []
    expect(dependsOn('file:/usr/bin/ls')).to.include('file:/usr/lib/x86_64-linux-gnu/libselinux.so.1')
  })

  it('relates the files of a flat tree too (its files are not at their host paths)', function () {
    const flat = join(makeTempDir(), 'flat')
    expect(cli(['build-rootfs', '-q', '--layout', 'flat', '-o', flat, 'ls']).status).to.equal(0)
    const doc = JSON.parse(cli(['sbom', flat]).stdout)
    const name = new Map(doc.files.map((f: any) => [f.SPDXID, f.fileName]))
    const edges = doc.relationships.filter((r: any) => r.relationshipType === 'DEPENDS_ON' && name.has(r.spdxElementId)).map((r: any) => `${name.get(r.spdxElementId)} -> ${name.get(r.relatedSpdxElement)}`)
    expect(edges).to.include.members(['./bin/ls -> ./lib64/libselinux.so.1', './lib64/libselinux.so.1 -> ./lib64/libpcre2-8.so.0', './lib64/libpcre2-8.so.0 -> ./lib64/libc.so.6'])
  })

  it('names the ns-tool version and the build\'s inputs', function () {
    const version = JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version
    expect(spdx.creationInfo.creators).to.include(`Tool: ns-tool-${version}`)
    expect(spdx.creationInfo.comment).to.contain('"programs":["bash","ls"]')
    expect(cdx.metadata.tools).to.deep.include({name: 'ns-tool', version})
    expect(cdx.metadata.properties).to.deep.include({name: 'ns-tool:input:programs', value: '["bash","ls"]'})
  })

  it('gives the same bytes for the same tree and SOURCE_DATE_EPOCH; -o writes a file', function () {
    const out = join(makeTempDir(), 'rootfs.spdx.json')
    const env = {SOURCE_DATE_EPOCH: '1700000000'}
    const a = cli(['sbom', rootfs], {env})
    const b = cli(['sbom', rootfs, '-o', out], {env})
    expect(b.status, b.stderr).to.equal(0)
    expect(readFileSync(out, 'utf8')).to.equal(a.stdout)
    expect(JSON.parse(a.stdout).creationInfo.created).to.equal('2023-11-14T22:13:20Z')
  })

  it('refuses a directory ns-tool did not build, saying why', function () {
    const r = cli(['sbom', makeTempDir()])
    expect(r.status).to.equal(1)
    expect(r.stderr).to.match(/not a rootfs ns-tool built .*build it with ns-tool build-rootfs/)
    expect(r.stderr.split('\n').filter(Boolean)).to.have.length(1)
  })
})
