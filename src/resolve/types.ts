// The dependency closure: every file a set of programs needs, and why.
// All paths are absolute paths as seen inside the sysroot ("/" by default); the file to read is
// join(sysroot, path).

// How a library was found, in the loader's own terms (design §1 deps).
export type FoundVia =
  | 'path' // a DT_NEEDED containing "/", or a PT_INTERP, or a --file
  | 'rpath'
  | 'ld-library-path'
  | 'runpath'
  | 'ld.so.cache'
  | 'ld.so.conf' // no cache file: the directories of ld.so.conf (with includes) were searched
  | 'default-dirs'
  | 'already-loaded' // matched an object already loaded by SONAME (rule 6)

export type ProgramType = 'dynamic' | 'static' | 'static-pie' | 'script'

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
  // Every path the loader would have tried, in order.
  searched: string[]
}

export interface Closure {
  programs: ProgramInfo[]
  files: ResolvedFile[]
  missing: MissingLibrary[]
}

export interface ResolveOptions {
  // Root to look things up in (default "/").
  sysroot?: string
  resolver?: 'elf' | 'ldd'
  // PATH used to look program names up (default: process.env.PATH).
  searchPath?: string
  // LD_LIBRARY_PATH to honour (host mode only, and only when the user asks).
  ldLibraryPath?: string
  // Extra files (from --file) whose dependencies are wanted too; already absolute in the sysroot.
  extraFiles?: string[]
}
