// What one dynamic loader searches, read from the loader file itself where possible (so that a
// Debian, Fedora or Arch loader, in a sysroot or not, answers for itself), else from a table per
// architecture. The loader's `--help` prints the same facts: its "system search path" is the
// SYSTEM_DIRS string compiled into it (Debian: /lib/<triplet> /usr/lib/<triplet> /lib /usr/lib —
// not /lib64, which only the cache can point into), then the glibc-hwcaps subdirectories it knows,
// in priority order, and (glibc 2.33-2.36) the legacy hwcap subdirectories.
import {readFileSync} from 'node:fs'
import {posix} from 'node:path'
import {hostArchitecture} from '../elf/host.js'
import {architecture, type MachineKey} from '../elf/machine.js'
import type {Sysroot} from './sysroot.js'

export interface LoaderProfile {
  // The loader file (in-sysroot path) the profile was read from, when it could be.
  interpreter?: string
  machine: number
  elfClass: 32 | 64
  // Default directories, in order, without trailing slash.
  systemDirs: string[]
  source: 'loader' | 'table'
  // glibc-hwcaps subdirectory names the loader knows, best first (x86-64-v4, x86-64-v3, ...).
  hwcaps: string[]
  // Those this CPU supports: the ones searched and chosen from the cache.
  activeHwcaps: string[]
  // Legacy hwcap subdirectories searched before each directory itself (glibc < 2.37), e.g.
  // tls/x86_64/x86_64, in the loader's order (duplicates kept, as the loader tries them twice).
  legacySubdirs: string[]
  // Those any CPU of the architecture could search: the copies a tree must carry (rule 3).
  legacyVariants: string[]
  // Whether the loader takes an ld.so.cache entry of a legacy hwcap subdirectory (by its mask).
  acceptsLegacyEntry?: (hwcap: bigint) => boolean
  // The loader's glibc version (major * 1000 + minor: 2031 for 2.31), when it can be read.
  glibcVersion?: number
  // $LIB and $PLATFORM.
  lib: string
  platform?: string
  // ld.so.cache entry flags this loader accepts (_dl_cache_check_flags); undefined: any.
  cacheFlags?: number[]
}

interface MachineFacts {
  triplet: string
  interpreter: string
  platform?: string
  cacheFlags: number[]
  hwcaps: string[]
  // Upstream glibc's slibdir/libdir for this ABI (Fedora, openSUSE, ...).
  upstreamDirs: string[]
  // The HWCAP_IMPORTANT names of glibc < 2.37, in bit order, that make legacy subdirectories
  // (x86's depend on the host CPU and are asked there). For another machine's CPU, what qemu's
  // CPU of that family reports (an ARMv7 one for arm, whose platform is v7l).
  legacyHwcaps?: string[]
  // Other platforms the loader may take for a CPU of this architecture (x86-64: the Intel ones
  // of sysdeps/x86/cpu-features.c), whose subdirectories a tree carries for other CPUs.
  otherPlatforms?: string[]
}

// Each architecture's facts that glibc's sysdeps/ tree fixes.
const MACHINES: Record<string, MachineFacts> = {
  x86_64: {triplet: 'x86_64-linux-gnu', interpreter: '/lib64/ld-linux-x86-64.so.2', platform: 'x86_64', cacheFlags: [0x0303], hwcaps: ['x86-64-v4', 'x86-64-v3', 'x86-64-v2'], upstreamDirs: ['/lib64', '/usr/lib64'], otherPlatforms: ['haswell', 'xeon_phi']},
  i386: {triplet: 'i386-linux-gnu', interpreter: '/lib/ld-linux.so.2', platform: 'i686', cacheFlags: [0x0001, 0x0003], hwcaps: [], upstreamDirs: ['/lib', '/usr/lib']},
  aarch64: {triplet: 'aarch64-linux-gnu', interpreter: '/lib/ld-linux-aarch64.so.1', platform: 'aarch64', cacheFlags: [0x0a03], hwcaps: [], upstreamDirs: ['/lib64', '/usr/lib64'], legacyHwcaps: ['atomics']},
  arm: {triplet: 'arm-linux-gnueabihf', interpreter: '/lib/ld-linux-armhf.so.3', platform: 'v7l', cacheFlags: [0x0903], hwcaps: [], upstreamDirs: ['/lib', '/usr/lib'], legacyHwcaps: ['vfp', 'neon']},
  riscv64: {triplet: 'riscv64-linux-gnu', interpreter: '/lib/ld-linux-riscv64-lp64d.so.1', cacheFlags: [0x1003], hwcaps: [], upstreamDirs: ['/lib64/lp64d', '/usr/lib64/lp64d']},
  ppc64le: {triplet: 'powerpc64le-linux-gnu', interpreter: '/lib64/ld64.so.2', platform: 'power8', cacheFlags: [0x0503], hwcaps: ['power10', 'power9'], upstreamDirs: ['/lib64', '/usr/lib64']},
  s390x: {triplet: 's390x-linux-gnu', interpreter: '/lib/ld64.so.1', platform: 'z13', cacheFlags: [0x0403], hwcaps: ['z16', 'z15', 'z14', 'z13'], upstreamDirs: ['/lib64', '/usr/lib64']},
  loongarch64: {triplet: 'loongarch64-linux-gnu', interpreter: '/lib64/ld-linux-loongarch-lp64d.so.1', platform: 'loongarch', cacheFlags: [0x1203], hwcaps: [], upstreamDirs: ['/lib64', '/usr/lib64']},
}

