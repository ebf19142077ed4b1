// The flat layout (copy_exe.sh's tree): programs in /bin, libraries in /lib64 under the name the
// loader asks for, the interpreter at its PT_INTERP path; /etc/ld.so.cache points the loader there.
import {statSync} from 'node:fs'
import {basename, posix} from 'node:path'
import type {Closure} from '../../loader/types.js'
import {closureReason, type EntryMap} from './entries.js'

// A glibc-hwcaps variant's level (x86-64-v3, ...) in its path.
export const HWCAPS_DIR = /\/glibc-hwcaps\/([^/]+)\/[^/]+$/

export function placeFlat(map: EntryMap, sysroot: string, closure: Closure): void {
  for (const file of closure.files) {
    const host = posix.join(sysroot, file.path)
    const stat = statSync(host)
    const mode = stat.mode & 0o7777
    if (file.kind === 'program') {
      map.add({path: posix.join('/bin', basename(file.path)), type: 'file', source: host, mode, reason: 'program'})
    } else if (file.kind === 'interpreter') {
      map.add({path: file.path, type: 'file', source: host, mode, ...closureReason(file)})
    } else {
      const name = file.soname ?? basename(file.path)
      map.add({path: flatLibraryPath(name), type: 'file', source: host, mode, ...closureReason(file)})
      for (const variant of file.variants ?? []) {
        const level = HWCAPS_DIR.exec(variant)?.[1]
        if (level === undefined) continue
        const variantHost = posix.join(sysroot, variant)
        map.add({path: flatLibraryPath(name, level), type: 'file', source: variantHost, mode: statSync(variantHost).mode & 0o7777, reason: 'library (hwcaps variant)'})
      }
    }
  }
}

// Where the flat layout puts a library: /lib64/NAME, a glibc-hwcaps variant under
// /lib64/glibc-hwcaps/LEVEL/.
export function flatLibraryPath(name: string, level?: string): string {
  return level === undefined ? posix.join('/lib64', name) : posix.join('/lib64/glibc-hwcaps', level, name)
}
