// An SBOM model as a CycloneDX 1.5 JSON BOM: the tree as the metadata's container component, the
// operating system, one library component per Debian package present (purl, version, licenses,
// partial or whole) holding its files as nested file components (SHA-256 and SHA-1), the files no
// package ships at the top level, and the dependency graph: container -> OS -> packages, package
// -> package and file -> file (program -> library).
import type {SbomFile, SbomModel, SbomPackage} from './model.js'
import {uuidOf} from './spdx.js'

export const CYCLONEDX_MEDIA_TYPE = 'application/vnd.cyclonedx+json'

const ROOT = 'rootfs'
const packageRef = (pkg: SbomPackage) => pkg.purl ?? `deb:${pkg.key}`
const fileRef = (path: string) => `file:${path}`

export function cyclonedxDocument(model: SbomModel): object {
  const osRef = model.os ? `os:${model.os.id}` : undefined
  const filesOf = new Map<string, object[]>()
  const loose: object[] = []
  for (const file of model.files) {
    if (!file.package) loose.push(fileComponent(file))
    else if (filesOf.has(file.package)) filesOf.get(file.package)!.push(fileComponent(file))
    else filesOf.set(file.package, [fileComponent(file)])
  }
  return {
    bomFormat: 'CycloneDX',
    specVersion: '1.5',
    serialNumber: `urn:uuid:${uuidOf(model.digest)}`,
    version: 1,
    metadata: {
      timestamp: model.created,
      // The array form of 1.4 (deprecated in 1.5, still valid): readers built on older CycloneDX
      // libraries (trivy's among them) reject the object form.
      tools: [{name: model.tool.name, version: model.tool.version}],
      component: {type: 'container', 'bom-ref': ROOT, name: model.name},
      properties: Object.entries(model.inputs).map(([key, value]) => ({name: `ns-tool:input:${key}`, value: typeof value === 'string' ? value : JSON.stringify(value)})),
    },
    components: [
      ...(model.os ? [{type: 'operating-system', 'bom-ref': osRef, name: model.os.id, ...(model.os.versionId && {version: model.os.versionId}), ...(model.os.prettyName && {description: model.os.prettyName})}] : []),
      ...model.packages.map((pkg) => packageComponent(pkg, filesOf.get(pkg.key))),
      ...loose,
    ],
    dependencies: dependencies(model, osRef),
  }
}

function fileComponent(file: SbomFile): object {
  return {
    type: 'file',
    'bom-ref': fileRef(file.path),
    name: file.path,
    hashes: [
      {alg: 'SHA-256', content: file.sha256},
      {alg: 'SHA-1', content: file.sha1},
    ],
    ...(file.reason && {properties: [{name: 'ns-tool:reason', value: file.reason}]}),
  }
}

function packageComponent(pkg: SbomPackage, files: object[] | undefined): object {
  return {
    type: 'library',
    'bom-ref': packageRef(pkg),
    ...(pkg.maintainer && {supplier: {name: pkg.maintainer}}),
    name: pkg.name,
    version: pkg.version,
    ...(pkg.summary && {description: pkg.summary}),
    ...(pkg.license && {licenses: licenseChoices(pkg)}),
    ...(pkg.purl && {purl: pkg.purl}),
    ...(pkg.homepage && {externalReferences: [{type: 'website', url: pkg.homepage}]}),
    properties: [
      {name: 'ns-tool:architecture', value: pkg.architecture},
      ...(pkg.sourceName ? [{name: 'ns-tool:source-package', value: pkg.sourceName}] : []),
      ...(pkg.partial !== undefined ? [{name: 'ns-tool:partial', value: String(pkg.partial)}] : []),
    ],
    ...(files && {components: files}),
  }
}

// container -> OS -> packages; package -> package; file -> file. One entry per ref, sorted.
function dependencies(model: SbomModel, osRef: string | undefined): object[] {
  const refOfKey = new Map(model.packages.map((pkg) => [pkg.key, packageRef(pkg)]))
  const graph = new Map<string, Set<string>>()
  const depend = (from: string, to: string) => (graph.get(from) ?? graph.set(from, new Set()).get(from)!).add(to)
  if (osRef) depend(ROOT, osRef)
  for (const pkg of model.packages) depend(osRef ?? ROOT, packageRef(pkg))
  for (const {from, to} of model.needs) depend(fileRef(from), fileRef(to))
  for (const {from, to} of model.packageNeeds) depend(refOfKey.get(from)!, refOfKey.get(to)!)
  return [...graph].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([ref, on]) => ({ref, dependsOn: [...on].sort()}))
}

// A plain conjunction lists each license (an SPDX id, else the Debian name); anything with a
// choice or an exception is given as the one SPDX expression.
function licenseChoices(pkg: SbomPackage): object[] {
  const license = pkg.license!
  if (/[()]| OR | WITH /.test(license.expression)) return [{expression: license.expression}]
  return license.licenses.map((l) => ({license: l.id.startsWith('LicenseRef-') ? {name: l.name} : {id: l.id}}))
}