function facts(id: MachineKey): MachineFacts | undefined {
  const name = architecture(id)?.name
  return name === undefined ? undefined : MACHINES[name]
}

// The ld.so.cache flags ldconfig gives a library of this architecture (x86-64: 0x0303).
export function cacheFlagsFor(id: MachineKey): number | undefined {
  return facts(id)?.cacheFlags.at(-1)
}

// The directory a glibc-hwcaps subdirectory belongs to (dir itself for any other directory).
export function hwcapsBase(dir: string): string {
  return dir.replace(/\/glibc-hwcaps\/[^/]+$/, '')
}

let cpuFlags: Set<string> | undefined
let cpuVendor: string | undefined
function hostCpuFlags(): Set<string> {
  if (!cpuFlags) {
    cpuFlags = new Set()
    try {
      const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8')
      const line = cpuinfo.match(/^flags\s*:(.*)$/m)
      if (line) for (const flag of line[1].trim().split(/\s+/)) cpuFlags.add(flag)
      cpuVendor = cpuinfo.match(/^vendor_id\s*:\s*(\S+)/m)?.[1]
      // LZCNT is "abm" here, which some hypervisors leave out while the instruction works (glibc
      // asks CPUID itself); every CPU with BMI1 has LZCNT.
      if (cpuFlags.has('bmi1')) cpuFlags.add('abm')
    } catch {
      // No /proc: no hwcaps level is known to be supported; the base directories still are.
    }
  }
  return cpuFlags
}

// The x86-64 ISA levels of sysdeps/x86/get-isa-level.h, as /proc/cpuinfo names the features.
const X86_LEVELS: Record<string, string[]> = {
  'x86-64-v2': ['cx16', 'lahf_lm', 'popcnt', 'pni', 'sse4_1', 'sse4_2', 'ssse3'],
  'x86-64-v3': ['avx', 'avx2', 'bmi1', 'bmi2', 'f16c', 'fma', 'abm', 'movbe'],
  'x86-64-v4': ['avx512f', 'avx512bw', 'avx512cd', 'avx512dq', 'avx512vl'],
}

// sysdeps/x86/dl-hwcap.h, in bit order: sse2 (i386 only), x86_64 (x86_64 only), avx512_1.
const X86_HWCAP_BITS = ['sse2', 'x86_64', 'avx512_1']
// _dl_x86_platforms, whose bits start at _DL_FIRST_PLATFORM (48); "tls" is bit 63.
const X86_PLATFORMS = ['i586', 'i686', 'haswell', 'xeon_phi']

function x86Hwcaps(name: 'x86_64' | 'i386'): string[] {
  const flags = hostCpuFlags()
  // glibc sets the avx512_1 hwcap on Intel CPUs only (sysdeps/x86/cpu-features.c), and not on
  // a Xeon Phi (AVX512ER), whose platform says it instead.
  const avx512 = cpuVendor === 'GenuineIntel' && !flags.has('avx512er') && ['avx512f', 'avx512cd', 'avx512bw', 'avx512dq', 'avx512vl'].every((f) => flags.has(f))
  return [name === 'i386' ? 'sse2' : 'x86_64', ...(avx512 ? ['avx512_1'] : [])]
}

