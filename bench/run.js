#!/usr/bin/env node
// `npm run bench`: every row of design §6. Each row runs ns-tool and its reference tools
// alternately (one run of each in turn, BENCH_RUNS rounds), reports medians and ratios, prints a
// table and writes bench/results.json. A reference that is missing and cannot be installed is
// reported as skipped, never faked. NODE_EXTRA_CA_CERTS is unset, as on a user's machine.
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath, pathToFileURL} from 'node:url'

const root = dirname(dirname(fileURLToPath(import.meta.url)))
const env = {...process.env}
delete env.NODE_EXTRA_CA_CERTS
const smallRuns = Number(process.env.BENCH_RUNS ?? 11)
const bigRuns = Number(process.env.BENCH_BIG_RUNS ?? 3)
const work = mkdtempSync(join(tmpdir(), 'ns-tool-bench-'))
const node = process.execPath
const nsTool = [node, join(root, 'bin', 'run.js')]
const isRoot = process.getuid() === 0

function which(name) {
  const r = spawnSync('sh', ['-c', `command -v ${name}`], {encoding: 'utf8'})
  return r.status === 0 ? r.stdout.trim() : undefined
}

// Installs a reference tool with apt when root and missing; returns its path or undefined.
function ensureTool(name, pkg) {
  let path = which(name)
  if (path || !isRoot) return path
  const aptEnv = {...env, DEBIAN_FRONTEND: 'noninteractive'}
  const install = () => spawnSync('apt-get', ['install', '-y', '-q', pkg], {stdio: 'ignore', env: aptEnv}).status === 0
  if (!install()) {
    spawnSync('apt-get', ['update', '-q'], {stdio: 'ignore', env: aptEnv})
    install()
  }
  return which(name)
}

function rm(path) {
  rmSync(path, {recursive: true, force: true})
}

// Before each big copy: the previous round's tree removed and its dirty pages written out, so
// that no round pays for another's writeback.
function fresh(path) {
  rm(path)
  spawnSync('sync')
}

// One timed run; returns milliseconds, or throws with the command's stderr.
function timeOnce(argv, options = {}) {
  const start = process.hrtime.bigint()
  const r = spawnSync(argv[0], argv.slice(1), {env, stdio: ['ignore', 'ignore', 'pipe'], maxBuffer: 64 << 20, ...options})
  const ms = Number(process.hrtime.bigint() - start) / 1e6
  if (r.status !== 0) throw new Error(`${argv.slice(0, 4).join(' ')} ... exited ${r.status}: ${String(r.stderr).slice(0, 400)}`)
  return ms
}

function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

// Runs every contender of a row in turn, `runs` rounds; returns {label: medianMs}.
function alternate(contenders, runs) {
  const samples = Object.fromEntries(contenders.map((c) => [c.label, []]))
  for (const c of contenders) c.warmup?.()
  for (let i = 0; i < runs; i++) {
    for (const c of contenders) {
      c.before?.()
      samples[c.label].push(timeOnce(c.argv, c.options))
    }
  }
  return Object.fromEntries(Object.entries(samples).map(([label, s]) => [label, median(s)]))
}

const rows = []
function record(row) {
  rows.push(row)
  const status = row.skipped ? `skipped: ${row.skipped}` : row.targets.map((t) => `${t.met ? 'met' : 'NOT met'}: ${t.text}`).join('; ')
  console.error(`bench: ${row.case} — ${status}`)
}

function target(text, ratio, limit, kind = 'max') {
  const met = kind === 'max' ? ratio <= limit : ratio >= limit
  return {text: `${text} (${ratio.toFixed(2)})`, ratio: Number(ratio.toFixed(3)), limit, met}
}

// The dynamic ELF programs of /usr/bin, through our own header reader.
async function dynamicPrograms() {
  const {readElfSync} = await import(pathToFileURL(join(root, 'dist', 'src', 'elf', 'index.js')).href)
  const programs = []
  for (const name of readdirSync('/usr/bin').sort()) {
    const path = join('/usr/bin', name)
    try {
      if (!statSync(path).isFile()) continue
      const elf = readElfSync(path)
      if (elf.linkage === 'dynamic') programs.push(path)
    } catch {
      // not ELF, or unreadable: not part of this row
    }
  }
  return programs
}

