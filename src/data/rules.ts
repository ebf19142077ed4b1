// The data rules: ONE table of what programs need that no ELF header and no package names, each
// entry with its trigger (a symbol a named program imports, a library in the closure, an
// interpreter) and the host paths it brings. Every entry has a test in test/data/rules.test.ts.
import {posix} from 'node:path'
import {readElfSections} from '../elf/sections.js'
import {findProgramIn, ROOT_PATH} from '../loader/program.js'
import type {Sysroot} from '../loader/sysroot.js'
import {UsageError} from '../errors.js'
import {compiledLocale} from './locales.js'
import {binaryPaths, readText} from './binary-text.js'
import {cataloguesOf, runtimeFilesOf} from './package-files.js'
import {dataPackages, libraryPackages, translatedPackages} from './package-relations.js'
import type {PackageDatabase} from './packages.js'

// A program named on the command line, or a #! interpreter one of them runs.
export interface NamedProgram {
  path: string
  // Its real path (in the sysroot): python3 -> /usr/bin/python3.11.
  real: string
  // Dynamic symbols it imports (empty for a script).
  imports: Set<string>
}

export interface RuleContext {
  sysroot: Sysroot
  programs: NamedProgram[]
  // Every library of the closure, by path.
  libraries: string[]
  // The tree's /etc/nsswitch.conf.
  nsswitch: string
  // The sysroot's package database, for the rules that read it (absent: they do not apply).
  packages?: PackageDatabase
  // Compiled locales (--locale) and message catalogues' languages (--lang) asked for.
  locales?: string[]
  langs?: string[]
}

// A host path a rule brings: a file, a link, or with `tree` a directory and all it holds (minus
// what `skip` matches, tested against the path relative to the directory). Absent paths are skipped.
export interface PathSpec {
  path: string
  tree?: boolean
  skip?: RegExp
  // A program the tree runs (a helper): it gets its interpreter as well as its ELF closure.
  runs?: boolean
  // Why this path, when the rule's trigger does not say (which package, which helper).
  why?: string
}

export interface DataRule {
  // What --skip-rule names it by.
  id: string
  name: string
  // What it brings and why a program needs it.
  doc: string
  // Why it applies to this closure (e.g. "bash imports iconv_open"); undefined when it does not.
  trigger(context: RuleContext): string | undefined
  paths(context: RuleContext): PathSpec[]
}

const PYTHON = /^python(\d+)\.(\d+)$/
const LIBPYTHON = /^libpython(\d+)\.(\d+)[a-z]*\.so/
const PERL = /^perl(5[\d.]*)?$/
// Parts of a python prefix that no program imports at run time: the test suite, IDLE, Tk (its
// extension links X11), the build-time config directory and bytecode caches (written on demand).
const PYTHON_SKIP = /(^|\/)(test|tests|idlelib|tkinter|turtledemo|__pycache__|config-[^/]+)(\/|$)|^lib-dynload\/_tkinter\./
// Perl's documentation and the headers for building XS modules.
const PERL_SKIP = /\.pod$|(^|\/)pod(\/|$)|(^|\/)CORE(\/|$)/
// A library or a loader (modules are not named lib*): libm.so.6, libfoo.so, ld-linux-x86-64.so.2.
const SHARED_LIBRARY = /^(lib|ld)[^/]*\.so(\.[\d.]+)?$/
const TLS_LIBRARY = /^lib(ssl|gnutls|mbedtls|wolfssl)\.so/
const CURSES_LIBRARY = /^lib(tinfo|tinfow|ncurses|ncursesw)\.so/
// The legacy charsets converted most often (Latin-1, Latin-9, Windows-1252); UTF-8 and UCS-2/4
// are built into glibc; the iconv program itself gets every module.
const COMMON_GCONV = ['ISO8859-1.so', 'ISO8859-15.so', 'CP1252.so']
// The terminals a tree is most likely driven from (terminal emulators, multiplexers, the console).
const COMMON_TERMINALS = ['x/xterm', 'x/xterm-256color', 'x/xterm-color', 'v/vt100', 'v/vt220', 'l/linux', 's/screen', 's/screen-256color', 't/tmux', 't/tmux-256color', 'd/dumb', 'a/ansi', 'r/rxvt-unicode-256color']
const TERMINFO_DIRS = ['/etc/terminfo', '/lib/terminfo', '/usr/share/terminfo']
// Services glibc >= 2.34 has built in (libc then defines their functions; before, and for any
// other service, nsswitch.conf's NAME is a module libnss_NAME.so.2).
const BUILTIN_NSS: Record<string, string> = {files: '_nss_files_getpwnam_r', dns: '_nss_dns_gethostbyname4_r'}

