// Reading ELF headers for the resolver: each file once (by its real path), through src/elf,
// loaded lazily so that commands which never resolve do not pay for it.
import {ElfError, type ElfObject} from '../elf/types.js'

export interface ElfModule {
  readElf(path: string): Promise<ElfObject>
  readElfSync?: (path: string) => ElfObject
}

let elfModule: Promise<ElfModule> | undefined

function loadElfModule(): Promise<ElfModule> {
  elfModule ??= import('../elf/index.js') as Promise<ElfModule>
  return elfModule
}

// The reader's answer for one file: the object, or the typed error it threw.
export type ElfRead = ElfObject | ElfError

export class ElfSource {
  private readonly cache = new Map<string, ElfRead | Promise<ElfRead>>()
  private module?: ElfModule

  // reader: another implementation of src/elf's API (default: src/elf itself, loaded lazily).
  constructor(reader?: ElfModule) {
    this.module = reader
  }

  // hostPath: the file to open (sysroot + real path); one read per distinct path.
  async read(hostPath: string): Promise<ElfRead> {
    const cached = this.cache.get(hostPath)
    if (cached !== undefined) return cached
    const module = this.module ?? (this.module = await loadElfModule())
    let pending: ElfRead | Promise<ElfRead>
    if (module.readElfSync) {
      pending = settle(() => module.readElfSync!(hostPath), hostPath)
    } else {
      pending = module.readElf(hostPath).then(
        (elf) => elf,
        (error: unknown) => asElfError(error, hostPath),
      )
    }
    this.cache.set(hostPath, pending)
    const result = await pending
    this.cache.set(hostPath, result)
    return result
  }
}

function settle(read: () => ElfObject, hostPath: string): ElfRead {
  try {
    return read()
  } catch (error) {
    return asElfError(error, hostPath)
  }
}

function asElfError(error: unknown, hostPath: string): ElfError {
  if (error instanceof ElfError) return error
  // An ElfError from another copy of src/elf/types (tsx and dist side by side) is still one.
  const typed = error as Partial<ElfError> | undefined
  if (typed?.name === 'ElfError' && typeof typed.code === 'string') return typed as ElfError
  // The reader promises typed errors only; anything else is reported as unreadable, not thrown.
  return new ElfError('io', hostPath, (error as Error)?.message ?? String(error))
}