// The platform a glibc < 2.37 loader takes on x86-64 (init_cpu_features): on Intel CPUs,
// xeon_phi (AVX512F, CD, ER, PF) or haswell (AVX2, FMA, BMI1, BMI2, LZCNT, MOVBE, POPCNT); else
// the kernel's AT_PLATFORM, x86_64.
function x86Platform(): string {
  const flags = hostCpuFlags()
  if (cpuVendor !== 'GenuineIntel') return 'x86_64'
  if (['avx512f', 'avx512cd', 'avx512er', 'avx512pf'].every((f) => flags.has(f))) return 'xeon_phi'
  if (['avx2', 'fma', 'bmi1', 'bmi2', 'abm', 'movbe', 'popcnt'].every((f) => flags.has(f))) return 'haswell'
  return 'x86_64'
}

// dl-cache.c's HWCAP_CHECK for x86: an entry may name only the active hwcaps, tls, and at most
// the loader's own platform (a platform glibc does not list, like x86_64, takes none).
function x86CacheCheck(active: string[], platform: string): (hwcap: bigint) => boolean {
  const platformMask = ((1n << BigInt(X86_PLATFORMS.length)) - 1n) << 48n
  const tls = 1n << 63n
  let allowed = platformMask | tls
  for (const name of active) allowed |= 1n << BigInt(X86_HWCAP_BITS.indexOf(name))
  const index = X86_PLATFORMS.indexOf(platform)
  const own = index === -1 ? undefined : 1n << BigInt(48 + index)
  return (hwcap) => (hwcap & ~allowed) === 0n && ((hwcap & platformMask) === 0n || (hwcap & platformMask) === own)
}

function activeLevels(id: MachineKey, known: string[]): string[] {
  // Only the host CPU can be asked; for another architecture no subdirectory is known to work.
  const host = hostArchitecture()
  if (!host || architecture(id) !== host || host.name !== 'x86_64') return []
  const flags = hostCpuFlags()
  const supported = (level: string): boolean => {
    const order = ['x86-64-v2', 'x86-64-v3', 'x86-64-v4']
    // Each level includes the ones below it.
    return order.slice(0, order.indexOf(level) + 1).every((l) => X86_LEVELS[l].every((f) => flags.has(f)))
  }
  return known.filter((level) => level in X86_LEVELS && supported(level))
}

// _dl_important_hwcaps of glibc < 2.37: the subsets of [hwcap names..., platform, "tls"],
// largest mask first, each written from the last name to the first.
function legacyCombinations(names: string[]): string[] {
  const subdirs: string[] = []
  for (let mask = (1 << names.length) - 1; mask > 0; mask--) {
    const parts: string[] = []
    for (let bit = names.length - 1; bit >= 0; bit--) if (mask & (1 << bit)) parts.push(names[bit])
    subdirs.push(parts.join('/'))
  }
  return subdirs
}

interface Legacy {
  subdirs: string[]
  variants: string[]
  platform?: string
  acceptsEntry?: (hwcap: bigint) => boolean
}

// The legacy subdirectories this CPU's loader searches, those of every CPU of the architecture,
// and (x86) which cache entries it takes.
function legacyScheme(id: MachineKey, facts: MachineFacts): Legacy {
  const name = architecture(id)?.name
  const x86 = name === 'x86_64' || name === 'i386'
  const hwcaps = x86 ? x86Hwcaps(name) : (facts.legacyHwcaps ?? [])
  const platform = name === 'x86_64' ? x86Platform() : facts.platform
  const withPlatform = (p: string | undefined) => legacyCombinations([...hwcaps, ...(p ? [p] : []), 'tls'])
  const everyHwcap = x86 ? X86_HWCAP_BITS.filter((h) => h !== (name === 'i386' ? 'x86_64' : 'sse2')) : hwcaps
  const platforms = [...new Set([facts.platform, ...(facts.otherPlatforms ?? [])])]
  const variants = [...new Set(platforms.flatMap((p) => legacyCombinations([...everyHwcap, ...(p ? [p] : []), 'tls'])))]
  return {subdirs: withPlatform(platform), variants, platform, acceptsEntry: x86 && platform ? x86CacheCheck(hwcaps, platform) : undefined}
}

// The glibc version of a loader: its "release version 2.41" banner (2.33 and later print it with
// --version), else the ld-2.31.so name its real file had before 2.34.
function glibcVersionOf(bytes: Buffer | undefined, realPath: string | undefined): number | undefined {
  const banner = bytes && /release version (\d+)\.(\d+)/.exec(bytes.toString('latin1'))
  const named = realPath && /\/ld-(\d+)\.(\d+)\.so$/.exec(realPath)
  const found = banner || named
  return found ? Number(found[1]) * 1000 + Number(found[2]) : undefined
}