const importer = (symbols: string[]) => (context: RuleContext) => {
  for (const program of context.programs) {
    const symbol = symbols.find((name) => program.imports.has(name))
    if (symbol) return `${posix.basename(program.path)} imports ${symbol}`
  }
  return undefined
}

const library = (pattern: RegExp) => (context: RuleContext) => {
  const found = context.libraries.find((path) => pattern.test(posix.basename(path)))
  return found && `${posix.basename(found)} is in the closure`
}

const interpreter = (pattern: RegExp) => (context: RuleContext) => context.programs.find((program) => pattern.test(posix.basename(program.real)))

function libcPath(context: RuleContext): string | undefined {
  return context.libraries.find((path) => posix.basename(path) === 'libc.so.6')
}

// glibc's directory (its libnss_* modules lie beside it).
function libcDir(context: RuleContext): string | undefined {
  const libc = libcPath(context)
  return libc && posix.dirname(libc)
}

// The absolute paths compiled into glibc (its gconv and locale directories), read once per libc.
const libcStrings = new Map<string, string[]>()
function libcPaths(context: RuleContext): string[] {
  const libc = libcPath(context)!
  const key = `${context.sysroot.root}\0${libc}`
  let paths = libcStrings.get(key)
  if (paths === undefined) libcStrings.set(key, (paths = binaryPaths(context.sysroot.hostPath(context.sysroot.realpath(libc)))))
  return paths
}

// Where glibc looks for gconv modules: the directory compiled into it, wherever the libc itself
// lies (the flat layout's /lib64).
function gconvDir(context: RuleContext): string {
  return libcPaths(context).find((path) => path.endsWith('/gconv')) ?? posix.join(posix.dirname(libcPath(context)!), 'gconv')
}

// Where glibc looks for compiled locales: the directory of its locale-archive.
function localeDir(context: RuleContext): string {
  const archive = libcPath(context) && libcPaths(context).find((path) => path.endsWith('/locale-archive'))
  return archive ? posix.dirname(archive) : '/usr/lib/locale'
}

// Programs known to run others by name (found on PATH as a root shell's), by the program's name.
const HELPERS: Record<string, string[]> = {
  // Its compressors (-z, -j, -J, --zstd, and by the archive's suffix with -a).
  tar: ['gzip', 'bzip2', 'xz', 'zstd'],
  // The agent that holds the keys; gpg starts it.
  gpg: ['gpg-agent'],
  gpgsm: ['gpg-agent'],
  // man-db's formatting pipeline (preconv | tbl | nroff, troff | grotty), its decompressor, the
  // charset tools it asks and its pager.
  man: ['preconv', 'tbl', 'eqn', 'nroff', 'groff', 'troff', 'grotty', 'col', 'gzip', 'iconv', 'locale', 'pager'],
}

