// The closure as it is found: every file with why it is needed, every request (edge) in the
// loaders' order, what is missing, and what the rootfs's loader configuration must say.
import type {Closure, DependencyEdge, FileKind, FoundVia, MissingLibrary, ProgramInfo, ResolvedFile} from './types.js'

const KIND_RANK: Record<FileKind, number> = {program: 0, interpreter: 1, library: 2, file: 3}

export interface FileFacts {
  soname?: string
  foundVia?: FoundVia
  neededBy?: string
  variants?: string[]
}

export class ClosureRecord {
  readonly programs: ProgramInfo[] = []
  readonly edges: DependencyEdge[] = []
  readonly cacheFlags = new Map<string, number>()
  readonly loaderSonames = new Map<string, string>()
  needsLdCache = false
  private readonly files = new Map<string, ResolvedFile>()
  private readonly missing = new Map<string, MissingLibrary>()
  // entry.neededBy as a set, for the membership test (libc is needed by every program).
  private readonly neededBy = new Map<string, Set<string>>()

  // A file is recorded once; a later reason never downgrades its kind (the interpreter, matched by
  // its SONAME, stays the interpreter) and adds to who needs it.
  addFile(path: string, kind: FileKind, facts: FileFacts): void {
    let entry = this.files.get(path)
    if (!entry) {
      entry = {path, kind}
      if (facts.soname !== undefined) entry.soname = facts.soname
      if (facts.foundVia !== undefined) entry.foundVia = facts.foundVia
      this.files.set(path, entry)
    } else {
      if (KIND_RANK[kind] < KIND_RANK[entry.kind]) entry.kind = kind
      if (entry.soname === undefined && facts.soname !== undefined && kind === 'library') entry.soname = facts.soname
      if (entry.foundVia === undefined && facts.foundVia !== undefined) entry.foundVia = facts.foundVia
    }
    if (facts.neededBy !== undefined) {
      let by = this.neededBy.get(path)
      if (!by) this.neededBy.set(path, (by = new Set()))
      if (!by.has(facts.neededBy)) {
        by.add(facts.neededBy)
        ;(entry.neededBy ??= []).push(facts.neededBy)
      }
    }
    if (facts.variants) {
      entry.variants ??= []
      for (const variant of facts.variants) if (!entry.variants.includes(variant)) entry.variants.push(variant)
    }
  }

  // An interpreter (PT_INTERP or #!) that `from` asks for in `program`'s process.
  addInterpreter(program: string, from: string, name: string, path: string): void {
    this.addFile(path, 'interpreter', {foundVia: 'path', neededBy: from})
    this.edges.push({program, from, name, kind: 'interpreter', path, foundVia: 'path'})
  }

  // A library request that the loader could not satisfy; `refusal` when it stopped at a file it
  // cannot load, `skipped` for the candidates of another class or machine it passed over.
  addMissing(program: string, from: string, name: string, searched: string[], refusal?: string, skipped?: string[]): void {
    this.edges.push({program, from, name, kind: 'library'})
    const key = `${from}\0${name}`
    if (this.missing.has(key)) return
    const entry: MissingLibrary = {soname: name, neededBy: from, searched: [...new Set(searched)]}
    if (refusal !== undefined) entry.error = refusal
    if (skipped && skipped.length > 0) entry.skipped = [...new Set(skipped)]
    this.missing.set(key, entry)
  }

  // How many missing libraries are recorded, for missingSince.
  missingMark(): number {
    return this.missing.size
  }

  // The missing libraries recorded after `mark`, taken out of the record: their requester is a
  // data file whose own needs are its caller's to judge.
  takeMissingSince(mark: number): MissingLibrary[] {
    const taken = [...this.missing].slice(mark)
    for (const [key] of taken) this.missing.delete(key)
    return taken.map(([, entry]) => entry)
  }

  result(): Closure {
    return {
      programs: this.programs,
      files: [...this.files.values()],
      missing: [...this.missing.values()],
      edges: this.edges,
      needsLdCache: this.needsLdCache,
      cacheFlags: this.cacheFlags,
      loaderSonames: this.loaderSonames,
    }
  }
}
