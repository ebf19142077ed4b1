// The dependency closure: every file a set of programs needs, and why.
// All paths are absolute paths as seen inside the sysroot ("/" by default); the file to read is
// join(sysroot, path).
import type {DEPS} from '../options/deps.js'

// How a library was found, in the loader's own terms (deps shows it).
export type FoundVia =
  | 'path' // a DT_NEEDED containing "/", or a PT_INTERP, or a --file
  | 'rpath'
  | 'ld-library-path'
  | 'runpath'
  | 'ld.so.cache'
  | 'ld.so.conf' // no cache file: the directories of ld.so.conf (with includes) were searched
  | 'ld-musl-path' // musl: the directories of /etc/ld-musl-ARCH.path
  | 'default-dirs'
  | 'already-loaded' // matched an object already loaded (rule 6), or a name musl's loader is itself
  | 'ldd' // the ldd resolver: ldd printed the path but not the reason

// shared: an ELF object with a dynamic section and no PT_INTERP given as a program (a library, or
// ld.so itself); its libraries are resolved with the default loader of its machine.
export type ProgramType = 'dynamic' | 'static' | 'static-pie' | 'script' | 'shared'

export interface ProgramInfo {
  // As the user gave it (a name looked up on PATH, or a path).
  name: string
  // Absolute path (in the sysroot) where it was found, symlinks not resolved.
  path: string
  type: ProgramType
  // PT_INTERP for ELF, the #! interpreter for a script.
  interpreter?: string
}

export type FileKind = 'program' | 'interpreter' | 'library' | 'file'

export interface ResolvedFile {
  // The path the loader (or the user) asked for; symlinks along it are the plan's business.
  path: string
  kind: FileKind
  soname?: string
  foundVia?: FoundVia
  // The objects (by path) whose DT_NEEDED / PT_INTERP / #! line asked for this file.
  neededBy?: string[]
  // For a library found in a glibc-hwcaps subdirectory, or with hwcaps variants: every variant
  // path and the base path, all of which go into the rootfs (rule 3).
  variants?: string[]
}

export interface MissingLibrary {
  soname: string
  neededBy: string
  // Every path the loader would have tried, in order (the ld.so.cache lookup appears as the
  // cache file's path, /etc/ld.so.cache). Empty for the ldd resolver, which does not say.
  searched: string[]
  // Set when the search stopped at a file the loader refuses outright (for example "invalid ELF
  // header"): the program cannot start even though a file of that name exists.
  error?: string
  // Files of that name the loader passed over because they are for another class or machine
  // ("/usr/lib/libx.so.1: ELF 64-bit x86_64"), which is often the whole story of a foreign sysroot.
  skipped?: string[]
}

// One request in one program's process: an object asked for a name (a DT_NEEDED entry, its
// PT_INTERP, or a #! interpreter) and the loader resolved it (or did not). Programs are separate
// processes, so the same request can resolve differently for two programs (RPATH is inherited).
export interface DependencyEdge {
  // The program (path, as in ProgramInfo.path or a script interpreter) whose process this is.
  program: string
  // The object that asked.
  from: string
  // The name as written: a DT_NEEDED entry, a PT_INTERP path or a #! interpreter.
  name: string
  kind: 'interpreter' | 'library'
  // Where it resolved; absent when missing.
  path?: string
  foundVia?: FoundVia
}

export interface Closure {
  programs: ProgramInfo[]
  files: ResolvedFile[]
  missing: MissingLibrary[]
  // Every request, per program, in the loader's order (for tree and graph output).
  edges?: DependencyEdge[]
  // Whether some library lies outside the directories the loader searches by default: a rootfs
  // then wants its own /etc/ld.so.cache, even where RPATH or RUNPATH lead there too ($ORIGIN is
  // unknown to a loader that cannot read /proc/self/exe, as under a plain chroot). Undefined when
  // the resolver cannot tell (ldd).
  needsLdCache?: boolean
  // The ld.so.cache flags of each library's loader (0x0303 for x86-64), by path; not in the JSON.
  cacheFlags?: Map<string, number>
  // The SONAME of each program interpreter (ld-linux-x86-64.so.2), by path; not in the JSON.
  loaderSonames?: Map<string, string>
  // The /etc/ld-musl-ARCH.path file (in-sysroot path, present or not) of each musl loader the
  // programs use: where that loader looks after RPATH/RUNPATH, instead of its defaults.
  muslPathFiles?: string[]
  // What the user should know about the programs (one for an architecture this host cannot run).
  warnings?: string[]
}

export interface ResolveOptions {
  // Root to look things up in (default "/").
  sysroot?: string
  resolver?: (typeof DEPS.flags.resolver.choices)[number]
  // PATH used to look program names up (default: process.env.PATH).
  searchPath?: string
  // PATH inside the tree, where `#!/usr/bin/env NAME` finds NAME (default: the clean PATH `run`
  // gives, /usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin).
  treePath?: string
  // LD_LIBRARY_PATH to honour (host mode only, and only when the user asks).
  ldLibraryPath?: string
  // Extra files (from --file) whose dependencies are wanted too; already absolute in the sysroot.
  extraFiles?: string[]
  // Resolve as `ld.so PROGRAM` would (which is what ldd runs): a program's $ORIGIN is then the
  // directory of the path it was given by, symlinks not resolved, instead of its real directory.
  // Only useful to explain ldd's answers; a program started normally never sees this.
  loaderInvocation?: boolean
  // Called with the closure so far, again after each round it asked for, until it asks for
  // nothing more (src/data: files its rules bring, libraries named by .note.dlopen). Not in JSON.
  expand?: (closure: Closure) => Promise<Expansion>
}

// More to resolve: files whose interpreter and libraries are wanted, and
// libraries an object loads with dlopen (the first of the sonames found is taken; none found is
// not an error: the caller sees no edge for it).
export interface Expansion {
  // Files that entered the tree (ClosureBuilder.addEntered).
  files: string[]
  dlopen: Array<{from: string; sonames: string[]}>
  // What one of `files` (or what it brought) misses, one line per need: it is not closed.
  unmet(file: string, needs: Array<{path: string; missing: string}>): void
}
