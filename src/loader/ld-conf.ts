// /etc/ld.so.conf as ldconfig reads it (glibc elf/ldconfig.c parse_conf): one directory per line,
// "#" comments, "include PATTERN..." with glob patterns (relative ones from the including file's
// directory), "hwcap" lines ignored. Used when a sysroot has no ld.so.cache: these are the
// directories `ldconfig -r SYSROOT` would put in the cache.
import {readdirSync, readFileSync} from 'node:fs'
import {posix} from 'node:path'
import type {Sysroot} from './sysroot.js'

// ldconfig has no limit but a cycle would never end; real configurations nest one or two deep.
const MAX_INCLUDE_DEPTH = 16

export interface LdConf {
  // Directories in order, duplicates removed, trailing slashes stripped.
  dirs: string[]
  // Every configuration file read, in order.
  files: string[]
}

// Pure part: the lines of one file, as directories and include patterns.
export type LdConfLine = {dir: string} | {include: string[]}

export function parseLdConfText(text: string): LdConfLine[] {
  const lines: LdConfLine[] = []
  for (const raw of text.split('\n')) {
    const hash = raw.indexOf('#')
    const line = (hash === -1 ? raw : raw.slice(0, hash)).trim()
    if (line === '') continue
    if (/^include[ \t]/.test(line)) {
      const patterns = line.slice(7).split(/[ \t]+/).filter(Boolean)
      if (patterns.length > 0) lines.push({include: patterns})
      continue
    }
    if (/^hwcap[ \t]/i.test(line)) continue
    // "DIR=TYPE" is the old libc5 syntax: the type is ignored, the directory kept.
    let dir = line.includes('=') ? line.slice(0, line.indexOf('=')).trim() : line
    dir = dir.replace(/\/+$/, '')
    if (dir === '') dir = '/'
    lines.push({dir})
  }
  return lines
}

// Reads SYSROOT/etc/ld.so.conf and its includes. A missing file gives no directories.
export function readLdConf(sysroot: Sysroot, path = '/etc/ld.so.conf'): LdConf {
  const conf: LdConf = {dirs: [], files: []}
  readInto(sysroot, path, conf, 0)
  return conf
}

function readInto(sysroot: Sysroot, path: string, conf: LdConf, depth: number): void {
  if (depth > MAX_INCLUDE_DEPTH) return
  const file = sysroot.openable(path)
  if (!file) return
  let text: string
  try {
    text = readFileSync(sysroot.hostPath(file.real), 'utf8')
  } catch {
    return
  }
  conf.files.push(path)
  for (const line of parseLdConfText(text)) {
    if ('dir' in line) {
      if (!conf.dirs.includes(line.dir)) conf.dirs.push(line.dir)
      continue
    }
    for (const pattern of line.include) {
      const absolute = pattern.startsWith('/') ? pattern : posix.join(posix.dirname(path), pattern)
      for (const included of globInSysroot(sysroot, absolute)) readInto(sysroot, included, conf, depth + 1)
    }
  }
}

// glob(3) for patterns with *, ? and [...] in any component, sorted, no leading-dot matches.
export function globInSysroot(sysroot: Sysroot, pattern: string): string[] {
  let matches = ['/']
  for (const part of pattern.split('/').filter(Boolean)) {
    const next: string[] = []
    if (!/[*?[]/.test(part)) {
      for (const base of matches) next.push(posix.join(base, part))
    } else {
      const regex = globPartToRegExp(part)
      for (const base of matches) {
        let names: string[]
        try {
          names = readdirSync(sysroot.hostPath(sysroot.realpath(base))).sort()
        } catch {
          continue
        }
        for (const name of names) if (regex.test(name)) next.push(posix.join(base, name))
      }
    }
    matches = next
  }
  // glob(3) without GLOB_NOCHECK returns only existing paths.
  return matches.filter((m) => {
    try {
      sysroot.realpath(m)
      return true
    } catch {
      return false
    }
  })
}

function globPartToRegExp(part: string): RegExp {
  let source = part.startsWith('.') ? '' : '(?!\\.)'
  for (let i = 0; i < part.length; i++) {
    const c = part[i]
    if (c === '*') source += '[^/]*'
    else if (c === '?') source += '[^/]'
    else if (c === '[') {
      const close = part.indexOf(']', i + 2)
      if (close === -1) {
        source += '\\['
        continue
      }
      let body = part.slice(i + 1, close)
      if (body.startsWith('!')) body = '^' + body.slice(1)
      source += '[' + body.replace(/\\/g, '\\\\') + ']'
      i = close
    } else source += c.replace(/[.+^${}()|\\]/g, '\\$&')
  }
  return new RegExp(`^${source}$`)
}
