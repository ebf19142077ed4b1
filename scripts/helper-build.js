// Compiling the C helper (src/helper/*.c): set-up's step, and the tests that build it with another
// release's compiler and headers (a Debian 11 sysroot's gcc, through chroot) call the same one.
import {spawnSync} from 'node:child_process'
import {mkdirSync, readdirSync, renameSync, rmSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))

// Compiles the .c files of sourceDir into outputDir/ns-tool-helper with cc (its generated header
// first, from cc's own system-call numbers). Static where libc allows, so the helper has no
// run-time dependency; dynamic otherwise. Returns undefined, or the failed step in one line
// (message) with the compiler's output.
export async function compileHelper({sourceDir, outputDir, cc, log = () => {}}) {
  const sources = readdirSync(sourceDir).filter((n) => n.endsWith('.c'))
  const output = join(outputDir, 'ns-tool-helper')
  mkdirSync(outputDir, {recursive: true})
  const {writeHelperDefaults} = await import(pathToFileURL(join(root, 'dist', 'src', 'sandbox', 'helper-defaults.js')).href)
  try {
    writeHelperDefaults(outputDir, cc)
  } catch (error) {
    return {message: `generating the helper's system call tables and default seccomp filter: ${error.message}`}
  }
  const tmp = `${output}.tmp-${process.pid}`
  const common = ['-O2', '-Wall', '-Wextra', '-D_GNU_SOURCE', '-I', outputDir, '-o', tmp, ...sources.map((s) => join(sourceDir, s))]
  const compile = (argv) => spawnSync(cc, argv, {cwd: sourceDir, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe']})
  let built = compile(['-static', ...common])
  if (built.status !== 0) {
    log('static link unavailable (no libc.a); linking the helper dynamically')
    built = compile(common)
  }
  if (built.status !== 0) {
    rmSync(tmp, {force: true})
    return {message: 'compiling src/helper failed (see the compiler output above)', output: built.error ? `${cc}: ${built.error.message}\n` : built.stderr}
  }
  renameSync(tmp, output)
  return undefined
}
