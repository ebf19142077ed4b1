// --busybox: a static busybox and one symlink per applet it reports (busybox --list-full).
import {statSync} from 'node:fs'
import {posix, resolve as resolvePath} from 'node:path'
import {describeLookupFailure, NsToolError} from '../../errors.js'
import {findProgramIn} from '../../loader/program.js'
import {Sysroot} from '../../loader/sysroot.js'
import type {EntryMap} from './entries.js'

// A static busybox: the given path, else the one on PATH when it is static.
export function findBusybox(choice: true | string): string {
  let path = typeof choice === 'string' ? resolvePath(choice) : undefined
  if (!path) {
    // The resolver's execvp lookup: a directory this user may not enter is passed over.
    try {
      path = findProgramIn(new Sysroot('/'), 'busybox')
    } catch (error) {
      throw new NsToolError(`${(error as Error).message}; install a static one (Debian/Ubuntu: apt-get install busybox-static) or give --busybox PATH`)
    }
  }
  const found = regularFile(path)
  if (found !== true) throw new NsToolError(`--busybox ${path}: ${found}`)
  return path
}

// true for a regular file, else why not.
function regularFile(path: string): true | string {
  try {
    return statSync(path).isFile() ? true : 'not a regular file'
  } catch (error) {
    return describeLookupFailure(error)
  }
}

async function busyboxApplets(busybox: string): Promise<string[]> {
  const {spawnSync} = await import('node:child_process')
  const listed = spawnSync(busybox, ['--list-full'], {encoding: 'utf8'})
  if (listed.status !== 0) throw new NsToolError(`${busybox} --list-full failed: ${(listed.stderr || listed.error?.message || '').trim()}`)
  return listed.stdout.split('\n').filter(Boolean).map((line) => posix.join('/', line))
}

// busybox at /bin/busybox and a relative link to it for each applet not already in the plan.
// `dirOf` gives the real directory of an in-rootfs directory as the layout places it.
export async function placeBusybox(map: EntryMap, choice: true | string, dirOf: (dir: string) => string): Promise<void> {
  const busybox = findBusybox(choice)
  const home = posix.join(dirOf('/bin'), 'busybox')
  map.add({path: home, type: 'file', source: busybox, mode: statSync(busybox).mode & 0o7777, reason: 'busybox'})
  for (const applet of await busyboxApplets(busybox)) {
    const path = posix.join(dirOf(posix.dirname(applet)), posix.basename(applet))
    if (map.has(path) || path === home) continue
    map.add({path, type: 'symlink', target: posix.relative(posix.dirname(path), home), reason: 'busybox applet'})
  }
}
