// One program's process, as its loader builds the link map (glibc's elf/dl-deps.c, musl's
// load_deps): the executable and its interpreter first, then breadth-first each object's DT_NEEDED
// names in order, each answered by an object already loaded or searched by the loader's rules.
import {posix} from 'node:path'
import type {ElfObject} from '../elf/types.js'
import type {LoadedObject, LoaderRules, Process} from './link-map.js'
import type {ClosureRecord} from './record.js'
import type {Sysroot} from './sysroot.js'

export interface ProcessStart {
  // The program's path (in the sysroot) and how to name it in messages.
  path: string
  real: string
  elf: ElfObject
  // $ORIGIN of the executable.
  origin: string
  rules: LoaderRules
  // The loader in the link map: PT_INTERP (path as written and where it is), or none.
  interpreter?: {name: string; path: string; real: string; elf: ElfObject; asInterpreter: boolean}
}

export class LinkMapWalker {
  constructor(
    private readonly sysroot: Sysroot,
    private readonly record: ClosureRecord,
    private readonly cwd: string,
  ) {}

  // dlopened: names the program loads with dlopen once its link map is built (design §3 rule 8):
  // the first one found is taken, none found is no error. loaded: objects already in the process
  // before this one (a dlopen'ed module's program): glibc matches a DT_NEEDED name against their
  // names and SONAMEs before it searches. Returns the process's link map.
  async walk(start: ProcessStart, dlopened: string[] = [], loaded: LoadedObject[] = []): Promise<LoadedObject[]> {
    const {path, real, elf, origin, rules, interpreter} = start
    const main: LoadedObject = {path, real, names: new Set(), soname: elf.dynamic?.soname, elf, origin}
    // A dlopen round is a process of its own: its edges must not repeat the program's.
    const program = dlopened.length > 0 ? `${path} (dlopen)` : path
    const process: Process = {
      program,
      expect: {elfClass: elf.identity.elfClass, endian: elf.identity.endian, machine: elf.identity.machine},
      rules,
      loaded: [main],
      byName: new Map(),
      byReal: new Map(),
      queue: [main],
    }
    this.remember(process, main, false)
    if (interpreter) {
      const object: LoadedObject = {path: interpreter.path, real: interpreter.real, names: new Set([interpreter.name]), soname: interpreter.elf.dynamic?.soname, elf: interpreter.elf, origin: posix.dirname(interpreter.path)}
      process.loaded.push(object)
      this.remember(process, object, false)
      if (interpreter.asInterpreter) {
        this.record.addInterpreter(program, path, interpreter.name, interpreter.path)
        if (object.soname) this.record.loaderSonames.set(interpreter.path, object.soname)
        if (rules.cacheFlags !== undefined) this.record.cacheFlags.set(interpreter.path, rules.cacheFlags)
      }
    }
    for (const object of loaded) {
      // A process holds objects of one class and machine: a foreign module matches none of them.
      const {elfClass, endian, machine} = object.elf.identity
      if (process.byReal.has(object.real) || elfClass !== process.expect.elfClass || endian !== process.expect.endian || machine !== process.expect.machine) continue
      process.loaded.push(object)
      this.remember(process, object, false)
    }
    let next = 0
    const drain = async () => {
      for (; next < process.queue.length; next++) {
        const object = process.queue[next]
        for (const name of object.elf.dynamic?.needed ?? []) await this.mapObject(process, name, object)
      }
    }
    await drain()
    for (const name of dlopened) if (await this.mapObject(process, name, main, true)) break
    await drain()
    return process.loaded
  }

  private remember(process: Process, object: LoadedObject, searched: boolean): void {
    process.rules.remember(process, object, searched)
    if (!process.byReal.has(object.real)) process.byReal.set(object.real, object)
  }

  // _dl_map_object / load_library: one DT_NEEDED name of `requester`; whether it was found.
  // optional: a miss is not recorded (a dlopen alternative).
  private async mapObject(process: Process, name: string, requester: LoadedObject, optional = false): Promise<boolean> {
    const {rules, program} = process
    const {record} = this
    const expanded = rules.expandName(name, requester)
    if (expanded === undefined) {
      if (!optional) record.addMissing(program, requester.path, name, [], `cannot expand the dynamic string tokens in ${name}`)
      return false
    }
    const loaded = rules.alreadyLoaded(process, expanded)
    if (loaded) {
      loaded.names.add(expanded)
      record.addFile(loaded.path, 'library', {neededBy: requester.path})
      record.edges.push({program, from: requester.path, name, kind: 'library', path: loaded.path, foundVia: 'already-loaded'})
      return true
    }

    const searched: string[] = []
    const skipped: string[] = []
    const byPath = expanded.includes('/')
    let result
    if (byPath) {
      const path = this.sysroot.normalize(expanded, this.cwd)
      searched.push(path)
      result = await rules.open(process, path, skipped)
    } else {
      result = await rules.search(process, expanded, requester, searched, skipped)
    }
    if (result === undefined || 'fatal' in result) {
      if (!optional) record.addMissing(program, requester.path, name, searched, result?.fatal, skipped)
      return false
    }

    const soname = byPath ? (result.elf.dynamic?.soname ?? posix.basename(expanded)) : expanded
    record.addFile(result.path, 'library', {soname, foundVia: result.via, neededBy: requester.path, variants: result.variants})
    record.edges.push({program, from: requester.path, name, kind: 'library', path: result.path, foundVia: result.via})
    if (rules.needsCache(result.path)) record.needsLdCache = true
    if (rules.cacheFlags !== undefined) for (const path of [result.path, ...(result.variants ?? [])]) record.cacheFlags.set(path, rules.cacheFlags)

    // The same file under another name is the same object (glibc's file id check, musl's dev/ino).
    const same = process.byReal.get(result.real)
    if (same) {
      same.names.add(expanded)
      rules.alias(process, same, expanded, !byPath)
      return true
    }
    const object: LoadedObject = {
      path: result.path,
      real: result.real,
      names: new Set([expanded]),
      soname: result.elf.dynamic?.soname,
      elf: result.elf,
      origin: posix.dirname(result.path),
      loader: requester,
    }
    process.loaded.push(object)
    this.remember(process, object, !byPath)
    process.queue.push(object)
    return true
  }
}
