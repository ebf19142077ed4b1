// Temp dirs that are removed after each test, pass or fail (root hook in hooks.ts). A test only
// ever removes what it created here.
import {chmodSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

const created: string[] = []

export function makeTempDir(prefix = 'ns-tool-test-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  created.push(dir)
  return dir
}

// A temp dir whose path is all lower case (podman takes an image's name from an oci: path).
export function makeLowerCaseTempDir(prefix = 'ns-tool-test-'): string {
  for (let i = 0; ; i++) {
    const dir = join(tmpdir(), `${prefix}${process.pid}-${Date.now().toString(36)}-${i}`)
    try {
      mkdirSync(dir, {mode: 0o700})
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw error
    }
    created.push(dir)
    return dir
  }
}

// A temp dir the unprivileged test uid (65534) can enter and write.
export function makeSharedTempDir(prefix = 'ns-tool-test-'): string {
  const dir = makeTempDir(prefix)
  chmodSync(dir, 0o777)
  return dir
}

export function removeTempDirs(): void {
  while (created.length > 0) {
    const dir = created.pop()!
    rmSync(dir, {recursive: true, force: true, maxRetries: 3})
  }
}

const suiteCreated: string[] = []

// A temp dir that lives until the end of the run (for trees a whole describe block shares),
// readable and writable by uid 65534. Removed by the root afterAll hook.
export function makeSuiteTempDir(prefix = 'ns-tool-suite-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  chmodSync(dir, 0o777)
  suiteCreated.push(dir)
  return dir
}

export function removeSuiteTempDirs(): void {
  while (suiteCreated.length > 0) rmSync(suiteCreated.pop()!, {recursive: true, force: true, maxRetries: 3})
}
