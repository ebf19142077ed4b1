// Which files of an installed package a program needs at run time: not its documentation,
// manuals, translations, packaging metadata, service integration, build-time files, nor the other
// programs it ships on PATH (each is a program of its own: name it to get it).
import {posix} from 'node:path'
import {NsToolError} from '../errors.js'
import type {InstalledPackage, PackageDatabase} from './packages.js'

// Path prefixes that are never run-time data of a program, by why.
const NOT_RUNTIME: Record<string, string[]> = {
  documentation: ['/usr/share/doc/', '/usr/share/doc-base/', '/usr/share/man/', '/usr/share/info/', '/usr/share/gtk-doc/', '/usr/share/help/'],
  translations: ['/usr/share/locale/', '/usr/share/locale-langpack/'],
  'packaging metadata': ['/usr/share/lintian/', '/usr/share/bug/', '/usr/share/menu/', '/usr/share/debianutils/', '/usr/share/binfmts/', '/usr/lib/binfmt.d/', '/usr/lib/mime/packages/', '/usr/share/applications/', '/usr/share/pixmaps/', '/usr/share/icons/', '/usr/share/metainfo/', '/usr/share/appdata/'],
  'shell completions': ['/usr/share/bash-completion/', '/etc/bash_completion.d/', '/usr/share/zsh/', '/usr/share/fish/'],
  'service integration': ['/etc/init.d/', '/etc/rc0.d/', '/etc/rc1.d/', '/etc/rc2.d/', '/etc/rc3.d/', '/etc/rc4.d/', '/etc/rc5.d/', '/etc/rc6.d/', '/etc/rcS.d/', '/etc/cron.d/', '/etc/cron.daily/', '/etc/cron.weekly/', '/etc/cron.monthly/', '/etc/cron.hourly/', '/etc/logrotate.d/', '/lib/systemd/', '/usr/lib/systemd/', '/etc/systemd/', '/usr/lib/tmpfiles.d/', '/usr/lib/sysusers.d/', '/usr/lib/udev/', '/lib/udev/'],
  'build-time files': ['/usr/include/', '/usr/share/pkgconfig/', '/usr/share/aclocal/', '/usr/lib/debug/'],
  // The tree's loader configuration is the plan's (its own /etc/ld.so.conf and ld.so.cache).
  'loader configuration': ['/etc/ld.so.conf', '/etc/ld.so.conf.d/', '/etc/ld.so.cache'],
  'other programs': ['/usr/bin/', '/usr/sbin/', '/bin/', '/sbin/', '/usr/games/', '/usr/local/bin/', '/usr/local/sbin/'],
}
const NOT_RUNTIME_PREFIXES = Object.values(NOT_RUNTIME).flat()
const ON_PATH = NOT_RUNTIME['other programs']
const NOT_RUNTIME_NAMES = /(^|\/)(changelog|NEWS|changelog\.Debian)(\.gz)?$|\.a$|\/pkgconfig\/[^/]+\.pc$/i

export function isRuntimeFile(path: string): boolean {
  return !NOT_RUNTIME_PREFIXES.some((prefix) => path.startsWith(prefix) || path === prefix.slice(0, -1)) && !NOT_RUNTIME_NAMES.test(path)
}

// The files (not directories: those come as the parents of files) a package ships that are run-time
// data, in the form its file list gives them.
export function runtimeFilesOf(db: PackageDatabase, pkg: InstalledPackage): string[] {
  const files = db.filesOf(pkg)
  // A listed path that another listed path lies under is a directory.
  const dirs = new Set<string>()
  for (const path of files) dirs.add(posix.dirname(path))
  return files.filter((path) => !dirs.has(path) && path !== '/.' && isRuntimeFile(path))
}

// Whether a package ships a program: an ELF file (isElf: of a listed path) or anything on PATH.
// One that does not is data-only: tables, dictionaries, media types.
export function shipsPrograms(db: PackageDatabase, pkg: InstalledPackage, isElf: (path: string) => boolean): boolean {
  const files = db.filesOf(pkg)
  return files.some((path) => ON_PATH.some((dir) => path.startsWith(dir) && path.length > dir.length)) || files.some(isElf)
}

// ISO 639 language, territory, modifier: what a catalogue directory under /usr/share/locale is named.
const LANGUAGE = /^[a-z]{2,3}(_[A-Z]{2})?(@[a-z]+)?$/

// A package's message catalogues for the language LL (--lang de: de, de_DE, de_AT, de@...).
export function cataloguesOf(db: PackageDatabase, pkg: InstalledPackage, language: string): string[] {
  if (!LANGUAGE.test(language)) throw new NsToolError(`--lang ${language}: not a language code (for example de, pt_BR, sr@latin)`, 'invalid')
  const catalogue = new RegExp(`^/usr/share/locale(-langpack)?/${language}([_@.][^/]*)?/LC_MESSAGES/[^/]+\\.mo$`)
  return db.filesOf(pkg).filter((path) => catalogue.test(path))
}
