// The provenance a plan entry carries: the installed package that ships the host file it copies.
export interface PackageRef {
  name: string
  version: string
  architecture: string
}

// What provenance needs of a plan entry (the plan's PlanEntry has these fields and more).
export interface ProvenanceEntry {
  path: string
  type: 'file' | 'dir' | 'symlink'
  source?: string
  content?: string
  mode?: number
  reason: string
  package?: PackageRef
}
