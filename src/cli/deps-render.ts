// The three faces of a closure for `deps`: a tree (who asked for what, where it was found and
// how), the JSON of `deps --json`, and a Graphviz graph.
import type {DataFile} from '../data/index.js'
import type {Closure, DependencyEdge, FoundVia, MissingLibrary} from '../loader/types.js'
import {missingLine} from '../loader/missing.js'
import type {PackageRef} from '../provenance/types.js'

export {missingLine}

const VIA_LABEL: Record<FoundVia, string> = {
  path: 'path',
  rpath: 'RPATH',
  'ld-library-path': 'LD_LIBRARY_PATH',
  runpath: 'RUNPATH',
  'ld.so.cache': 'ld.so.cache',
  'ld.so.conf': 'ld.so.conf',
  'ld-musl-path': 'ld-musl path file',
  'default-dirs': 'default dirs',
  'already-loaded': 'already loaded',
  ldd: 'ldd',
}

// `deps --json`: programs, files (each with the package that ships it), missing; and data: every
// file brought for a reason other than the ELF closure (a package, a rule, a .note.dlopen, a
// trace), with that reason.
export function closureJson(closure: Closure, packages = new Map<string, PackageRef>(), data: DataFile[] = []): string {
  const files = closure.files.map((file) => (packages.has(file.path) ? {...file, package: packages.get(file.path)} : file))
  return JSON.stringify({programs: closure.programs, files, missing: closure.missing, data}, null, 2) + '\n'
}

// The data files by reason; within a reason, each file or directory that is not inside another
// one of them, with how many entries it brings.
export function dataTree(data: DataFile[], shown = 8): string {
  if (data.length === 0) return ''
  const byReason = new Map<string, string[]>()
  for (const file of data) {
    const paths = byReason.get(file.reason)
    if (paths) paths.push(file.path)
    else byReason.set(file.reason, [file.path])
  }
  const lines = ['', `data (${data.length} entr${data.length === 1 ? 'y' : 'ies'}, not ELF dependencies):`]
  for (const [reason, paths] of byReason) {
    const set = new Set(paths)
    const under = (path: string): boolean => {
      for (let dir = path.slice(0, path.lastIndexOf('/')); dir.length > 0; dir = dir.slice(0, dir.lastIndexOf('/'))) if (set.has(dir)) return true
      return false
    }
    const tops = paths.filter((path) => !under(path)).sort()
    lines.push(`  ${reason}`)
    for (const top of tops.slice(0, shown)) {
      const inside = paths.filter((path) => path.startsWith(top + '/')).length
      lines.push(`    ${top}${inside > 0 ? ` (and ${inside} entr${inside === 1 ? 'y' : 'ies'} in it)` : ''}`)
    }
    if (tops.length > shown) lines.push(`    ... and ${tops.length - shown} more`)
  }
  return lines.join('\n') + '\n'
}

