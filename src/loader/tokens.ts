// Dynamic string tokens as glibc expands them (elf/dl-load.c _dl_dst_substitute): $ORIGIN,
// $LIB and $PLATFORM, also written ${ORIGIN} etc. An unknown $NAME stays as written; a known
// token without a value (no origin) discards the whole path element.

export interface TokenValues {
  origin?: string
  lib: string
  platform?: string
}

const TOKENS = ['ORIGIN', 'PLATFORM', 'LIB'] as const

// Length of the token at text[i] ("$ORIGIN" or "${ORIGIN}"), 0 when name does not start there.
function tokenLength(text: string, i: number, name: string): number {
  if (text.startsWith('{' + name + '}', i + 1)) return name.length + 3
  if (text.startsWith(name, i + 1)) {
    const after = text[i + 1 + name.length]
    // $ORIGINAL is not $ORIGIN: the name must end at a non-identifier character.
    if (after === undefined || !/[A-Za-z0-9_]/.test(after)) return name.length + 1
  }
  return 0
}

// One path element (or a DT_NEEDED name) with its tokens expanded; undefined when it must be
// discarded.
export function expandTokens(text: string, values: TokenValues): string | undefined {
  if (!text.includes('$')) return text
  let out = ''
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== '$') {
      out += text[i]
      continue
    }
    let matched = false
    for (const name of TOKENS) {
      const length = tokenLength(text, i, name)
      if (length === 0) continue
      const value = name === 'ORIGIN' ? values.origin : name === 'LIB' ? values.lib : values.platform
      if (value === undefined) return undefined
      out += value
      i += length - 1
      matched = true
      break
    }
    if (!matched) out += '$'
  }
  return out
}

// A DT_RPATH / DT_RUNPATH / LD_LIBRARY_PATH string as the directory list the loader searches:
// split (":" or, for LD_LIBRARY_PATH, also ";"), tokens expanded, trailing slashes dropped,
// duplicates removed (fillin_rpath keeps the first). An empty element is the current directory.
export function searchDirs(list: string, values: TokenValues, separators = /:/): string[] {
  const dirs: string[] = []
  for (const element of list.split(separators)) {
    const expanded = expandTokens(element, values)
    if (expanded === undefined) continue
    let dir = expanded === '' ? '.' : expanded.replace(/\/+$/, '')
    if (dir === '') dir = '/'
    if (!dirs.includes(dir)) dirs.push(dir)
  }
  return dirs
}
