// musl's dynamic linker (ldso/dynlink.c, load_library), which is musl's libc itself: the library
// names it answers as itself; LD_LIBRARY_PATH (only when asked); the RPATH or RUNPATH of the
// requester and of each object that loaded it, $ORIGIN expanded; then the directories of
// /etc/ld-musl-ARCH.path (next to the loader's own prefix), or /lib:/usr/local/lib:/usr/lib.
import {readFileSync} from 'node:fs'
import {posix} from 'node:path'
import type {ElfSource} from './elf-source.js'
import {indexName, type Expectation, type LoadedObject, type LoaderRules, type Process, type SearchResult} from './link-map.js'
import {probeMusl} from './probe.js'
import type {Sysroot} from './sysroot.js'
import type {FoundVia} from './types.js'

// "lib" + one of these + "." is the loader itself: libc.so, libc.musl-x86_64.so.1, libm.so.6...
const RESERVED = ['c', 'pthread', 'rt', 'm', 'dl', 'util', 'xnet']
const DEFAULT_PATH = '/lib:/usr/local/lib:/usr/lib'
const INTERPRETER = /^ld-musl-(.+)\.so\.1$/

// The ARCH of musl's interpreter /lib/ld-musl-ARCH.so.1; undefined for any other interpreter.
export function muslArch(interpreter: string): string | undefined {
  return INTERPRETER.exec(posix.basename(interpreter))?.[1]
}

