// Package data that is not ASCII goes through as dpkg has it: a status.d entry is the bytes of
// dpkg-query's paragraph, the SBOMs are valid UTF-8 and say what dpkg-query says, and a file whose
// name is not ASCII is found in its package's file list (dpkg's files are UTF-8).
import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {lstatSync, readdirSync, readFileSync} from 'node:fs'
import {join} from 'node:path'
import {cli} from '../support/cli.js'
import {field, haveDpkg, manifestEntries} from '../support/dpkg.js'
import {skipBecause, which} from '../support/skip.js'
import {makeTempDir} from '../support/temp.js'

const INFO = '/var/lib/dpkg/info'
const STATUS_D = 'var/lib/dpkg/status.d'
const PARTIAL = 'X-Ns-Tool-Partial: yes\n'
const strictUtf8 = new TextDecoder('utf-8', {fatal: true})

const nonAscii = (bytes: Buffer) => bytes.some((byte) => byte >= 0x80)

// A regular file of the host that an installed package lists under a name that is not ASCII:
// [package as its list file names it, path].
function nonAsciiPackagedFile(): [string, string] | undefined {
  for (const name of readdirSync(INFO).filter((n) => n.endsWith('.list')).sort()) {
    const list = readFileSync(join(INFO, name))
    if (!nonAscii(list)) continue
    for (let start = 0, end = list.indexOf(10); end >= 0; start = end + 1, end = list.indexOf(10, start)) {
      const line = list.subarray(start, end)
      if (!nonAscii(line)) continue
      const path = strictUtf8.decode(line)
      if (lstatSync(path, {throwIfNoEntry: false})?.isFile()) return [name.slice(0, -'.list'.length), path]
    }
  }
  return undefined
}

function dpkgQueryStatus(pkg: string): Buffer {
  const r = spawnSync('dpkg-query', ['-s', pkg])
  expect(r.status, String(r.stderr)).to.equal(0)
  return r.stdout
}

// The tree's SBOM in `format`, its bytes checked to be UTF-8 (a decoder that throws on anything else).
function sbom(rootfs: string, format: string) {
  const out = join(makeTempDir(), 'sbom.json')
  const r = cli(['sbom', rootfs, '--format', format, '-o', out])
  expect(r.status, r.stderr).to.equal(0)
  return JSON.parse(strictUtf8.decode(readFileSync(out)))
}

describe('provenance: package data that is not ASCII', function () {
  this.timeout(300_000)

  it('status.d holds dpkg-query\'s bytes, the SBOMs its text, and a non-ASCII file name has its package', function () {
    if (!haveDpkg) skipBecause(this, 'this host has no dpkg database')
    if (!which('jq')) skipBecause(this, 'jq (a package whose Maintainer and Description are not ASCII) is not installed')
    const jqStatus = dpkgQueryStatus('jq')
    expect(nonAscii(jqStatus), "jq's status paragraph has non-ASCII text (the premise of this test)").to.equal(true)
    const found = nonAsciiPackagedFile()
    if (!found) skipBecause(this, 'no installed package lists a regular file whose name is not ASCII')
    const [owner, path] = found
    const ownerName = owner.split(':')[0]

    const work = makeTempDir()
    const rootfs = join(work, 'rootfs')
    const r = cli(['build-rootfs', '-q', '-o', rootfs, '-f', path, 'jq'])
    expect(r.status, r.stderr).to.equal(0)

    // The paragraphs as dpkg has them, byte for byte; neither package is whole in the tree (their
    // manual pages and other files are left out), which the last line says.
    expect(readFileSync(join(rootfs, STATUS_D, 'jq')).toString('utf8')).to.equal(jqStatus.toString('utf8') + PARTIAL)
    expect(readFileSync(join(rootfs, STATUS_D, 'jq')).equals(Buffer.concat([jqStatus, Buffer.from(PARTIAL)]))).to.equal(true)
    const ownerStatus = readdirSync(join(rootfs, STATUS_D)).find((name) => name === owner || name === ownerName)
    expect(ownerStatus, `status.d entry of ${owner}, which ships ${path}`).to.not.equal(undefined)
    expect(readFileSync(join(rootfs, STATUS_D, ownerStatus!)).equals(Buffer.concat([dpkgQueryStatus(owner), Buffer.from(PARTIAL)]))).to.equal(true)
    const entry = manifestEntries(rootfs).find((e) => e.path === path)
    expect(entry?.package?.name, `the package of ${path} in the manifest`).to.equal(ownerName)

    const maintainer = field('jq', 'Maintainer')
    const [, person, mail] = /^(.*?) <([^>]*)>$/.exec(maintainer)!
    const summary = field('jq', 'binary:Summary')

    const spdx = sbom(rootfs, 'spdx-json')
    const spdxJq = spdx.packages.find((p: {name: string}) => p.name === 'jq')
    expect(spdxJq.supplier).to.equal(`Person: ${person} (${mail})`)
    expect(spdxJq.summary).to.equal(summary)
    const fileId = spdx.files.find((f: {fileName: string}) => f.fileName === `.${path}`)?.SPDXID
    expect(fileId, `${path} in the SPDX document`).to.be.a('string')
    const container = spdx.relationships.find((rel: {relationshipType: string; relatedSpdxElement: string}) => rel.relationshipType === 'CONTAINS' && rel.relatedSpdxElement === fileId)
    expect(spdx.packages.find((p: {SPDXID: string}) => p.SPDXID === container.spdxElementId)?.name).to.equal(ownerName)

    const cdx = sbom(rootfs, 'cyclonedx-json')
    const cdxJq = cdx.components.find((c: {name: string}) => c.name === 'jq')
    expect(cdxJq.supplier.name).to.equal(maintainer)
    expect(cdxJq.description).to.equal(summary)
    const cdxOwner = cdx.components.find((c: {name: string}) => c.name === ownerName)
    expect(cdxOwner?.components?.map((c: {name: string}) => c.name), `${path} among ${owner}'s files`).to.include(path)
  })
})
