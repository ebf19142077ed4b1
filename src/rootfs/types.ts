// The plan is the manifest: what goes where in the rootfs, and why. --dry-run prints it, --json
// prints it, the writer executes it, tests assert on it.
import type {LdCacheRecord} from '../loader/ld-cache.js'
import type {DlopenLevel} from '../data/dlopen.js'
import type {NotClosed} from '../data/index.js'
import type {MissingLibrary, ProgramInfo} from '../loader/types.js'
import type {PackageRef} from '../provenance/types.js'
import type {BUILD_ROOTFS} from '../options/build-rootfs.js'

// The choices are the option table's (src/options).
export type Layout = (typeof BUILD_ROOTFS.flags.layout.choices)[number]
export type CopyMode = (typeof BUILD_ROOTFS)['flags']['copy-mode']['choices'][number]
export type {NotClosed}
export type Resolver = (typeof BUILD_ROOTFS.flags.resolver.choices)[number]

export interface PlanEntry {
  // Absolute path inside the rootfs; no component of it is a symlink (the writer never follows one).
  path: string
  type: 'file' | 'dir' | 'symlink'
  // file: the host file to copy (sysroot included), unless `content` is given.
  source?: string
  content?: string
  // symlink: the link's target, as written.
  target?: string
  mode?: number
  // Why it is there: program, interpreter, library, file, busybox, skeleton, ld.so.cache.
  reason: string
  // Who asked for it (library and interpreter entries).
  neededBy?: string[]
  // The installed package that ships the host file or link this entry copies (provenance).
  package?: PackageRef
}

export interface Plan {
  output: string
  layout: Layout
  programs: ProgramInfo[]
  entries: PlanEntry[]
  missing: MissingLibrary[]
  // What the resolver says the user should know (a program this host cannot run), warned again
  // on every build that reuses the plan.
  warnings?: string[]
  // Files of the tree deliberately not closed, or whose needs this host cannot meet, each with why
  // (docs/data.md); the manifest keeps them for verify.
  notClosed?: NotClosed[]
  // The data rules that applied and whose files the host has none of (by id): the tree goes
  // without, and verify does not ask for them.
  unmetRules?: string[]
  // Library directories the rootfs's /etc/ld.so.conf lists (an /etc/ld.so.cache is made from it).
  libraryDirs: string[]
  // The /etc/ld.so.cache the writer makes, where the loader needs one: always for the flat layout;
  // for the host layout when some library lies outside the loader's default directories.
  ldCache?: LdCacheRecord[]
}

export interface BuildStats {
  copied: number
  reused: number
  linked: number
  removed: number
  kept: number
  bytesCopied: number
  // The size of the tree: the bytes of the files the plan put there (copied, linked or written).
  bytes: number
}

export interface BuildResult extends Plan {
  stats: BuildStats
  // Paths of the previous tree that --clean removed.
  removed: string[]
  // Paths of the previous tree, not written by ns-tool, where this build put an entry of its own.
  replaced: string[]
}

export interface BuildOptions {
  output?: string
  files?: string[]
  layout?: Layout
  resolver?: Resolver
  sysroot?: string
  // true: busybox from PATH; a string: that busybox.
  busybox?: boolean | string
  base?: string
  copyMode?: CopyMode
  clean?: boolean
  force?: boolean
  allowMissing?: boolean
  skeleton?: boolean
  keepSetuid?: boolean
  // What is not an ELF dependency (src/data): the programs' packages' run-time files, the data
  // rules, .note.dlopen libraries (default true; false: the ELF closure alone).
  data?: boolean
  // The lowest .note.dlopen priority followed (default recommended).
  dlopen?: DlopenLevel
  // Command lines run traced (with /bin/sh -c, host read-only); the files they use join the tree.
  traces?: string[]
  // Seconds a traced command may run (default 60).
  traceTimeout?: number
  // Variables over the traced commands' clean environment (run's -e and --env-file).
  traceEnv?: Record<string, string>
  traceEnvFile?: string[]
  // Where a traced command's output goes (default: stderr).
  traceOutput?: 'inherit' | 'ignore'
  // Compiled locales of the host to add (de_DE.UTF-8); C.UTF-8 comes with glibc.
  locales?: string[]
  // Languages whose message catalogues the tree's packages get (de, pt_BR).
  langs?: string[]
  // Data rules left out, by id (docs/data-rules.md).
  skipRules?: string[]
  // Called with (done, total) while files are written.
  progress?: (done: number, total: number) => void
  // Warnings (missing libraries with allowMissing, fallbacks) go here; default: ignored.
  warn?: (message: string) => void
  // Aborting stops the build before its switch: the staging tree is removed, the output left as
  // it was, and build() rejects with an error whose exitCode is 128 + the signal named by the
  // abort reason ('SIGINT', 'SIGTERM', ...).
  signal?: AbortSignal
}