// <prefix>/etc/ld-musl-ARCH.path, prefix being the interpreter's path as written less its last two
// components (/lib/ld-musl-x86_64.so.1: /etc/ld-musl-x86_64.path).
export function muslPathFile(interpreter: string): string {
  const slashes = [...interpreter.matchAll(/\//g)].map((m) => m.index!)
  const prefix = interpreter.startsWith('/') && slashes.length >= 2 ? interpreter.slice(0, slashes.at(-2)) : ''
  return `${prefix}/etc/ld-musl-${muslArch(interpreter)}.path`
}

// Whether a DT_NEEDED name is one musl's loader answers as itself.
export function isMuslBuiltin(name: string): boolean {
  return name.startsWith('lib') && RESERVED.some((base) => name.startsWith(`lib${base}.`))
}

// load_library's sys_path: the path file's lines and colons, read once per file.
interface SystemPath {
  file: string
  dirs: string[]
  via: FoundVia
}

// What every musl process of one resolution shares: the sysroot, and its path files.
export class MuslSearches {
  private readonly systemPaths = new Map<string, SystemPath>()
  // The path file of every musl loader met: a rootfs of these programs needs the same (host
  // layout), or one naming where its libraries are (flat layout).
  readonly pathFilesUsed = new Set<string>()

  constructor(
    readonly sysroot: Sysroot,
    readonly elfSource: ElfSource,
    readonly cwd: string,
    readonly ldLibraryPath: string | undefined,
  ) {}

  rules(interpreter: string): MuslRules {
    this.pathFilesUsed.add(muslPathFile(interpreter))
    return new MuslRules(this, interpreter)
  }

  // The directories of the path file; a file that exists but cannot be read leaves none at all,
  // as in the loader.
  systemPath(interpreter: string): SystemPath {
    const file = muslPathFile(interpreter)
    let known = this.systemPaths.get(file)
    if (!known) {
      known = {file, dirs: splitPath(DEFAULT_PATH), via: 'default-dirs'}
      try {
        const found = this.sysroot.file(file)
        if (found) known = {file, dirs: splitPath(readFileSync(this.sysroot.hostPath(found.real), 'latin1')), via: 'ld-musl-path'}
      } catch {
        known = {file, dirs: [], via: 'ld-musl-path'}
      }
      this.systemPaths.set(file, known)
    }
    return known
  }
}

export class MuslRules implements LoaderRules {
  readonly kind = 'musl'
  readonly cacheFlags = undefined

  constructor(
    private readonly shared: MuslSearches,
    // PT_INTERP as written: musl's ldso.name.
    private readonly interpreter: string,
  ) {}

  // musl takes DT_NEEDED names as they are: only RPATH/RUNPATH know $ORIGIN.
  expandName(name: string): string {
    return name
  }

  // The loader itself for its own names and for its PT_INTERP path; a name without "/" matches
  // the file name of an object found by a search (its "shortname"), never a SONAME.
  alreadyLoaded(process: Process, name: string): LoadedObject | undefined {
    if (isMuslBuiltin(name) || name === this.interpreter) return process.loaded.find((object) => object.names.has(this.interpreter))
    return name.includes('/') ? undefined : process.byName.get(name)
  }

  remember(process: Process, object: LoadedObject, searched: boolean): void {
    if (searched) indexName(process, posix.basename(object.path), object)
  }

  // An object first loaded by path gets its shortname when a search finds its file again.
  alias(process: Process, object: LoadedObject, _name: string, searched: boolean): void {
    this.remember(process, object, searched)
  }

  needsCache(): boolean {
    return false
  }

  open(process: Process, path: string): Promise<SearchResult> {
    return this.openIn(process, [path], 'path', [])
  }

  async search(process: Process, name: string, requester: LoadedObject, searched: string[]): Promise<SearchResult> {
    const {shared} = this
    const inDirs = (dirs: string[], via: FoundVia): Promise<SearchResult | 'none'> =>
      this.openIn(
        process,
        dirs.map((dir) => posix.join(shared.sysroot.normalize(dir, shared.cwd), name)),
        via,
        searched,
      ).then((result) => result ?? 'none')
    if (shared.ldLibraryPath) {
      const found = await inDirs(splitPath(shared.ldLibraryPath), 'ld-library-path')
      if (found !== 'none') return found
    }
    for (let object: LoadedObject | undefined = requester; object; object = object.loader) {
      const dynamic = object.elf.dynamic
      // RUNPATH, when there is one, is read in place of RPATH; both are inherited alike.
      const list = dynamic?.runpath ?? dynamic?.rpath
      const dirs = list === undefined ? undefined : expandOrigin(list, object.origin)
      if (!dirs) continue
      const found = await inDirs(dirs, dynamic?.runpath !== undefined ? 'runpath' : 'rpath')
      if (found !== 'none') return found
    }
    const system = shared.systemPath(this.interpreter)
    const found = await inDirs(system.dirs, system.via)
    return found === 'none' ? undefined : found
  }

  // path_open: the first candidate that opens is the one.
  private async openIn(process: Process, candidates: string[], via: FoundVia, searched: string[]): Promise<SearchResult> {
    for (const path of candidates) {
      searched.push(path)
      const probe = await probeMusl(this.shared.sysroot, this.shared.elfSource, path, process.expect as Expectation)
      if (probe.status === 'ok') return {path, real: probe.real, elf: probe.elf, via}
      if (probe.status === 'fatal') return {fatal: probe.message}
    }
    return undefined
  }
}

// Colons and newlines separate; empty elements are skipped (path_open's strspn).
function splitPath(list: string): string[] {
  return list.split(/[:\n]/).filter((dir) => dir !== '')
}

// fixup_rpath: each "$ORIGIN" or "${ORIGIN}" (also as the start of a longer word) is the origin;
// a "$" starting anything else makes the loader ignore the whole list.
function expandOrigin(list: string, origin: string): string[] | undefined {
  let out = ''
  for (let i = 0; i < list.length; i++) {
    if (list[i] !== '$') {
      out += list[i]
      continue
    }
    const length = list.startsWith('$ORIGIN', i) ? 7 : list.startsWith('${ORIGIN}', i) ? 9 : 0
    if (length === 0) return undefined
    out += origin
    i += length - 1
  }
  return splitPath(out)
}
