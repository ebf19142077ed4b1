// The lock that keeps two builds of one output from interleaving. OUT.ns-tool.lock
// names its holder — pid, start time, boot and pid namespace — so a killed holder is known dead at once.
import {closeSync, constants, fstatSync, linkSync, lstatSync, mkdirSync, openSync, readFileSync, readlinkSync, readSync, unlinkSync, writeSync} from 'node:fs'
import {dirname} from 'node:path'
import {NsToolError} from '../../errors.js'
import {InterruptedError, parentError} from './faults.js'

// A lock file still empty this long after it was made belongs to a build killed while writing it.
const EMPTY_LOCK_GRACE_MS = 2_000
// A build breaking a stale lock holds the marker for microseconds; one older than this was killed.
const STALE_MARKER_MS = 10_000
const NOTICE_AFTER_MS = 1_000

interface Holder {
  pid: number
  start: string
  boot: string
  pidns: string
}

// Field 22 of /proc/PID/stat: when the process started, in clock ticks since boot. A pid reused by
// another process has another start time.
function startTime(pid: number | 'self'): string | undefined {
  let stat: string
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'latin1')
  } catch {
    return undefined
  }
  // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
}

function identity(): Holder {
  let boot = ''
  let pidns = ''
  try {
    boot = readFileSync('/proc/sys/kernel/random/boot_id', 'latin1').trim()
    pidns = readlinkSync('/proc/self/ns/pid')
  } catch {
    // No /proc: holders are judged by pid alone (kill(pid, 0)).
  }
  return {pid: process.pid, start: startTime('self') ?? '', boot, pidns}
}

function serialize(holder: Holder): string {
  return `ns-tool-lock ${holder.pid} ${holder.start} ${holder.boot} ${holder.pidns}\n`
}

function parse(text: string): Holder | undefined {
  const [tag, pid, start, boot, pidns] = text.trim().split(' ')
  if (tag !== 'ns-tool-lock' || !/^\d+$/.test(pid ?? '')) return undefined
  return {pid: Number(pid), start: start ?? '', boot: boot ?? '', pidns: pidns ?? ''}
}

// Whether the holder may still be running. A holder in another pid namespace cannot be looked up
// here: it is taken to be alive.
function alive(holder: Holder, self: Holder): boolean {
  if (holder.boot !== self.boot) return false
  if (holder.pidns !== self.pidns) return true
  if (!self.start) {
    try {
      process.kill(holder.pid, 0)
      return true
    } catch (error) {
      return (error as NodeJS.ErrnoException).code === 'EPERM'
    }
  }
  return startTime(holder.pid) === holder.start
}

// The lock's text, read without following a link; '' while its maker is still writing it.
function readLock(path: string): {text: string; ageMs: number} | undefined {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw new NsToolError(`${path}: not an ns-tool lock (${(error as NodeJS.ErrnoException).code}); remove it if no build is running`)
  }
  try {
    const stat = fstatSync(fd)
    const bytes = Buffer.alloc(Math.min(stat.size, 512))
    const read = stat.isFile() ? readSync(fd, bytes, 0, bytes.length, 0) : -1
    if (read < 0) throw new NsToolError(`${path}: not an ns-tool lock (not a regular file); remove it if no build is running`)
    return {text: bytes.toString('latin1', 0, read), ageMs: Date.now() - stat.mtimeMs}
  } finally {
    closeSync(fd)
  }
}

// Removes a lock whose holder is dead, unless another build got there first: only the build that
// made the marker (a hard link to the stale lock) may remove it, after seeing it still holds `text`.
function breakStale(path: string, text: string): void {
  const marker = `${path}.stale`
  try {
    linkSync(path, marker)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'EEXIST') {
      const stat = lstatSync(marker, {throwIfNoEntry: false})
      if (stat && Date.now() - stat.ctimeMs > STALE_MARKER_MS) unlinkSync(marker)
      return
    }
    if (code === 'ENOENT') return
    throw error
  }
  try {
    if (readLock(marker)?.text === text) unlinkSync(path)
  } finally {
    unlinkSync(marker)
  }
}

export interface LockOptions {
  warn?: (message: string) => void
  signal?: AbortSignal
}

export class BuildLock {
  private held = true

  constructor(
    readonly path: string,
    private readonly text: string,
  ) {}

  // Synchronous, so that it can run on the way out of an interrupted build.
  release(): void {
    if (!this.held) return
    this.held = false
    if (readLock(this.path)?.text === this.text) unlinkSync(this.path)
  }
}

function create(path: string, text: string): boolean {
  let fd: number
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o644)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false
    throw error
  }
  try {
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
  return true
}

// Takes the lock of `output`, waiting while a live build holds it.
export async function acquireLock(output: string, options: LockOptions = {}): Promise<BuildLock> {
  const path = `${output}.ns-tool.lock`
  const self = identity()
  const text = serialize(self)
  try {
    mkdirSync(dirname(output), {recursive: true})
  } catch (error) {
    throw parentError(output, error)
  }
  const began = Date.now()
  let noticed = false
  for (let delay = 20; ; delay = Math.min(delay * 2, 200)) {
    if (options.signal?.aborted) throw new InterruptedError(output, options.signal.reason)
    try {
      if (create(path, text)) return new BuildLock(path, text)
    } catch (error) {
      throw parentError(output, error)
    }
    const found = readLock(path)
    if (found === undefined) continue
    const holder = parse(found.text)
    if (found.text === '' ? found.ageMs > EMPTY_LOCK_GRACE_MS : holder && !alive(holder, self)) {
      breakStale(path, found.text)
      continue
    }
    if (found.text !== '' && !holder) throw new NsToolError(`${path}: not an ns-tool lock; remove it if no build is running`)
    if (!noticed && Date.now() - began > NOTICE_AFTER_MS) {
      noticed = true
      options.warn?.(`waiting for the ns-tool build that holds ${path}${holder ? ` (pid ${holder.pid})` : ''}`)
    }
    await new Promise((resolve) => setTimeout(resolve, delay))
  }
}
