// An SBOM model as an SPDX 2.3 JSON document: a package for the tree that DESCRIBES it, one per
// Debian package present (version, supplier, declared license, purl, partial or whole), one file
// per regular file (SHA-256 and SHA-1), package CONTAINS file, file DEPENDS_ON file (program ->
// library) and package DEPENDS_ON package where a file of one needs a file of the other.
import {createHash} from 'node:crypto'
import type {SbomModel, SbomPackage} from './model.js'

export const SPDX_MEDIA_TYPE = 'application/spdx+json'

export function spdxDocument(model: SbomModel): object {
  const fileId = (path: string) => spdxId('File', path)
  const rootId = spdxId('RootFS', model.name)
  const packages = model.packages.map((pkg) => spdxPackage(pkg, spdxId('Package-deb', pkg.key)))
  const extracted = new Map<string, {licenseId: string; name: string; extractedText: string}>()
  for (const pkg of model.packages) {
    for (const license of pkg.license?.licenses ?? []) {
      if (license.id.startsWith('LicenseRef-')) extracted.set(license.id, {licenseId: license.id, name: license.name, extractedText: license.text ?? license.name})
    }
  }
  const osId = model.os && spdxId('OperatingSystem', model.os.id)
  return {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: model.name,
    documentNamespace: `https://spdx.org/spdxdocs/ns-tool-${encodeURIComponent(model.name)}-${uuidOf(model.digest)}`,
    creationInfo: {
      created: model.created,
      creators: [`Tool: ${model.tool.name}-${model.tool.version}`],
      comment: `Built by ns-tool from the host's files; the build's inputs: ${JSON.stringify(model.inputs)}`,
    },
    documentDescribes: [rootId],
    packages: [
      {
        SPDXID: rootId,
        name: model.name,
        downloadLocation: 'NOASSERTION',
        filesAnalyzed: false,
        primaryPackagePurpose: 'CONTAINER',
        ...(model.os && {comment: `a root filesystem of ${model.os.prettyName ?? model.os.id} files`}),
      },
      ...(model.os && osId ? [{SPDXID: osId, name: model.os.id, ...(model.os.versionId && {versionInfo: model.os.versionId}), downloadLocation: 'NOASSERTION', filesAnalyzed: false, primaryPackagePurpose: 'OPERATING_SYSTEM'}] : []),
      ...packages,
    ],
    files: model.files.map((file) => ({
      SPDXID: fileId(file.path),
      fileName: `.${file.path}`,
      checksums: [
        {algorithm: 'SHA1', checksumValue: file.sha1},
        {algorithm: 'SHA256', checksumValue: file.sha256},
      ],
      licenseConcluded: 'NOASSERTION',
      copyrightText: 'NOASSERTION',
      ...(file.reason && {comment: `ns-tool: ${file.reason}`}),
    })),
    ...(extracted.size > 0 && {hasExtractedLicensingInfos: [...extracted.values()]}),
    relationships: relationships(model, rootId, osId),
  }
}

interface Relationship {
  spdxElementId: string
  relationshipType: 'DESCRIBES' | 'CONTAINS' | 'DEPENDS_ON'
  relatedSpdxElement: string
}

// The document DESCRIBES the tree, which CONTAINS the distribution, which CONTAINS its packages
// (the way scanners model them: trivy reads them so); a package CONTAINS its files; file and
// package DEPENDS_ON.
function relationships(model: SbomModel, rootId: string, osId: string | undefined): Relationship[] {
  const fileId = (path: string) => spdxId('File', path)
  const packageId = (key: string) => spdxId('Package-deb', key)
  const all: Relationship[] = [{spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: rootId}]
  const relate = (a: string, type: Relationship['relationshipType'], b: string) => all.push({spdxElementId: a, relationshipType: type, relatedSpdxElement: b})
  if (osId) relate(rootId, 'CONTAINS', osId)
  for (const pkg of model.packages) relate(osId ?? rootId, 'CONTAINS', packageId(pkg.key))
  for (const file of model.files) relate(file.package ? packageId(file.package) : rootId, 'CONTAINS', fileId(file.path))
  for (const {from, to} of model.needs) relate(fileId(from), 'DEPENDS_ON', fileId(to))
  for (const {from, to} of model.packageNeeds) relate(packageId(from), 'DEPENDS_ON', packageId(to))
  return all
}

function spdxPackage(pkg: SbomPackage, id: string): object {
  return {
    SPDXID: id,
    name: pkg.name,
    versionInfo: pkg.version,
    ...(pkg.maintainer && {supplier: supplier(pkg.maintainer)}),
    downloadLocation: 'NOASSERTION',
    filesAnalyzed: false,
    ...(pkg.homepage && {homepage: pkg.homepage}),
    ...(pkg.sourceName && {sourceInfo: `built from the Debian source package ${pkg.sourceName}`}),
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: pkg.license?.expression ?? 'NOASSERTION',
    copyrightText: 'NOASSERTION',
    ...(pkg.summary && {summary: pkg.summary}),
    ...(pkg.purl && {externalRefs: [{referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: pkg.purl}]}),
    primaryPackagePurpose: 'LIBRARY',
    ...(pkg.partial !== undefined && {comment: pkg.partial ? `partial: ${pkg.files.length} of its files are in the tree` : 'whole: every file it ships is in the tree'}),
  }
}

// "Name <mail>" as SPDX wants a supplier: "Person: Name (mail)" ("Organization:" for a team list).
function supplier(maintainer: string): string {
  const match = /^(.*?)\s*<([^>]*)>\s*$/.exec(maintainer)
  const [name, mail] = match ? [match[1], match[2]] : [maintainer, '']
  const kind = /maintainers|team|list|project/i.test(name + mail) ? 'Organization' : 'Person'
  return `${kind}: ${name}${mail ? ` (${mail})` : ''}`
}

// SPDXRef-KIND-readable-part-hash: ids take [A-Za-z0-9.-] only; the hash keeps two paths that
// differ only by the characters replaced apart.
function spdxId(kind: string, name: string): string {
  const readable = name.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 80)
  return `SPDXRef-${kind}-${readable}-${createHash('sha256').update(name).digest('hex').slice(0, 8)}`
}

// A UUID made from a hex digest (RFC 4122 layout, version 5 style bits), so that the same tree
// gives the same document ids.
export function uuidOf(hex: string): string {
  const h = hex.slice(0, 32).split('')
  h[12] = '5'
  h[16] = ((parseInt(h[16], 16) & 0x3) | 0x8).toString(16)
  const s = h.join('')
  return `${s.slice(0, 8)}-${s.slice(8, 12)}-${s.slice(12, 16)}-${s.slice(16, 20)}-${s.slice(20, 32)}`
}