// What the build of `programs` copies, for the tar reference: every regular file of its plan (by
// its source) and every symlink (the host layout keeps host paths), so that tar copies the same
// bytes and makes the same links — symlink targets included, which a list of the closure alone
// leaves out.
function plannedPaths(programs) {
  const r = spawnSync(nsTool[0], [...nsTool.slice(1), 'build-rootfs', '--no-data', '--dry-run', '--json', '-o', join(work, 'unused'), ...programs], {env, encoding: 'utf8', maxBuffer: 256 << 20})
  if (r.status !== 0) throw new Error(`build-rootfs --dry-run failed: ${r.stderr}`)
  const paths = []
  for (const entry of JSON.parse(r.stdout).entries) {
    if (entry.type === 'file' && entry.source) paths.push(entry.source)
    else if (entry.type === 'symlink') paths.push(entry.path)
  }
  return paths
}

// Export the /usr/bin tree as a layered OCI image (one layer per package for the 15 most shared,
// the rest in the last), against tar -czf of the same tree: both write every file once through
// gzip at its default level.
function exportRow(programs) {
  const dir = join(work, 'export')
  const tree = join(dir, 'tree')
  timeOnce([...nsTool, 'build-rootfs', '-q', '--no-data', '-o', tree, ...programs])
  const results = alternate(
    [
      {label: 'ns-tool export --format oci --layers 16', argv: [...nsTool, 'export', tree, '--format', 'oci', '--layers', '16', '-q', '-o', join(dir, 'image')], before: () => fresh(join(dir, 'image'))},
      {label: 'tar -czf', argv: ['tar', '-C', tree, '--exclude', './var/lib/ns-tool', '-czf', join(dir, 'tree.tar.gz'), '.'], before: () => fresh(join(dir, 'tree.tar.gz'))},
    ],
    bigRuns,
  )
  record({case: `export the /usr/bin tree (${programs.length} programs) as a layered OCI image`, medians: results, targets: [target('≤ 2 × tar', results['ns-tool export --format oci --layers 16'] / results['tar -czf'], 2)]})
  rm(dir)
}

