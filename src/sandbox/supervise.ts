// Supervision: starts the helper for a run spec, forwards the signals ns-tool receives, and
// resolves with the command's exit status.
import {spawn} from 'node:child_process'
import {closeSync, constants as fsConstants, fstatSync, openSync, readFileSync, readSync, statSync, writeSync} from 'node:fs'
import {join} from 'node:path'
import {constants} from 'node:os'
import {NsToolError, UsageError} from '../errors.js'
import {helperPath} from '../helper/locate.js'
import {commandExecution} from '../loader/execution.js'
import {ROOT_PATH} from '../loader/program.js'
import {LEGACY_MANIFEST, MANIFEST} from '../manifest-path.js'
import {PinnedTree} from '../rootfs/write/beneath.js'
import {commandEnvironment} from '../environment/index.js'
import {helperArgv, SECCOMP_FD, termFor, type RunSpec} from './spec.js'

const FORWARDED = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const

// A seccomp filter compiled here, when the helper's built-in one is not the one asked for (a
// profile file, or capabilities that lift a refusal); loaded only then, off run's fast path.
async function compiledFilter(spec: RunSpec): Promise<Buffer | undefined> {
  const setting = spec.seccomp ?? 'default'
  if (setting === 'unconfined' || (setting === 'default' && !spec.capAdd?.length)) return undefined
  const [{seccompFilter}, {capabilitySet, DEFAULT_CAPABILITIES}] = await Promise.all([import('./seccomp/index.js'), import('./capabilities.js')])
  const caps = capabilitySet(spec.capAdd, spec.capDrop)
  const filter = await seccompFilter(setting, caps, caps.filter((cap) => !DEFAULT_CAPABILITIES.includes(cap)))
  return 'program' in filter ? filter.program : undefined
}

// Runs the command; resolves with its exit status (128+N when the helper died of signal N).
export async function run(request: RunSpec): Promise<number> {
  checkRootfs(request.rootfs)
  // Checked before anything starts: a bad -p is one line, and nothing has run.
  const network = await networkArgv(request)
  const spec = request.command === undefined ? {...request, command: await shellOf(request.rootfs)} : request
  const env = await commandEnvironment(spec)
  const emulated = await withEmulation(spec, env)
  const helper = helperPath()
  const filter = await compiledFilter(emulated)
  const argv = helperArgv({...emulated, env, network, term: termFor(spec), readOnly: spec.readOnly || mustStayUnchanged(spec)}, filter !== undefined)
  return new Promise((resolve, reject) => {
    // The helper forwards these to the command; ns-tool itself must not die of them first. Listened
    // to before the spawn: on a busy machine COMMAND may run, and be signalled through ns-tool,
    // before the statement after spawn() does (a signal then found no handler and killed ns-tool).
    // The listeners themselves run later, from the event loop, when child is set.
    const forward = (signal: NodeJS.Signals) => child.kill(signal)
    for (const signal of FORWARDED) process.on(signal, forward)
    const stdio = filter ? ['inherit', 'inherit', 'inherit', 'pipe'] as const : 'inherit'
    const child = spawn(helper, argv, {stdio: stdio as 'inherit'})
    if (filter) {
      const pipe = child.stdio[SECCOMP_FD] as NodeJS.WritableStream
      // A helper that stops before reading it has said why on stderr.
      pipe.on('error', () => {})
      pipe.end(filter)
    }
    const done = () => FORWARDED.forEach((s) => process.off(s, forward))
    child.on('error', (error) => {
      done()
      reject(error)
    })
    child.on('exit', (code, signal) => {
      done()
      resolve(code ?? 128 + (signal ? osSignal(signal) : 0))
    })
  })
}

// The network's options, loaded only when a run asks for more than the default (no network, no files).
async function networkArgv(spec: RunSpec): Promise<string[]> {
  const wanted = (spec.net !== undefined && spec.net !== 'none') || spec.publish?.length || spec.dns?.length || spec.addHost?.length || spec.hostLoopback
  return wanted ? (await import('./network.js')).networkArgv(spec) : []
}

