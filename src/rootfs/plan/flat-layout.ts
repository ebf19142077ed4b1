// The flat layout (copy_exe.sh's tree): programs in /bin, libraries in /lib64 under the name the
// loader asks for, the interpreter at its PT_INTERP path; /etc/ld.so.cache points the loader there.
import {basename, posix} from 'node:path'
import {Sysroot} from '../../loader/sysroot.js'
import type {Closure} from '../../loader/types.js'
import {NsToolError} from '../../errors.js'
import {closureReason, type EntryMap} from './entries.js'

// A glibc-hwcaps variant's level (x86-64-v3, ...) in its path.
export const HWCAPS_DIR = /\/glibc-hwcaps\/([^/]+)\/[^/]+$/

// Each file is copied from its real file, its links followed inside the sysroot as the loader
// there follows them (an absolute link /lib64/ld-linux-x86-64.so.2 -> /lib/... stays inside).
export function placeFlat(map: EntryMap, sysroot: string, closure: Closure): void {
  const root = new Sysroot(sysroot)
  const source = (path: string) => {
    const file = root.file(path)
    if (!file) throw new NsToolError(`${path}: not a regular file in ${sysroot} (its links lead nowhere)`)
    return {host: root.hostPath(file.real), mode: file.stats.mode & 0o7777}
  }
  for (const file of closure.files) {
    const {host, mode} = source(file.path)
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
        const copy = source(variant)
        map.add({path: flatLibraryPath(name, level), type: 'file', source: copy.host, mode: copy.mode, reason: 'library (hwcaps variant)'})
      }
    }
  }
}

// Where the flat layout puts a library: /lib64/NAME, a glibc-hwcaps variant under
// /lib64/glibc-hwcaps/LEVEL/.
export function flatLibraryPath(name: string, level?: string): string {
  return level === undefined ? posix.join('/lib64', name) : posix.join('/lib64/glibc-hwcaps', level, name)
}
