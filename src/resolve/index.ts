// Resolution as asked: the loaders emulated from ELF headers (src/loader, the default) or the
// host's ldd, run and parsed (src/ldd). Both answer with the same closure; only this picks one.
import type {Closure, ResolveOptions} from '../loader/types.js'

// Every file the programs need, why, and what is missing (see src/loader/index.ts).
export async function resolve(programs: string[], options: ResolveOptions = {}): Promise<Closure> {
  if (options.resolver === 'ldd') return (await import('../ldd/resolver.js')).resolveWithLdd(programs, options)
  return (await import('../loader/index.js')).resolve(programs, options)
}
