// The data rules: ONE table of what programs need that no ELF header and no package names, each
// entry with its trigger (a symbol a named program imports, a library in the closure, an
// interpreter) and the host paths it brings. Every entry has a test in test/data/rules.test.ts.
import {closeSync, openSync, readSync} from 'node:fs'
import {posix} from 'node:path'
import {readElfSections} from '../elf/sections.js'
import type {Sysroot} from '../loader/sysroot.js'

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
}

// A host path a rule brings: a file, a link, or with `tree` a directory and all it holds (minus
// what `skip` matches, tested against the path relative to the directory). Absent paths are skipped.
export interface PathSpec {
  path: string
  tree?: boolean
  skip?: RegExp
  // A program that is run (a helper): a script among them gets its interpreter (docs/data.md).
  runs?: boolean
}

export interface DataRule {
  name: string
  // What it brings and why a program needs it.
  doc: string
  // Why it applies to this closure (e.g. "bash imports iconv_open"); undefined when it does not.
  trigger(context: RuleContext): string | undefined
  paths(context: RuleContext): PathSpec[]
}

const PYTHON = /^python(\d+)\.(\d+)$/
const PERL = /^perl(5[\d.]*)?$/
// Parts of a python prefix that no program imports at run time: the test suite, IDLE, Tk (its
// extension links X11), the build-time config directory and bytecode caches (written on demand).
const PYTHON_SKIP = /(^|\/)(test|tests|idlelib|tkinter|turtledemo|__pycache__|config-[^/]+)(\/|$)|^lib-dynload\/_tkinter\./
// Perl's documentation and the headers for building XS modules.
const PERL_SKIP = /\.pod$|(^|\/)pod(\/|$)|(^|\/)CORE(\/|$)/
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

// Where glibc looks for gconv modules: the directory compiled into it (found among its strings),
// wherever the libc itself lies (the flat layout's /lib64).
const gconvDirs = new Map<string, string>()
function gconvDir(context: RuleContext): string {
  const libc = libcPath(context)!
  const key = `${context.sysroot.root}\0${libc}`
  let dir = gconvDirs.get(key)
  if (dir === undefined) {
    dir = binaryPaths(context.sysroot.hostPath(context.sysroot.realpath(libc))).find((path) => path.endsWith('/gconv')) ?? posix.join(posix.dirname(libc), 'gconv')
    gconvDirs.set(key, dir)
  }
  return dir
}

export const DATA_RULES: DataRule[] = [
  {
    name: 'python standard library',
    doc: "python's PREFIX/lib/pythonX.Y (the landmark os.py, encodings, lib-dynload with the extension modules and their libraries); not its tests, IDLE, Tk, build config nor __pycache__",
    trigger: (context) => {
      const found = interpreter(PYTHON)(context)
      return found && `${posix.basename(found.real)} is a python interpreter`
    },
    paths: (context) =>
      context.programs.flatMap((program) => {
        const version = PYTHON.exec(posix.basename(program.real))
        if (!version) return []
        const prefix = posix.dirname(posix.dirname(program.real))
        return [{path: posix.join(prefix, 'lib', `python${version[1]}.${version[2]}`), tree: true, skip: PYTHON_SKIP}]
      }),
  },
  {
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
    name: 'gconv modules (all)',
    doc: 'every gconv module and its configuration, for the iconv program whose job is converting',
    trigger: (context) => {
      const found = context.programs.find((program) => posix.basename(program.real) === 'iconv' && program.imports.has('iconv_open'))
      return found && libcPath(context) ? 'iconv converts between charsets' : undefined
    },
    paths: (context) => [{path: gconvDir(context), tree: true}],
  },
  {
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
    name: 'CA certificates',
    doc: 'the CA bundle, for a TLS library to verify peers',
    trigger: library(TLS_LIBRARY),
    paths: () => ['/etc/ssl/certs/ca-certificates.crt', '/usr/lib/ssl/cert.pem', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'].map((path) => ({path})),
  },
  {
    name: 'OpenSSL configuration',
    doc: 'openssl.cnf, which libcrypto reads when it starts (openssl req needs its [req] section)',
    trigger: library(/^libcrypto\.so/),
    paths: () => ['/usr/lib/ssl/openssl.cnf', '/etc/ssl/openssl.cnf', '/etc/pki/tls/openssl.cnf'].map((path) => ({path})),
  },
  {
    name: 'terminfo',
    doc: 'the descriptions curses reads of the common terminals (xterm, xterm-256color, screen, tmux, linux, vt100...), from each terminfo directory',
    trigger: library(CURSES_LIBRARY),
    paths: () => TERMINFO_DIRS.flatMap((dir) => COMMON_TERMINALS.map((name) => ({path: posix.join(dir, name)}))),
  },
  {
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
    name: 'magic database',
    doc: "libmagic's compiled database and the local magic files",
    trigger: library(/^libmagic\.so/),
    paths: () => ['/usr/share/misc/magic.mgc', '/usr/share/file/magic.mgc', '/usr/lib/file/magic.mgc', '/etc/magic', '/etc/magic.mime'].map((path) => ({path})),
  },
  {
    name: 'zoneinfo',
    doc: 'the time zone database and /etc/localtime, for programs that convert times to local time (TZ=Asia/Tokyo date); not its right/ and posix/ variants nor the tzdata sources',
    trigger: importer(['tzset', 'localtime', 'localtime_r', 'mktime']),
    paths: () => [{path: '/etc/localtime'}, {path: '/usr/share/zoneinfo', tree: true, skip: /^(right|posix)(\/|$)|^(tzdata\.zi|leapseconds|leap-seconds\.list|[^/]+\.tab)$/}],
  },
  {
    name: 'services and protocols',
    doc: '/etc/services and /etc/protocols, which glibc reads to name ports and protocols',
    trigger: importer(['getservbyname', 'getservbyport', 'getservent', 'getaddrinfo', 'getprotobyname', 'getprotobynumber']),
    paths: () => [{path: '/etc/services'}, {path: '/etc/protocols'}],
  },
  {
    name: 'shell for system(3)',
    doc: '/bin/sh, which system(3) and popen(3) run',
    trigger: importer(['system', 'popen']),
    paths: () => [{path: '/bin/sh'}],
  },
]

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

// NUL-terminated strings of a binary that look like absolute paths.
function binaryPaths(hostPath: string): string[] {
  const text = readText(hostPath, 16 * 1024 * 1024)
  return [...new Set(text.match(/(?<=\0)\/[A-Za-z0-9_./+-]{2,200}(?=\0)/g) ?? [])]
}

function readText(hostPath: string, limit = 1024 * 1024): string {
  let fd: number | undefined
  try {
    fd = openSync(hostPath, 'r')
    const buffer = Buffer.alloc(limit)
    return buffer.toString('latin1', 0, readSync(fd, buffer, 0, limit, 0))
  } catch {
    return ''
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
