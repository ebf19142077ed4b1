// System call numbers per architecture, read from the kernel headers of the compiler that builds
// the helper (at build time), and from the JSON written next to the helper then (at run time).
import {spawnSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {NsToolError} from '../../errors.js'
import {helperDataPath} from '../../helper/locate.js'
import type {SyscallTables} from './bpf.js'

export const SYSCALLS_FILE = 'syscalls.json'

// The header holding each table this machine's kernel can run: x86-64 kernels run i386 code too.
const HEADERS: Record<string, Array<[string, string]>> = {
  x64: [['x86_64', 'asm/unistd_64.h'], ['i386', 'asm/unistd_32.h']],
  arm64: [['aarch64', 'asm/unistd.h']],
  riscv64: [['riscv64', 'asm/unistd.h']],
}

// `#define __NR_x VALUE` where VALUE is a number or a sum of numbers and other macros.
function evaluate(macros: Map<string, string>, name: string, depth = 0): number | undefined {
  const text = macros.get(name)
  if (text === undefined || depth > 8) return undefined
  let sum = 0
  for (const term of text.replace(/[()]/g, ' ').split('+').map((t) => t.trim())) {
    const value = /^(0x[0-9a-f]+|\d+)[ul]*$/i.test(term) ? Number.parseInt(term, term.startsWith('0x') ? 16 : 10) : evaluate(macros, term, depth + 1)
    if (value === undefined || Number.isNaN(value)) return undefined
    sum += value
  }
  return sum
}

// Calls every table has: a table without them was cut short, not read.
const EVERY_TABLE_HAS = ['read', 'write', 'execve', 'exit_group', 'clone']

function readHeader(cc: string, header: string): Record<string, number> {
  const step = `reading the system call numbers from <${header}> with \`${cc} -E\``
  const r = spawnSync(cc, ['-dM', '-E', '-x', 'c', '-'], {input: `#include <${header}>\n`, encoding: 'utf8'})
  // A compiler that exits before reading its input leaves EPIPE here: its status says the rest.
  if (r.error && r.status === null) throw new NsToolError(`${step}: ${r.error.message}`)
  if (r.status !== 0) {
    const said = String(r.stderr).trim().split('\n').find((line) => line.trim() !== '') ?? `exit status ${r.status}`
    throw new NsToolError(`${step} failed: ${said.trim()} (install the kernel headers: Debian/Ubuntu linux-libc-dev, Fedora kernel-headers; or set CC to a working compiler)`)
  }
  const macros = new Map<string, string>()
  for (const line of r.stdout.split('\n')) {
    const match = /^#define (\w+) (.+)$/.exec(line)
    if (match) macros.set(match[1], match[2])
  }
  const numbers: Record<string, number> = {}
  for (const name of macros.keys()) {
    if (!name.startsWith('__NR_')) continue
    const value = evaluate(macros, name)
    if (value !== undefined) numbers[name.slice(5)] = value
  }
  const missing = EVERY_TABLE_HAS.filter((call) => numbers[call] === undefined)
  if (missing.length > 0) throw new NsToolError(`${step}: the table is ${Object.keys(numbers).length === 0 ? 'empty' : `partial (no ${missing.join(', ')})`}; the helper's default seccomp filter cannot be built from it`)
  return numbers
}

// Every table this machine runs, each complete, or an NsToolError naming the step: a missing table
// would leave that entry point out of the default filter. An architecture without tables here has
// no default filter at all (the helper then refuses to run without --seccomp unconfined or a profile).
export function readSyscallTables(cc: string): SyscallTables {
  const tables: SyscallTables = {}
  for (const [table, header] of HEADERS[process.arch] ?? []) tables[table] = readHeader(cc, header)
  return tables
}

export function loadSyscallTables(): SyscallTables {
  const file = helperDataPath(SYSCALLS_FILE)
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as SyscallTables
  } catch (error) {
    throw new NsToolError(`${file}: cannot read the system call numbers the helper was built with (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); rebuild with \`node scripts/setup.js --force\``)
  }
}