// A command of an architecture this kernel does not execute runs under qemu, registered in the
// sandbox's own binfmt_misc (so a shell it starts runs that architecture's programs too); without
// qemu it is refused here, with what to install (exit 126: it exists but cannot be executed).
// COMMAND is looked up on the PATH it will have (env: its variables, see env.ts).
async function withEmulation(spec: RunSpec, env: Record<string, string>): Promise<RunSpec> {
  const path = env.PATH ?? (spec.envHost ? process.env.PATH : undefined) ?? ROOT_PATH
  const execution = await commandExecution(spec.rootfs, spec.command!, path, spec.workdir)
  if (execution.how === 'native') return spec
  if (execution.how === 'refused') throw new NsToolError(execution.reason, 126)
  if (spec.userns === 'never') throw new NsToolError(`${execution.program} runs under ${execution.emulator}, registered in a binfmt_misc of the sandbox's own, which needs a user namespace: drop --userns never`, 125)
  return {...spec, binfmt: [execution.registration]}
}

// A tree whose files are the host's own inodes: COMMAND writing to one would change the host's
// file, so the root is read-only unless the user asked otherwise (--ephemeral writes elsewhere).
function mustStayUnchanged(spec: RunSpec): boolean {
  if (spec.writable || spec.ephemeral || spec.readOnly || !sharesHostInodes(spec.rootfs)) return false
  writeSync(2, `ns-tool run: ${spec.rootfs} shares its files with the host (built with --copy-mode hardlink): mounted read-only (--writable to allow writes, --ephemeral to discard them)\n`)
  return true
}

// No COMMAND: the tree's shell, and a word when it is not /bin/sh. Loaded only then.
async function shellOf(rootfs: string): Promise<string> {
  const shell = (await import('./shell.js')).requireShell(rootfs)
  if (shell !== '/bin/sh') writeSync(2, `ns-tool run: ${rootfs} has no /bin/sh; starting ${shell}\n`)
  return shell
}

function osSignal(signal: NodeJS.Signals): number {
  return constants.signals[signal] ?? 0
}

// What run must know about ROOTFS before it starts anything: that it is a directory, and whether
// its files are the host's own inodes (built with --copy-mode hardlink), which COMMAND must not change.
function checkRootfs(rootfs: string): void {
  const stat = statSync(rootfs, {throwIfNoEntry: false})
  if (!stat) throw new UsageError(`${rootfs}: no such directory (build one with: ns-tool build-rootfs -o ${rootfs} bash)`)
  if (!stat.isDirectory()) throw new UsageError(`${rootfs}: not a directory (ROOTFS is the directory of a tree, such as one ns-tool build-rootfs made)`)
}

// The tree's manifest, as src/rootfs/write writes it: its `settings` (a JSON string) come before
// the long lists, so the first bytes of even a large tree's manifest say how its files were written.
const HEAD = 4096

// Whether ns-tool built the tree with --copy-mode hardlink. The manifest is read through no link
// and only when it is a regular file (a FIFO planted there must not block run).
function sharesHostInodes(rootfs: string): boolean {
  const tree = PinnedTree.open(rootfs)
  if (!tree) return false
  let fd: number | undefined
  try {
    for (const manifest of [MANIFEST, LEGACY_MANIFEST]) {
      const at = tree.at(`/${manifest}`)
      if (at === undefined) continue
      try {
        fd = openSync(at, fsConstants.O_RDONLY | fsConstants.O_NOFOLLOW | fsConstants.O_NONBLOCK)
        break
      } catch {
        // Not there: the other place, or none.
      }
    }
  } finally {
    tree.close()
  }
  if (fd === undefined) return false
  try {
    if (!fstatSync(fd).isFile()) return false
    const head = Buffer.alloc(HEAD)
    const settings = /"settings":("(?:[^"\\]|\\.)*")/.exec(head.toString('utf8', 0, readSync(fd, head, 0, HEAD, 0)))
    const text = settings ? (JSON.parse(settings[1]) as string) : wholeManifestSettings(fd)
    return (JSON.parse(text ?? '{}') as {copyMode?: string}).copyMode === 'hardlink'
  } catch {
    return false
  } finally {
    closeSync(fd)
  }
}

// A manifest whose settings are not in its first bytes (written by another version).
function wholeManifestSettings(fd: number): string | undefined {
  return (JSON.parse(readFileSync(fd, 'utf8')) as {settings?: string}).settings
}
