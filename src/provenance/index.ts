// Provenance: which installed package each file of a tree comes from (annotate.ts, called by the
// plan), what scanners read in the tree (os-release.ts, status-d.ts, license.ts) and the SBOM (sbom/).
export {addProvenance, packagesOf, type ProvenanceOptions, type ProvenanceTree} from './annotate.js'
export {sbomDocuments, type SbomDocument, type SbomFormat, type SbomInput} from './sbom/index.js'
export type {PackageRef, ProvenanceEntry} from './types.js'
