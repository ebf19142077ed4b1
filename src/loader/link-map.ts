// One program's process as the loader builds it: the objects of its link map, what each was asked
// for by, and the rules of the loader that builds it (glibc's or musl's).
import type {ElfObject} from '../elf/types.js'
import type {MachineKey} from '../elf/machine.js'
import type {FoundVia} from './types.js'

// The class, byte order and machine every object of the process must have.
export type Expectation = MachineKey

export interface LoadedObject {
  // The name the loader opened it by (l_name): a search result, a cache value, a path.
  path: string
  real: string
  // Names it was asked for (l_libname).
  names: Set<string>
  soname?: string
  elf: ElfObject
  // $ORIGIN: the directory of `path` (the real directory for the executable).
  origin: string
  // The object whose DT_NEEDED loaded it (l_loader, musl's needed_by), for the RPATH chain.
  loader?: LoadedObject
}

export interface Found {
  path: string
  real: string
  elf: ElfObject
  via: FoundVia
  variants?: string[]
}

export interface Fatal {
  fatal: string
}

// What a search ends with: a file, a refusal that stops the program, or nothing (with the
// candidates of another class or machine passed over on the way).
export type SearchResult = Found | Fatal | undefined

// How one loader treats a DT_NEEDED name; one instance per process.
export interface LoaderRules {
  readonly kind: 'glibc' | 'musl'
  // The name with the loader's tokens expanded; undefined when it must be discarded.
  expandName(name: string, requester: LoadedObject): string | undefined
  // The object already in the link map that answers the name, without a search.
  alreadyLoaded(process: Process, name: string): LoadedObject | undefined
  // The search for a name without "/"; `searched` gets every path tried, `skipped` every file
  // passed over for its class or machine.
  search(process: Process, name: string, requester: LoadedObject, searched: string[], skipped: string[]): Promise<SearchResult>
  // A name with "/": that file, relative to the working directory.
  open(process: Process, path: string, skipped: string[]): Promise<SearchResult>
  // The ld.so.cache flags of this loader's libraries (glibc), and whether a rootfs needs a cache
  // for the loader to find this path.
  cacheFlags?: number
  needsCache(path: string): boolean
  // Index a newly loaded object under what later requests match (glibc: its names, path and
  // SONAME; musl: the file name of what a search found).
  remember(process: Process, object: LoadedObject, searched: boolean): void
  // A request that led to an object already loaded from the same file.
  alias(process: Process, object: LoadedObject, name: string, searched: boolean): void
}

export interface Process {
  program: string
  expect: Expectation
  rules: LoaderRules
  loaded: LoadedObject[]
  // The first loaded object each name matches, and each real file's object.
  byName: Map<string, LoadedObject>
  byReal: Map<string, LoadedObject>
  queue: LoadedObject[]
}

// Indexes an object under a name; a key already taken stays with the earlier object, as the
// loader's walk of its link map finds that one first.
export function indexName(process: Process, key: string | undefined, object: LoadedObject): void {
  if (key !== undefined && !process.byName.has(key)) process.byName.set(key, object)
}
