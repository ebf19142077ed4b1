// The loaders emulated from ELF headers — glibc's ld.so and musl's, sysroot-aware — and so the
// dependency closure of a set of programs with its reasons, by glibc's and musl's rules.
import {ClosureBuilder} from './closure.js'
import {defaultSearchPath, findProgramIn} from './program.js'
import {Sysroot} from './sysroot.js'
import type {Closure, ResolveOptions} from './types.js'

export type * from './types.js'
export {lookupLdCache, ldCacheVariants, parseLdCache, LdCacheError, type LdCache, type LdCacheEntry} from './ld-cache.js'
export {parseLdConfText, readLdConf, type LdConf, type LdConfLine} from './ld-conf.js'
export {loaderProfile, type LoaderProfile} from './loader.js'
export {envCommand, parseShebang, type Shebang} from './program.js'
export {expandTokens, searchDirs} from './tokens.js'
export {Sysroot} from './sysroot.js'

// Every file the programs need, why, and what is missing. programs: names looked up on PATH
// (options.searchPath, in the sysroot) or paths. Throws NsToolError (exit 1) for a program that
// cannot be resolved at all, UsageError (exit 2) for options that cannot work together. Missing
// libraries are not errors here: they are in `missing`, for the caller to judge. (ldd's answer,
// for options.resolver ldd, is src/resolve's to pick.)
export async function resolve(programs: string[], options: ResolveOptions = {}): Promise<Closure> {
  const builder = new ClosureBuilder(options)
  for (const name of programs) await builder.addProgram(name)
  // A --file script is the user's file, not a program they named: with the data rules on, one
  // whose interpreter cannot be had is kept as it is and recorded as not closed (expand's unmet),
  // as a data file is; its ELF files are held to their libraries.
  const scripts: string[] = []
  for (const file of options.extraFiles ?? []) {
    if (options.expand && (await builder.isScript(file))) scripts.push(file)
    else await builder.addExtraFile(file)
  }
  if (!options.expand) return builder.result()
  for (;;) {
    const more = await options.expand(builder.result())
    // The scripts' interpreters enter in the first round, so the next one applies the rules to them.
    const entering = scripts.splice(0)
    for (const file of entering) {
      const unmet = await builder.closeEntered(file)
      if (unmet.length > 0) more.unmet(file, unmet)
    }
    if (entering.length === 0 && more.files.length === 0 && more.dlopen.length === 0) return builder.result()
    // What programs dlopen first is loaded before the modules that match against it.
    for (const request of more.dlopen) await builder.addDlopen(request.from, request.sonames)
    for (const file of await programsFirst(builder, more.files)) {
      const unmet = await builder.closeEntered(file)
      if (unmet.length > 0) more.unmet(file, unmet)
    }
  }
}

// The in-sysroot path of a program: a name looked up on PATH as execvp would (inside the
// sysroot), or a path. Throws NsToolError: `ls: not found on PATH (/usr/local/bin:/usr/bin:...)`.
export function findProgram(name: string, options: ResolveOptions = {}): string {
  return findProgramIn(new Sysroot(options.sysroot ?? '/'), name, options.searchPath ?? defaultSearchPath())
}

// Programs before modules: a module's names are matched against what the programs loaded.
async function programsFirst(builder: ClosureBuilder, files: string[]): Promise<string[]> {
  const programs: string[] = []
  const others: string[] = []
  for (const file of files) ((await builder.startsProgram(file)) ? programs : others).push(file)
  return [...programs, ...others]
}
