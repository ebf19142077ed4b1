// Resolution as asked: the loaders emulated from ELF headers (src/loader, the default) or the
// host's ldd, run and parsed (src/ldd). Both answer with the same closure; only this picks one.
import type {Closure, ResolveOptions} from '../loader/types.js'

// Every file the programs need, why, and what is missing (see src/loader/index.ts).
export async function resolve(programs: string[], options: ResolveOptions = {}): Promise<Closure> {
  if (options.resolver === 'ldd') {
    const {resolveWithLdd} = await import('../ldd/resolver.js')
    // ldd has no link map to extend: each round of options.expand resolves again with the files
    // asked for so far (a dlopen'd name has no path ldd could be given).
    const extraFiles = [...(options.extraFiles ?? [])]
    let closure = await resolveWithLdd(programs, {...options, extraFiles})
    for (let more = await options.expand?.(closure); more && more.files.length > 0; more = await options.expand?.(closure)) {
      extraFiles.push(...more.files)
      closure = await resolveWithLdd(programs, {...options, extraFiles})
    }
    return closure
  }
  return (await import('../loader/index.js')).resolve(programs, options)
}