export function closureTree(closure: Closure, packages = new Map<string, PackageRef>()): string {
  const shipped = (path: string) => {
    const pkg = packages.get(path)
    return pkg ? `  (${pkg.name} ${pkg.version})` : ''
  }
  const edges = closure.edges ?? []
  const byProcess = new Map<string, DependencyEdge[]>()
  for (const edge of edges) {
    const key = `${edge.program}\0${edge.from}`
    const list = byProcess.get(key)
    if (list) list.push(edge)
    else byProcess.set(key, [edge])
  }
  const processes = new Set(edges.map((edge) => edge.program))
  const missingByKey = new Map<string, MissingLibrary>()
  for (const entry of closure.missing) missingByKey.set(`${entry.neededBy}\0${entry.soname}`, entry)

  const lines: string[] = []
  const expanded = new Set<string>()
  const walk = (program: string, object: string, prefix: string): void => {
    const children = byProcess.get(`${program}\0${object}`) ?? []
    children.forEach((edge, index) => {
      const last = index === children.length - 1
      const branch = prefix + (last ? '└── ' : '├── ')
      const inner = prefix + (last ? '    ' : '│   ')
      lines.push(branch + describeEdge(edge) + (edge.path === undefined ? '' : shipped(edge.path)))
      if (edge.path === undefined) {
        const entry = missingByKey.get(`${edge.from}\0${edge.name}`)
        if (entry?.error) lines.push(`${inner}    refused: ${entry.error}`)
        if (entry && entry.searched.length > 0) {
          lines.push(`${inner}    searched:`)
          for (const path of entry.searched) lines.push(`${inner}      ${path}`)
        }
        return
      }
      // A script's interpreter is a process of its own; anything else continues this one.
      const next = edge.kind === 'interpreter' && edge.path !== object && processes.has(edge.path) ? edge.path : program
      const key = `${next}\0${edge.path}`
      if (edge.foundVia === 'already-loaded' || expanded.has(key)) return
      expanded.add(key)
      walk(next, edge.path, inner)
    })
  }

  for (const program of closure.programs) {
    const facts: string[] = [program.type]
    if (program.interpreter) facts.push(`interpreter ${program.interpreter}`)
    const name = program.name === program.path ? program.path : `${program.name}: ${program.path}`
    lines.push(`${name} (${facts.join(', ')})${shipped(program.path)}`)
    expanded.add(`${program.path}\0${program.path}`)
    walk(program.path, program.path, '')
  }
  const extra = closure.files.filter((file) => file.kind === 'file')
  for (const file of extra) {
    lines.push(`${file.path} (file)`)
    walk(file.path, file.path, '')
  }

  const libraries = closure.files.filter((file) => file.kind !== 'program').length
  lines.push('')
  lines.push(
    `${closure.programs.length} program${plural(closure.programs.length)}, ${libraries} more file${plural(libraries)}` +
      (closure.missing.length > 0 ? `, ${closure.missing.length} missing:` : ', nothing missing'),
  )
  for (const entry of closure.missing) lines.push(`  ${missingLine(entry)}`)
  return lines.join('\n') + '\n'
}

function describeEdge(edge: DependencyEdge): string {
  if (edge.path === undefined) return `${edge.name} => not found`
  const shown = edge.name === edge.path ? edge.path : `${edge.name} => ${edge.path}`
  if (edge.kind === 'interpreter') return `${shown}  [interpreter${edge.name.includes('/') ? '' : ', found on PATH'}]`
  return `${shown}  [${edge.foundVia ? VIA_LABEL[edge.foundVia] : 'ldd'}]`
}

function plural(n: number): string {
  return n === 1 ? '' : 's'
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`
}

export function closureDot(closure: Closure): string {
  const lines = ['digraph deps {', '  rankdir=LR;', '  node [shape=box, fontname="monospace"];']
  for (const program of closure.programs) lines.push(`  ${dotString(program.path)} [style=bold, label=${dotString(`${program.path}\n(${program.type})`)}];`)
  for (const file of closure.files) {
    if (file.kind === 'interpreter') lines.push(`  ${dotString(file.path)} [shape=ellipse];`)
    if (file.kind === 'file') lines.push(`  ${dotString(file.path)} [style=dashed];`)
  }
  const seen = new Set<string>()
  for (const edge of closure.edges ?? []) {
    const target = edge.path ?? `missing:${edge.name}`
    const label = edge.kind === 'interpreter' ? 'interpreter' : `${edge.name}${edge.foundVia ? `\n${VIA_LABEL[edge.foundVia]}` : ''}`
    const line = `  ${dotString(edge.from)} -> ${dotString(target)} [label=${dotString(label)}${edge.path === undefined ? ', color=red' : ''}];`
    if (seen.has(line)) continue
    seen.add(line)
    lines.push(line)
  }
  for (const entry of closure.missing) {
    const line = `  ${dotString(`missing:${entry.soname}`)} [label=${dotString(`${entry.soname}\nnot found`)}, color=red, fontcolor=red];`
    if (!seen.has(line)) {
      seen.add(line)
      lines.push(line)
    }
  }
  lines.push('}')
  return lines.join('\n') + '\n'
}
