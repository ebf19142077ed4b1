// ldd's output, parsed (the copy_exe.sh way of finding libraries). ldd is a shell script that runs
// the loader with LD_TRACE_LOADED_OBJECTS=1; with several files it prints "FILE:" before each
// section. Its stderr is merged into stdout, in order, so that errors land in their section.
import {NsToolError} from '../errors.js'

// One line of a section.
export type LddLine =
  // linux-vdso.so.1 (0x...): the kernel's vDSO, no file.
  | {type: 'vdso'; name: string}
  // libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)
  | {type: 'library'; name: string; path: string}
  // /lib64/ld-linux-x86-64.so.2 (0x...): an object loaded by the path it was asked for: the
  // interpreter, a DT_NEEDED with a "/", or a preloaded library.
  | {type: 'path'; path: string}
  // libx.so.1 => not found
  | {type: 'not-found'; name: string}
  | {type: 'statically-linked'}
  | {type: 'not-dynamic'}
  // ldd: /x: No such file or directory; ldd: /x: not regular file; read permission errors.
  | {type: 'error'; message: string}
  // ERROR: ld.so: object 'X' from /etc/ld.so.preload cannot be preloaded (...): ignored.
  | {type: 'preload-error'; object: string; source: string; message: string}
  // Anything else the loader printed (version warnings, "ldd: warning: ..."), kept verbatim.
  | {type: 'other'; text: string}

export interface LddSection {
  file: string
  lines: LddLine[]
}

const ADDRESS = String.raw`\(0x[0-9a-fA-F]+\)`
const LIBRARY = new RegExp(String.raw`^(.+?) => (.*?) ?${ADDRESS}$`)
const BARE = new RegExp(String.raw`^(.+?) ${ADDRESS}$`)
const NOT_FOUND = /^(.+?) => not found$/
const PRELOAD_ERROR = /^ERROR: ld\.so: object '(.*)' from (.+?) cannot be preloaded \((.*)\): ignored\.$/
// musl's loader in ldd mode, for a library it cannot open.
const MUSL_NOT_LOADED = /^Error loading shared library (.+?): No such file or directory \(needed by .+\)$/

export function parseLddLine(raw: string): LddLine | undefined {
  const line = raw.replace(/\r$/, '')
  if (line.trim() === '') return undefined
  const preload = line.match(PRELOAD_ERROR)
  if (preload) return {type: 'preload-error', object: preload[1], source: preload[2], message: preload[3]}
  const muslMissing = line.match(MUSL_NOT_LOADED)
  if (muslMissing) return {type: 'not-found', name: muslMissing[1]}
  if (line.startsWith('ldd: warning:')) return {type: 'other', text: line}
  if (line.startsWith('ldd: ')) return {type: 'error', message: line.slice(5)}
  if (!line.startsWith('\t')) return {type: 'other', text: line}
  const body = line.slice(1)
  if (body === 'statically linked') return {type: 'statically-linked'}
  if (body === 'not a dynamic executable') return {type: 'not-dynamic'}
  const notFound = body.match(NOT_FOUND)
  if (notFound) return {type: 'not-found', name: notFound[1]}
  const library = body.match(LIBRARY)
  if (library) {
    // Old glibc printed the vDSO as "linux-vdso.so.1 =>  (0x...)".
    if (library[2] === '') return {type: 'vdso', name: library[1]}
    return {type: 'library', name: library[1], path: library[2]}
  }
  const bare = body.match(BARE)
  if (bare) return bare[1].includes('/') ? {type: 'path', path: bare[1]} : {type: 'vdso', name: bare[1]}
  return {type: 'other', text: line}
}

// Splits ldd's merged output into one section per file. `files` are the arguments in order: ldd
// prints "FILE:" for each when given more than one, and nothing when given one.
export function parseLddOutput(output: string, files: readonly string[]): LddSection[] {
  const sections: LddSection[] = files.map((file) => ({file, lines: []}))
  if (sections.length === 0) return sections
  let current = files.length === 1 ? 0 : -1
  for (const raw of output.split('\n')) {
    const next = current + 1
    if (files.length > 1 && next < files.length && raw === `${files[next]}:`) {
      current = next
      continue
    }
    const line = parseLddLine(raw)
    if (!line) continue
    // Output before the first header (cannot happen with ldd itself) is attributed to the first file.
    sections[Math.max(current, 0)].lines.push(line)
  }
  return sections
}

// The preload list the loader reads (/etc/ld.so.preload): names separated by whitespace or ":".
export function parsePreloadList(text: string): string[] {
  return text
    .split('\n')
    .map((line) => line.replace(/#.*/, ''))
    .join(' ')
    .split(/[\s:]+/)
    .filter(Boolean)
}

// musl's ldd is its loader in list mode: one program at a time, the same line formats.
export async function runMuslList(loader: string, file: string, env: Record<string, string | undefined> = {}): Promise<LddSection> {
  const {execa} = await import('execa')
  const result = await execa('sh', ['-c', 'exec "$0" --list -- "$1" 2>&1', loader, file], {
    env: {...process.env, LD_PRELOAD: undefined, LD_LIBRARY_PATH: undefined, ...env},
    extendEnv: false,
    reject: false,
    stdin: 'ignore',
    stripFinalNewline: false,
  })
  if (result.failed && result.exitCode === undefined) throw new NsToolError(`${loader} could not be run: ${result.shortMessage}`)
  return parseLddOutput(String(result.stdout), [file])[0]
}

// Runs ldd on files, in batches run side by side, and returns one section per file in order.
// LD_PRELOAD is removed from ldd's environment so that only /etc/ld.so.preload can add noise.
export async function runLdd(
  files: readonly string[],
  options: {batchSize?: number; parallel?: number; env?: Record<string, string | undefined>} = {},
): Promise<LddSection[]> {
  if (files.length === 0) return []
  const {execa} = await import('execa')
  const {availableParallelism} = await import('node:os')
  const batchSize = options.batchSize ?? 100
  const parallel = options.parallel ?? Math.max(1, availableParallelism())
  const batches: string[][] = []
  for (let i = 0; i < files.length; i += batchSize) batches.push(files.slice(i, i + batchSize))
  // LD_LIBRARY_PATH only when the caller passes one (the user asked for it).
  const env: Record<string, string | undefined> = {...process.env, LD_PRELOAD: undefined, LD_LIBRARY_PATH: undefined, LC_ALL: 'C', LANG: 'C', LANGUAGE: undefined, ...options.env}
  const results: LddSection[][] = new Array(batches.length)
  let nextBatch = 0
  const worker = async (): Promise<void> => {
    while (nextBatch < batches.length) {
      const index = nextBatch++
      const batch = batches[index]
      // sh merges ldd's stderr into the same pipe, so the error lines keep their place.
      const result = await execa('sh', ['-c', 'exec ldd -- "$@" 2>&1', 'ldd', ...batch], {
        env,
        extendEnv: false,
        reject: false,
        stdin: 'ignore',
        stripFinalNewline: false,
      })
      if (result.failed && result.exitCode === undefined) throw new NsToolError(`ldd could not be run: ${result.shortMessage}`)
      if (result.exitCode === 127) throw new NsToolError('ldd is not installed (it comes with the C library: install libc-bin)', 'not-found')
      results[index] = parseLddOutput(String(result.stdout), batch)
    }
  }
  await Promise.all(Array.from({length: Math.min(parallel, batches.length)}, worker))
  return results.flat()
}
