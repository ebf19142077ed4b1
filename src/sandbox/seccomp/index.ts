// The seccomp filter of a run: the helper's built-in one (compiled at build time from table.ts),
// none (--seccomp unconfined), or one compiled here and handed to the helper on a pipe.
import {NsToolError, UsageError} from '../../errors.js'
import type {Capability} from '../capabilities.js'

// The run's seccomp setting: default, unconfined, or the path of a profile file.
export type SeccompSetting = 'default' | 'unconfined' | (string & {})

// What the helper is told: its own filter, none, or these compiled bytes.
export type SeccompFilter = {builtIn: true} | {unconfined: true} | {program: Buffer}

// The built-in filter is the default capability set's; an added capability that lifts one of the
// table's refusals (docker's rule: --cap-add SYS_ADMIN allows mount) needs a filter of its own.
async function liftsARefusal(added: readonly Capability[]): Promise<boolean> {
  if (added.length === 0) return false
  const {REFUSALS} = await import('./table.js')
  return REFUSALS.some(({rows}) => rows.some((row) => row.unlessCap?.some((cap) => added.includes(cap))))
}

export async function seccompFilter(setting: SeccompSetting = 'default', caps: readonly Capability[], added: readonly Capability[]): Promise<SeccompFilter> {
  if (setting === 'unconfined') return {unconfined: true}
  if (setting === 'default' && !(await liftsARefusal(added))) return {builtIn: true}
  const [{compile}, profile, {loadSyscallTables}, file] = await Promise.all([import('./bpf.js'), import('./profile.js'), import('./syscalls.js'), import('./file.js')])
  const source = setting === 'default' ? profile.defaultProfile() : await file.loadProfileFile(setting)
  try {
    return {program: compile(profile.resolveProfile(source, caps), loadSyscallTables())}
  } catch (error) {
    if (error instanceof NsToolError) throw error
    const message = `--seccomp ${setting}: ${(error as Error).message}`
    throw setting === 'default' ? new NsToolError(message) : new UsageError(message)
  }
}
