// A program named on the command line that is a shell script running other programs (a pyenv or
// rbenv shim, a wrapper): the tree gets the script and its shell, not what it runs. Said in one line.
import {closeSync, openSync, readSync} from 'node:fs'
import {posix} from 'node:path'
import type {Closure, ProgramInfo} from '../loader/types.js'
import {defaultSearchPath, findProgramIn} from '../loader/program.js'
import type {Sysroot} from '../loader/sysroot.js'

const SHELLS = /^(sh|bash|dash|zsh|ksh|mksh|ash|busybox)$/
// A wrapper's hallmark: it replaces itself with another program.
const EXECS = /(^|[\s;&|(])exec\s+["'$\w/]/m

export function wrapperWarning(sysroot: Sysroot, closure: Closure, program: ProgramInfo, searchPath = defaultSearchPath()): string | undefined {
  if (program.type !== 'script') return undefined
  // The shell is the #! interpreter, or the program `#!/usr/bin/env` runs (the last one named).
  const interpreters = (closure.edges ?? []).filter((edge) => edge.kind === 'interpreter' && edge.from === program.path && edge.program === program.path)
  const shell = interpreters.at(-1)?.path
  if (shell === undefined || !SHELLS.test(posix.basename(shell)) || !EXECS.test(scriptText(sysroot, program.path))) return undefined
  const name = posix.basename(program.name)
  return `warning: ${program.name}: ${program.path} is a shell script that runs other programs (a wrapper or shim): the tree gets it and its shell, not what it runs; name the real program${realProgram(sysroot, program, searchPath)} or add --trace '${name} ...'`
}

// " (/usr/bin/python3)": the same name further along PATH than the wrapper, when there is one.
function realProgram(sysroot: Sysroot, program: ProgramInfo, searchPath: string): string {
  if (program.name.includes('/')) return ''
  const dirs = searchPath.split(':')
  const rest = dirs.slice(dirs.indexOf(posix.dirname(program.path)) + 1).join(':')
  try {
    return rest === '' ? '' : ` (${findProgramIn(sysroot, program.name, rest)})`
  } catch {
    return ''
  }
}

function scriptText(sysroot: Sysroot, path: string): string {
  let fd: number | undefined
  try {
    fd = openSync(sysroot.hostPath(sysroot.realpath(path)), 'r')
    const buffer = Buffer.alloc(65536)
    return buffer.toString('utf8', 0, readSync(fd, buffer, 0, buffer.length, 0))
  } catch {
    return ''
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}