async function main() {
  // BENCH_ROWS=export runs that row alone (to check it while others use the machine).
  if (process.env.BENCH_ROWS === 'export') return exportRow(await dynamicPrograms())
  const lddtreePath = ensureTool('lddtree', 'pax-utils')
  // pax-utils' lddtree is a Python script (#!/usr/bin/env python3) that needs pyelftools; a
  // python3 earlier on PATH (pyenv) may lack it, so run it with the system's python3.
  const lddtree = lddtreePath && existsSync('/usr/bin/python3') && readFileSync(lddtreePath, 'utf8').slice(0, 80).includes('python') ? ['/usr/bin/python3', lddtreePath] : lddtreePath ? [lddtreePath] : undefined
  const bwrap = ensureTool('bwrap', 'bubblewrap')
  const gnuTime = existsSync('/usr/bin/time') ? '/usr/bin/time' : ensureTool('time', 'time')
  const small = ['bash', 'ls', 'ps'].map((p) => which(p))

  // BENCH_ROWS=data runs the data rows alone; BENCH_ROWS=start the start-up rows (small build, run);
  // BENCH_ROWS=build the default builds (small and large).
  if (process.env.BENCH_ROWS === 'data') return dataRows(lddtree)
  if (process.env.BENCH_ROWS === 'build') {
    smallRow(lddtree, small)
    return largeRow()
  }
  if (process.env.BENCH_ROWS === 'start') {
    smallRow(lddtree, small)
    return runRows(bwrap)
  }
  // BENCH_ROWS=network: the published-port start-up row alone.
  if (process.env.BENCH_ROWS === 'network') return networkRow()

  smallRow(lddtree, small)
  largeRow()

  // Rows 2-4: every dynamic ELF of /usr/bin.
  const programs = await dynamicPrograms()
  const files = plannedPaths(programs)
  const big = join(work, 'big')
  const listFile = join(work, 'files.txt')
  writeFileSync(listFile, files.map((f) => f.slice(1)).join('\n') + '\n')
  const tarCopy = {
    label: 'tar copy',
    argv: ['sh', '-c', `mkdir -p "$1" && tar -C / -cf - -T "$2" | tar -C "$1" -xf -`, 'tar', join(big, 'tar'), listFile],
    before: () => fresh(join(big, 'tar')),
  }
  const nsCold = {label: 'ns-tool', argv: [...nsTool, 'build-rootfs', '--no-data', '-o', join(big, 'ns'), ...programs], before: () => fresh(join(big, 'ns'))}
  {
    const contenders = [nsCold, tarCopy]
    if (lddtree) contenders.push({label: 'lddtree', argv: [...lddtree, '--copy-to-tree', join(big, 'ldd'), ...programs], before: () => fresh(join(big, 'ldd'))})
    if (!process.env.BENCH_SKIP_SCRIPT) contenders.push({label: 'copy_exe.sh', argv: [join(root, 'bench', 'copy_exe.sh'), join(big, 'sh'), ...programs], before: () => fresh(join(big, 'sh'))})
    const results = alternate(contenders, bigRuns)
    const targets = [target('≤ 1.3 × tar', results['ns-tool'] / results['tar copy'], 1.3)]
    if (results.lddtree) targets.push(target('≥ 4 × faster than lddtree (lddtree/ns)', results.lddtree / results['ns-tool'], 4, 'min'))
    record({case: `build every dynamic ELF in /usr/bin (${programs.length} programs; ${files.length} files and links), cold`, medians: results, targets})
  }
  {
    const results = alternate(
      [
        {label: 'ns-tool --copy-mode hardlink', argv: [...nsTool, 'build-rootfs', '--no-data', '--copy-mode', 'hardlink', '-o', join(big, 'hl'), ...programs], before: () => fresh(join(big, 'hl'))},
        tarCopy,
      ],
      bigRuns,
    )
    record({case: 'same, --copy-mode hardlink', medians: results, targets: [target('≤ 0.3 × tar', results['ns-tool --copy-mode hardlink'] / results['tar copy'], 0.3)]})
  }
  {
    // The rebuild runs on the tree the previous round left; the cold build on its own directory.
    const rebuildOut = join(big, 'rebuild')
    timeOnce([...nsTool, 'build-rootfs', '--no-data', '-o', rebuildOut, ...programs])
    const results = alternate(
      [{label: 'ns-tool rebuild', argv: [...nsTool, 'build-rootfs', '--no-data', '-o', rebuildOut, ...programs]}, nsCold],
      bigRuns,
    )
    record({case: 'rebuild when nothing changed', medians: results, targets: [target('≤ 0.15 × cold', results['ns-tool rebuild'] / results['ns-tool'], 0.15)]})
  }
  {
    if (!gnuTime) {
      record({case: 'peak memory, the /usr/bin build', skipped: 'GNU time not installed'})
    } else {
      rm(join(big, 'mem'))
      const r = spawnSync(gnuTime, ['-f', '%M', ...nsTool, 'build-rootfs', '--no-data', '-o', join(big, 'mem'), ...programs], {env, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe']})
      const kb = Number(String(r.stderr).trim().split('\n').pop())
      const mb = kb / 1024
      record({case: 'peak memory, the /usr/bin build', medians: {'ns-tool peak RSS (MB)': Number(mb.toFixed(1))}, targets: [{text: `≤ 200 MB RSS (${mb.toFixed(1)} MB)`, ratio: mb, limit: 200, met: mb <= 200}]})
    }
  }
  rm(big)
  exportRow(programs)
  dataRows(lddtree)

  await runRows(bwrap)
  await networkRow()
}

// Row 1: bash ls ps, cold, as users build it (the defaults, data included) against node's start
// plus `cp -a` of the very tree it makes (the floor: start the runtime, copy the bytes); the ELF
// path alone (`--no-data`) against lddtree and the copy_exe.sh script, like for like.
function smallRow(lddtree, small) {
  const out = join(work, 'small')
  const built = join(out, 'built')
  timeOnce([...nsTool, 'build-rootfs', '-q', '-o', built, ...small])
  const results = alternate(
    [
      {label: 'ns-tool', argv: [...nsTool, 'build-rootfs', '-o', join(out, 'ns'), ...small], before: () => rm(join(out, 'ns'))},
      {label: 'ns-tool --no-data', argv: [...nsTool, 'build-rootfs', '--no-data', '-o', join(out, 'nd'), ...small], before: () => rm(join(out, 'nd'))},
      {label: 'copy_exe.sh', argv: [join(root, 'bench', 'copy_exe.sh'), join(out, 'sh'), ...small], before: () => rm(join(out, 'sh'))},
      ...(lddtree ? [{label: 'lddtree', argv: [...lddtree, '--copy-to-tree', join(out, 'ldd'), ...small], before: () => rm(join(out, 'ldd'))}] : []),
      {label: 'cp -a of the tree', argv: ['cp', '-a', built, join(out, 'cp')], before: () => rm(join(out, 'cp'))},
      {label: 'node -e 0', argv: [node, '-e', '0']},
    ],
    smallRuns,
  )
  const floor = results['node -e 0'] + results['cp -a of the tree']
  const targets = [target('defaults ≤ 1.5 × (node -e 0 + cp -a)', results['ns-tool'] / floor, 1.5)]
  if (results.lddtree) targets.push(target('--no-data faster than lddtree (ns/lddtree < 1)', results['ns-tool --no-data'] / results.lddtree, 1))
  record({case: `build bash ls ps, cold (${countEntries(built)} entries with the defaults)`, medians: results, targets, skippedReferences: lddtree ? [] : ['lddtree: not installed']})
  const planned = alternate(
    [
      {label: 'ns-tool --dry-run', argv: [...nsTool, 'build-rootfs', '--dry-run', '-o', join(out, 'dry'), ...small]},
      {label: 'node -e 0', argv: [node, '-e', '0']},
    ],
    smallRuns,
  )
  record({case: 'plan bash ls ps with data (--dry-run)', medians: planned, targets: [target('≤ 2 × node -e 0', planned['ns-tool --dry-run'] / planned['node -e 0'], 2)]})
  rm(out)
}

// A large build as users make it: a few dozen varied programs with the defaults, against `cp -a`
// of the tree it makes.
const LARGE = ['python3', 'perl', 'git', 'bash', 'ls', 'cp', 'mv', 'rm', 'cat', 'sort', 'uniq', 'wc', 'head', 'tail', 'tr', 'cut', 'date', 'env', 'find', 'xargs', 'grep', 'sed', 'awk', 'tar', 'gzip', 'xz', 'ps', 'less', 'make', 'openssl', 'sqlite3', 'file', 'curl', 'ssh']
function largeRow() {
  const programs = LARGE.map((p) => which(p)).filter(Boolean)
  const out = join(work, 'large')
  const built = join(out, 'built')
  timeOnce([...nsTool, 'build-rootfs', '-q', '-o', built, ...programs])
  const results = alternate(
    [
      {label: 'ns-tool', argv: [...nsTool, 'build-rootfs', '-q', '-o', join(out, 'ns'), ...programs], before: () => fresh(join(out, 'ns'))},
      {label: 'cp -a of the tree', argv: ['cp', '-a', built, join(out, 'cp')], before: () => fresh(join(out, 'cp'))},
    ],
    bigRuns,
  )
  record({case: `build ${programs.length} programs with the defaults (python3, perl, git, coreutils...; ${countEntries(built)} entries), cold`, medians: results, targets: [target('≤ 1.3 × cp -a', results['ns-tool'] / results['cp -a of the tree'], 1.3)]})
  rm(out)
}

function countEntries(dir) {
  return readdirSync(dir, {recursive: true}).length
}

// Rows 5-6: entering a rootfs.
async function runRows(bwrap) {
  const runRoot = join(work, 'runroot')
  timeOnce([...nsTool, 'build-rootfs', '--no-data', '-o', runRoot, 'bash', 'true'])
  {
    const contenders = [
      {label: 'ns-tool run', argv: [...nsTool, 'run', runRoot, '/bin/true']},
      {label: 'node -e 0', argv: [node, '-e', '0']},
    ]
    if (bwrap) contenders.push({label: 'bwrap --unshare-all', argv: [bwrap, '--unshare-all', '--die-with-parent', '--bind', runRoot, '/', '--proc', '/proc', '--dev', '/dev', '/bin/true']})
    if (isRoot) contenders.push({label: 'unshare --pid --mount-proc', argv: ['unshare', '--fork', '--pid', '--mount', `--root=${runRoot}`, `--mount-proc=/proc`, '/bin/true']})
    const results = alternate(contenders, smallRuns)
    record({case: 'run R /bin/true', medians: results, targets: [target('≤ 1.3 × node -e 0', results['ns-tool run'] / results['node -e 0'], 1.3)]})
  }
  {
    const [{helperPath}, {helperArgv}] = await Promise.all(['helper/locate.js', 'sandbox/spec.js'].map((module) => import(pathToFileURL(join(root, 'dist', 'src', module)).href)))
    if (!bwrap) {
      record({case: 'helper alone, /bin/true', skipped: 'bubblewrap not installed'})
    } else {
      const argv = [helperPath(), ...helperArgv({rootfs: runRoot, command: '/bin/true'})]
      const results = alternate(
        [
          {label: 'ns-tool-helper', argv},
          {label: 'bwrap (same isolation)', argv: [bwrap, '--unshare-all', '--new-session', '--die-with-parent', '--bind', runRoot, '/', '--proc', '/proc', '--dev', '/dev', '--ro-bind', '/sys', '/sys', '--tmpfs', '/dev/shm', '--hostname', 'ns-tool', '/bin/true']},
        ],
        smallRuns,
      )
      record({case: 'helper alone, /bin/true', medians: results, targets: [target('≤ 1.0 × bwrap', results['ns-tool-helper'] / results['bwrap (same isolation)'], 1.0)]})
    }
  }
}

// A port of 127.0.0.1 that nothing holds now (each round's run frees it again when it ends).
async function freePort() {
  const {createServer} = await import('node:net')
  const server = createServer()
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address()
  await new Promise((resolve) => server.close(resolve))
  return port
}

// Row: start-up with a published port: run --net private -p (slirp4netns, started and given the
// port) against podman run with the same -p (root: its own bridge and port forwarder), on the
// OCI image ns-tool exports from the same tree.
async function networkRow() {
  const name = 'run --net private -p, /bin/true'
  const slirp = ensureTool('slirp4netns', 'slirp4netns')
  const podman = isRoot ? ensureTool('podman', 'podman') : undefined
  if (!slirp || !podman) return record({case: name, skipped: !slirp ? 'slirp4netns not installed' : 'podman runs images as root here (rootless podman needs subordinate ids)'})
  // Lower case: podman names the image after its oci: path.
  const dir = join(tmpdir(), `ns-tool-bench-network-${process.pid}`)
  const tree = join(dir, 'tree')
  timeOnce([...nsTool, 'build-rootfs', '-q', '--no-data', '-o', tree, 'true'])
  timeOnce([...nsTool, 'export', tree, '--format', 'oci', '-q', '-o', join(dir, 'image')])
  // Loaded into podman's store once, as a pulled image is run.
  const pulled = spawnSync(podman, ['pull', '-q', `oci:${join(dir, 'image')}:latest`], {env, encoding: 'utf8'})
  const image = String(pulled.stdout).trim().split('\n').pop()
  if (pulled.status !== 0 || !image) return record({case: name, skipped: `podman pull of the exported image failed: ${String(pulled.stderr).slice(0, 200)}`})
  try {
    const publish = `127.0.0.1:${await freePort()}:80`
    const results = alternate(
      [
        {label: 'ns-tool run -p', argv: [...nsTool, 'run', '-p', publish, tree, '/usr/bin/true']},
        {label: 'podman run -p', argv: [podman, 'run', '--rm', '--runtime', 'runc', '--cgroup-manager', 'cgroupfs', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024', '-p', publish, '--entrypoint', '/usr/bin/true', image]},
      ],
      smallRuns,
    )
    record({case: name, medians: results, targets: [target('faster than podman run -p (ns/podman < 1)', results['ns-tool run -p'] / results['podman run -p'], 1)]})
  } finally {
    spawnSync(podman, ['rmi', '--force', image], {stdio: 'ignore'})
    rm(dir)
  }
}

// Rows 7-8: the data. python3 with its standard library (data rules, no run; the reference runs a
// job importing ssl, sqlite3, lzma, ctypes, json and decimal), and a build with one --trace, each
// against the exodus way: strace -f of the job, then lddtree of each file it used.
function dataRows(lddtree) {
  const strace = ensureTool('strace', 'strace')
  if (!strace || !lddtree || !existsSync('/usr/bin/python3')) {
    const why = !strace ? 'strace not installed' : !lddtree ? 'lddtree not installed' : 'no /usr/bin/python3'
    record({case: 'build python3 with its data', skipped: why})
    record({case: 'build with one --trace (tar with its compressor)', skipped: why})
    return
  }
  const out = join(work, 'data')
  const exodus = (label, job) => ({label, argv: [join(root, 'bench', 'exodus.sh'), join(out, label), job], before: () => rm(join(out, label)), options: {env: {...env, LDDTREE: lddtree.join(' ')}}})
  const python = "/usr/bin/python3 -c 'import ssl, sqlite3, lzma, ctypes, json, decimal'"
  {
    const results = alternate([
      {label: 'ns-tool', argv: [...nsTool, 'build-rootfs', '-q', '-o', join(out, 'ns'), '/usr/bin/python3'], before: () => rm(join(out, 'ns'))},
      exodus('strace + lddtree', python),
    ], smallRuns)
    record({case: 'build python3 with its data', medians: results, targets: [target('faster than strace + lddtree (ns/exodus < 1)', results['ns-tool'] / results['strace + lddtree'], 1)]})
  }
  {
    const job = 'cd "$(mktemp -d)" && echo data > f && tar czf f.tgz f && tar tzf f.tgz'
    const results = alternate([
      // --no-data: the tree of the traced files and their closures, what the exodus way makes.
      {label: 'ns-tool --trace', argv: [...nsTool, 'build-rootfs', '-q', '--no-data', '-o', join(out, 'nst'), 'tar', 'sh', '--trace', job], before: () => rm(join(out, 'nst'))},
      exodus('strace + lddtree', job),
    ], smallRuns)
    record({case: 'build with one --trace (tar with its compressor)', medians: results, targets: [target('faster than strace + lddtree (ns/exodus < 1)', results['ns-tool --trace'] / results['strace + lddtree'], 1)]})
  }
  rm(out)
}

function render() {
  const lines = ['| case | medians (ms) | target (ratio) |', '|---|---|---|']
  for (const row of rows) {
    if (row.skipped) {
      lines.push(`| ${row.case} | skipped: ${row.skipped} | — |`)
      continue
    }
    const medians = Object.entries(row.medians).map(([k, v]) => `${k} ${typeof v === 'number' ? v.toFixed(1) : v}`).join('; ')
    const targets = row.targets.map((t) => `${t.met ? '✔' : '✘'} ${t.text}`).join('; ')
    lines.push(`| ${row.case} | ${medians} | ${targets} |`)
  }
  return lines.join('\n')
}

try {
  await main()
} finally {
  rm(work)
  const table = render()
  console.log(table)
  const results = {date: new Date().toISOString(), node: process.version, runs: {small: smallRuns, big: bigRuns}, rows}
  // A partial run does not replace the results of a whole one.
  if (!process.env.BENCH_ROWS) writeFileSync(join(root, 'bench', 'results.json'), JSON.stringify(results, null, 2) + '\n')
}