export const DATA_RULES: DataRule[] = [
  {
    id: 'python-stdlib',
    name: 'python standard library',
    doc: "python's PREFIX/lib/pythonX.Y (the landmark os.py, encodings, lib-dynload with the extension modules and their libraries), for a python interpreter and for a program that embeds python (gdb links libpython3.11); not its tests, IDLE, Tk, build config nor __pycache__",
    trigger: (context) => {
      const found = interpreter(PYTHON)(context)
      return found ? `${posix.basename(found.real)} is a python interpreter` : library(LIBPYTHON)(context)
    },
    paths: (context) => pythonLibs(context).map((path) => ({path, tree: true, skip: PYTHON_SKIP})),
  },
  {
    id: 'perl-core',
    name: 'perl core modules',
    doc: "perl's core @INC directories: where Config.pm lies, and its archlibexp and privlibexp (found in the @INC paths compiled into perl, read from the binary); not pod nor CORE headers",
    trigger: (context) => {
      const found = interpreter(PERL)(context)
      return found && `${posix.basename(found.real)} is a perl interpreter`
    },
    paths: (context) => {
      // The @INC list is compiled into perl, or into libperl where perl links it.
      const binaries = [...context.programs.filter((program) => PERL.test(posix.basename(program.real))).map((program) => program.real), ...context.libraries.filter((path) => /^libperl\.so/.test(posix.basename(path)))]
      return perlCoreDirs(context.sysroot, binaries)
    },
  },
  {
    id: 'gconv-all',
    name: 'gconv modules (all)',
    doc: 'every gconv module and its configuration, for the iconv program whose job is converting',
    trigger: (context) => {
      const found = context.programs.find((program) => posix.basename(program.real) === 'iconv' && program.imports.has('iconv_open'))
      return found && libcPath(context) ? 'iconv converts between charsets' : undefined
    },
    paths: (context) => [{path: gconvDir(context), tree: true}],
  },
  {
    id: 'gconv',
    name: 'gconv modules',
    doc: "glibc's gconv module cache (and the base configuration, read when there is no cache) and the modules of the commonest legacy charsets, for programs that call iconv_open (glibc loads them with dlopen)",
    trigger: (context) => (libcPath(context) ? importer(['iconv_open'])(context) : undefined),
    paths: (context) => {
      const dir = gconvDir(context)
      return [
        {path: posix.join(dir, 'gconv-modules')},
        {path: posix.join(dir, 'gconv-modules.cache')},
        ...COMMON_GCONV.map((name) => ({path: posix.join(dir, name)})),
      ]
    },
  },
  {
    id: 'ca-certificates',
    name: 'CA certificates',
    doc: 'the CA bundle, for a TLS library to verify peers',
    trigger: library(TLS_LIBRARY),
    paths: () => ['/etc/ssl/certs/ca-certificates.crt', '/usr/lib/ssl/cert.pem', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'].map((path) => ({path})),
  },
  {
    id: 'openssl-config',
    name: 'OpenSSL configuration',
    doc: 'openssl.cnf, which libcrypto reads when it starts (openssl req needs its [req] section)',
    trigger: library(/^libcrypto\.so/),
    paths: () => ['/usr/lib/ssl/openssl.cnf', '/etc/ssl/openssl.cnf', '/etc/pki/tls/openssl.cnf'].map((path) => ({path})),
  },
  {
    id: 'terminfo',
    name: 'terminfo',
    doc: 'the descriptions curses reads of the common terminals (xterm, xterm-256color, screen, tmux, linux, vt100...), from each terminfo directory',
    trigger: library(CURSES_LIBRARY),
    paths: () => TERMINFO_DIRS.flatMap((dir) => COMMON_TERMINALS.map((name) => ({path: posix.join(dir, name)}))),
  },
  {
    id: 'nss-modules',
    name: 'NSS modules',
    doc: 'the libnss_NAME.so.2 module of each service the tree\'s nsswitch.conf names (glibc loads them with dlopen; files and dns are built in since glibc 2.34, separate modules before)',
    trigger: (context) => (libcDir(context) && nssServices(context.nsswitch).some((service) => !BUILTIN_NSS[service]) ? `nsswitch.conf names ${nssServices(context.nsswitch).join(', ')}` : undefined),
    paths: (context) => {
      const dir = libcDir(context)!
      const libc = new Set(readElfSections(context.sysroot.hostPath(context.sysroot.realpath(posix.join(dir, 'libc.so.6')))).exports)
      return nssServices(context.nsswitch).filter((service) => !libc.has(BUILTIN_NSS[service])).map((service) => ({path: posix.join(dir, `libnss_${service}.so.2`)}))
    },
  },
  {
    id: 'magic',
    name: 'magic database',
    doc: "libmagic's compiled database and the local magic files",
    trigger: library(/^libmagic\.so/),
    paths: () => ['/usr/share/misc/magic.mgc', '/usr/share/file/magic.mgc', '/usr/lib/file/magic.mgc', '/etc/magic', '/etc/magic.mime'].map((path) => ({path})),
  },
  {
    id: 'zoneinfo',
    name: 'zoneinfo',
    doc: 'the time zone database and /etc/localtime, for programs that convert times to local time (TZ=Asia/Tokyo date); not its right/ and posix/ variants nor the tzdata sources',
    trigger: importer(['tzset', 'localtime', 'localtime_r', 'mktime']),
    paths: () => [{path: '/etc/localtime'}, {path: '/usr/share/zoneinfo', tree: true, skip: /^(right|posix)(\/|$)|^(tzdata\.zi|leapseconds|leap-seconds\.list|[^/]+\.tab)$/}],
  },
  {
    id: 'services',
    name: 'services and protocols',
    doc: '/etc/services and /etc/protocols, which glibc reads to name ports and protocols',
    trigger: importer(['getservbyname', 'getservbyport', 'getservent', 'getaddrinfo', 'getprotobyname', 'getprotobynumber']),
    paths: () => [{path: '/etc/services'}, {path: '/etc/protocols'}],
  },
  {
    id: 'system-shell',
    name: 'shell for system(3)',
    doc: '/bin/sh, which system(3) and popen(3) run',
    trigger: importer(['system', 'popen']),
    paths: () => [{path: '/bin/sh'}],
  },
  {
    id: 'library-packages',
    name: 'library packages',
    doc: "the run-time files of the package of every library in the closure, as for a program's own package (libtcl's init.tcl, libruby's standard library and extension modules, a library's configuration under /etc); not the other libraries the package ships (lib*.so*: they come when something loads them), nor its executables (a library runs none of them: they serve its packaging), nor glibc's gconv modules and python's library (their rules choose)",
    trigger: (context) => (libraryPackages(context).length > 0 ? 'libraries of the closure come from packages' : undefined),
    paths: (context) => {
      const chosen = chosenElsewhere(context)
      return libraryPackages(context).flatMap(({pkg, library}) =>
        runtimeFilesOf(context.packages!, pkg)
          .filter((path) => !SHARED_LIBRARY.test(posix.basename(path)) && !chosen.some((dir) => context.packages!.canonical(path).startsWith(dir)) && !isExecutable(context.sysroot, path))
          .map((path) => ({path, why: `package ${pkg.name} (of ${posix.basename(library)})`})),
      )
    },
  },
  {
    id: 'data-packages',
    name: 'data packages',
    doc: 'the run-time files of the data-only packages (Architecture: all, no ELF file, no program) that the packages of the programs and libraries Depend on, Pre-Depend on or Recommend (media-types, dictionaries, shared tables), the first installed of alternatives; followed through the packages built from the same source (python3.11-minimal Recommends python3.11, which Depends on media-types)',
    trigger: (context) => (dataPackages(context).length > 0 ? 'packages of the tree depend on data-only packages' : undefined),
    paths: (context) => dataPackages(context).flatMap(({pkg, why}) => runtimeFilesOf(context.packages!, pkg).map((path) => ({path, why: `package ${pkg.name} (${why})`}))),
  },
  {
    id: 'helpers',
    name: 'helper programs',
    doc: `the programs a program is known to run, where installed (${Object.entries(HELPERS).map(([program, helpers]) => `${program}: ${helpers.join(' ')}`).join('; ')}), each as a program (its closure, its interpreter) with its package's run-time files`,
    trigger: (context) => {
      const found = helpersOf(context)[0]
      return found && `${found.program} runs ${found.helper}`
    },
    paths: (context) =>
      helpersOf(context).flatMap(({program, helper, path}) => {
        const why = `${program} runs ${helper}`
        const real = context.sysroot.realpath(path)
        const own = [...new Set([path, real])].map((each) => ({path: each, runs: true, why}))
        const pkg = context.packages?.ownerOf(real)
        return [...own, ...(pkg ? runtimeFilesOf(context.packages!, pkg).map((file) => ({path: file, why: `package ${pkg.name} (of ${helper}, which ${program} runs)`})) : [])]
      }),
  },
  {
    id: 'c-utf8',
    name: 'C.UTF-8 locale',
    doc: "glibc's compiled C.utf8 locale (LC_ALL=C.UTF-8: UTF-8 text with C's rules), wherever glibc is in the tree",
    trigger: (context) => (libcPath(context) ? 'libc.so.6 is in the closure' : undefined),
    paths: (context) => {
      const dir = posix.join(localeDir(context), 'C.utf8')
      return context.sysroot.isDirectory(dir) ? [{path: dir, tree: true}] : []
    },
  },
  {
    id: 'locales',
    name: 'compiled locales',
    doc: "the compiled locales --locale names (its directory under glibc's locale directory, or the locale-archive that holds it); an error says how to compile one that is not",
    trigger: (context) => (context.locales?.length ? `--locale ${context.locales.join(' --locale ')}` : undefined),
    paths: (context) => (context.locales ?? []).map((name) => ({...compiledLocale(context.sysroot, localeDir(context), name), why: `--locale ${name}`})),
  },
  {
    id: 'lang',
    name: 'message catalogues',
    doc: 'the message catalogues (/usr/share/locale/LL*/LC_MESSAGES/*.mo) of the languages --lang names, from the packages of the programs and libraries and their translation packages (built from the same source: libc-l10n for libc6)',
    trigger: (context) => (context.langs?.length && context.packages ? `--lang ${context.langs.join(' --lang ')}` : undefined),
    paths: (context) => {
      const packages = translatedPackages(context)
      return (context.langs ?? []).flatMap((language) => packages.flatMap((pkg) => cataloguesOf(context.packages!, pkg, language).map((path) => ({path, why: `--lang ${language}, package ${pkg.name}`}))))
    },
  },
]

// A regular file with an execute bit (a program or a script; modules are not executable).
function isExecutable(sysroot: Sysroot, path: string): boolean {
  const file = sysroot.openable(path)
  return file !== undefined && (file.stats.mode & 0o111) !== 0
}

// Directories whose contents another rule chooses from (gconv modules, python's library), as
// canonical prefixes: the package rules leave them to it.
function chosenElsewhere(context: RuleContext): string[] {
  const dirs = [...(libcPath(context) ? [gconvDir(context)] : []), ...pythonLibs(context)]
  return dirs.map((dir) => context.packages!.canonical(dir) + '/')
}

function helpersOf(context: RuleContext): Array<{program: string; helper: string; path: string}> {
  const found: Array<{program: string; helper: string; path: string}> = []
  for (const program of context.programs) {
    const name = [posix.basename(program.path), posix.basename(program.real)].find((each) => Object.hasOwn(HELPERS, each))
    for (const helper of name ? HELPERS[name] : []) {
      try {
        found.push({program: name!, helper, path: findProgramIn(context.sysroot, helper, ROOT_PATH)})
      } catch {
        // Not installed: the program does without it, or says so.
      }
    }
  }
  return found
}

// The PREFIX/lib/pythonX.Y of each python: an interpreter's own, and an embedded one's (the prefix
// compiled into libpython, or where the library lies; known per library: it is read whole).
const embeddedPythons = new Map<string, string | undefined>()
function pythonLibs(context: RuleContext): string[] {
  const {sysroot} = context
  const found = context.programs.map((program) => {
    const version = PYTHON.exec(posix.basename(program.real))
    return version ? pythonLib(sysroot, [posix.dirname(posix.dirname(program.real))], version) : undefined
  })
  for (const path of context.libraries) {
    const version = LIBPYTHON.exec(posix.basename(path))
    if (!version) continue
    const key = `${sysroot.root}\0${path}`
    if (!embeddedPythons.has(key)) {
      const dir = posix.dirname(path)
      embeddedPythons.set(key, pythonLib(sysroot, [...binaryPaths(sysroot.hostPath(sysroot.realpath(path))), posix.dirname(dir), posix.dirname(posix.dirname(dir))], version))
    }
    found.push(embeddedPythons.get(key))
  }
  return [...new Set(found.filter((path) => path !== undefined))]
}

// PREFIX/lib/pythonX.Y of the first prefix that has its landmark os.py (the first prefix, when
// none has: an interpreter's own).
function pythonLib(sysroot: Sysroot, prefixes: string[], version: RegExpExecArray): string | undefined {
  const dirs = prefixes.map((prefix) => posix.join(prefix, 'lib', `python${version[1]}.${version[2]}`))
  return dirs.find((dir) => sysroot.openable(posix.join(dir, 'os.py'))) ?? (prefixes.length === 1 ? dirs[0] : undefined)
}

// The rules but those `skip` names by id; an unknown id is an error naming the known ones.
export function activeRules(skip: string[] = []): DataRule[] {
  const unknown = skip.filter((id) => !DATA_RULES.some((rule) => rule.id === id))
  if (unknown.length > 0) throw new UsageError(`--skip-rule ${unknown[0]}: no such data rule (the rules: ${DATA_RULES.map((rule) => rule.id).join(', ')})`)
  return DATA_RULES.filter((rule) => !skip.includes(rule.id))
}

// The services of an nsswitch.conf, in order: every word after "database:" that is not an [action].
export function nssServices(text: string): string[] {
  const services = new Set<string>()
  for (const line of text.split('\n')) {
    const colon = line.indexOf(':')
    if (colon < 0 || line.trimStart().startsWith('#')) continue
    const words = line.slice(colon + 1).replace(/#.*/, '').replace(/\[[^\]]*\]/g, ' ').split(/\s+/)
    for (const word of words) if (/^[a-z0-9_-]+$/i.test(word)) services.add(word)
  }
  return [...services]
}

// perl's compiled-in @INC (strings of its binary that are absolute paths with "perl" in them),
// narrowed to the core: Config.pm's directory, its archlibexp and privlibexp, and /etc/perl.
function perlCoreDirs(sysroot: Sysroot, binaries: string[]): PathSpec[] {
  const candidates = [...new Set(binaries.flatMap((path) => binaryPaths(sysroot.hostPath(sysroot.realpath(path)))))].filter((path) => /perl/.test(path) && sysroot.isDirectory(path))
  const configDir = candidates.find((dir) => sysroot.openable(posix.join(dir, 'Config.pm')))
  if (!configDir) return []
  const config = readText(sysroot.hostPath(sysroot.realpath(posix.join(configDir, 'Config.pm'))))
  const configured = ['archlibexp', 'privlibexp'].map((key) => new RegExp(`^\\s*${key} => '([^']+)'`, 'm').exec(config)?.[1]).filter((dir): dir is string => dir !== undefined)
  const dirs = [...new Set([...candidates.filter((dir) => dir.startsWith('/etc/')), configDir, ...configured])]
  return dirs.map((path) => ({path, tree: true, skip: PERL_SKIP}))
}
