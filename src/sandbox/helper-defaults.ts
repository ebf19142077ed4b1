// What the C helper is built with from ns-tool's single definitions: the capability names and the
// default set, the default PATH (src/loader/program.ts), the default seccomp filter compiled from its table; and the system
// call numbers of the headers it was compiled against. scripts/setup.js calls this before `cc`.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {NsToolError} from '../errors.js'
import {ROOT_PATH} from '../loader/program.js'
import {CAPABILITIES, DEFAULT_CAPABILITIES} from './capabilities.js'
import {compile} from './seccomp/bpf.js'
import {defaultProfile, resolveProfile} from './seccomp/profile.js'
import {readSyscallTables, SYSCALLS_FILE} from './seccomp/syscalls.js'

export const DEFAULTS_HEADER = 'ns-tool-defaults.h'

function filterInitializer(filter: Buffer): string {
  const lines: string[] = []
  for (let at = 0; at < filter.length; at += 8) {
    const [code, jt, jf, k] = [filter.readUInt16LE(at), filter.readUInt8(at + 2), filter.readUInt8(at + 3), filter.readUInt32LE(at + 4)]
    lines.push(`    {0x${code.toString(16).padStart(2, '0')}, ${jt}, ${jf}, 0x${k.toString(16).padStart(8, '0')}},`)
  }
  return lines.join('\n')
}

// The i386 entry's numbers as NS_I386_NR_name (the tracer follows 32-bit programs on x86-64;
// asm/unistd_32.h cannot be included beside the native table, whose names are the same).
function i386Numbers(i386: Record<string, number> | undefined): string {
  if (!i386) return ''
  const lines = Object.entries(i386).map(([name, number]) => `#define NS_I386_NR_${name} ${number}`)
  return `\n/* The i386 entry's system call numbers (asm/unistd_32.h). */\n${lines.join('\n')}\n`
}

export function helperHeader(filter: Buffer | undefined, i386?: Record<string, number>): string {
  const names = CAPABILITIES.map((name) => `"${name}"`).join(', ')
  const defaults = DEFAULT_CAPABILITIES.map((name) => CAPABILITIES.indexOf(name)).join(', ')
  // The table's numbering must be the kernel's; checked for every name these headers know.
  const checks = CAPABILITIES.map((name, i) => `#ifdef CAP_${name}\n_Static_assert(CAP_${name} == ${i}, "CAP_${name}: src/sandbox/capabilities.ts is out of order");\n#endif`).join('\n')
  return `/* Generated at build time by scripts/setup.js from src/sandbox/capabilities.ts,
 * src/sandbox/seccomp/table.ts and src/loader/program.ts (src/sandbox/helper-defaults.ts): do not edit. */
#ifndef NS_TOOL_DEFAULTS_H
#define NS_TOOL_DEFAULTS_H
#include <linux/capability.h>
#include <linux/filter.h>

#define NS_DEFAULT_PATH "${ROOT_PATH}"

#define NS_CAPABILITY_COUNT ${CAPABILITIES.length}
static const char *const ns_capability_names[NS_CAPABILITY_COUNT] = {${names}};
#define NS_DEFAULT_CAPABILITY_COUNT ${DEFAULT_CAPABILITIES.length}
static const unsigned char ns_default_capabilities[NS_DEFAULT_CAPABILITY_COUNT] = {${defaults}};
${checks}

/* The default seccomp filter (the table, for the default capabilities). */
#define NS_DEFAULT_FILTER_LENGTH ${filter ? filter.length / 8 : 0}
static const struct sock_filter ns_default_filter[] = {
${filter ? filterInitializer(filter) : '    {0x06, 0, 0, 0x7fff0000}, /* no default filter for this architecture */'}
};
${i386Numbers(i386)}#endif
`
}

// Writes the header and syscalls.json into dir; returns the header's path. Throws (NsToolError,
// one line naming the step) before writing anything when a table or the default filter cannot be
// made complete: a helper built without them would run without the filter the README promises.
export function writeHelperDefaults(dir: string, cc: string): string {
  const tables = readSyscallTables(cc)
  let filter: Buffer | undefined
  if (Object.keys(tables).length > 0) {
    try {
      filter = compile(resolveProfile(defaultProfile()), tables)
    } catch (error) {
      throw new NsToolError(`compiling the default seccomp filter from src/sandbox/seccomp/table.ts failed: ${(error as Error).message}`)
    }
  }
  mkdirSync(dir, {recursive: true})
  writeFileSync(join(dir, SYSCALLS_FILE), JSON.stringify(tables) + '\n')
  const header = join(dir, DEFAULTS_HEADER)
  writeFileSync(header, helperHeader(filter, tables.i386))
  return header
}