// SYSTEM_DIRS in the loader's rodata: NUL-separated absolute directories, each ending in "/".
function systemDirsFromLoader(bytes: Buffer): string[] | undefined {
  const text = bytes.toString('latin1')
  const run = /\0((?:\/[\x21-\x7e]*\/\0)+)\0/g
  for (let match = run.exec(text); match; match = run.exec(text)) {
    const dirs = match[1].split('\0').filter(Boolean)
    if (dirs.every((d) => d.includes('lib') && d.length < 128)) return dirs.map((d) => (d === '/' ? d : d.replace(/\/+$/, '')))
    run.lastIndex = match.index + 1
  }
  return undefined
}

const profiles = new Map<string, LoaderProfile>()

// The profile of the loader at `interpreter` (in-sysroot path) for programs of this architecture.
// interpreter may be undefined (a library given alone): the architecture's usual loader is used.
export function loaderProfile(sysroot: Sysroot, id: MachineKey, interpreter?: string): LoaderProfile {
  const {machine, elfClass} = id
  const known = facts(id)
  const loaderPath = interpreter ?? known?.interpreter
  const key = `${sysroot.root}\0${machine}/${elfClass}/${id.endian}\0${loaderPath ?? ''}`
  const cached = profiles.get(key)
  if (cached) return cached

  let bytes: Buffer | undefined
  let realLoader: string | undefined
  let realFile: string | undefined
  if (loaderPath) {
    const file = sysroot.openable(loaderPath)
    if (file && file.stats.size < 64 * 1024 * 1024) {
      try {
        bytes = readFileSync(sysroot.hostPath(file.real))
        realLoader = loaderPath
        realFile = file.real
      } catch {
        bytes = undefined
      }
    }
  }

  let systemDirs = bytes && systemDirsFromLoader(bytes)
  const source: LoaderProfile['source'] = systemDirs ? 'loader' : 'table'
  if (!systemDirs) {
    // Multiarch (Debian, Ubuntu) when the sysroot has the triplet directory, else upstream's.
    const multiarch = known && sysroot.isDirectory(`/usr/lib/${known.triplet}`)
    systemDirs = known ? (multiarch ? [`/lib/${known.triplet}`, `/usr/lib/${known.triplet}`, '/lib', '/usr/lib'] : known.upstreamDirs) : ['/lib', '/usr/lib']
  }

  // The sysroot's glibc decides the scheme: glibc-hwcaps since 2.33, legacy hwcap subdirectories
  // until 2.36. Without a version, the loader's own words tell (2.33-2.36 print both in --help).
  const version = glibcVersionOf(bytes, realFile)
  const hasHwcaps = version ? version >= 2033 : bytes ? bytes.includes('glibc-hwcaps') : true
  const hwcaps = hasHwcaps ? (known?.hwcaps ?? []).filter((level) => !bytes || bytes.includes(level)) : []
  const legacy = version ? version < 2037 && bytes !== undefined : bytes ? bytes.includes('Legacy HWCAP subdirectories') : false
  const scheme = legacy && known ? legacyScheme(id, known) : undefined
  // $PLATFORM is the loader's platform: haswell on such an Intel CPU before glibc 2.37.
  const platform = scheme?.platform ?? known?.platform

  // $LIB is DL_DST_LIB: the first system dir without its leading "/" (Debian: lib/x86_64-linux-gnu),
  // or its last component (upstream: lib64) — whichever the loader holds.
  const first = systemDirs[0].replace(/^\//, '')
  const lastComponent = posix.basename(first)
  let lib = lastComponent
  if (bytes && bytes.includes(`\0${first}\0`)) lib = first
  else if (!bytes && known && first === `lib/${known.triplet}`) lib = first

  const profile: LoaderProfile = {
    interpreter: realLoader,
    machine,
    elfClass,
    systemDirs,
    source,
    hwcaps,
    activeHwcaps: activeLevels(id, hwcaps),
    legacySubdirs: scheme?.subdirs ?? [],
    legacyVariants: scheme?.variants ?? [],
    acceptsLegacyEntry: scheme?.acceptsEntry,
    glibcVersion: version,
    lib,
    platform,
    cacheFlags: known?.cacheFlags,
  }
  profiles.set(key, profile)
  return profile
}
