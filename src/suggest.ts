// "Did you mean": the closest of some names to a mistyped one (edit distance), for commands, flags,
// the values of choice flags and the API's option names alike.

function distance(a: string, b: string): number {
  const row = Array.from({length: b.length + 1}, (_, i) => i)
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0]
    row[0] = i
    for (let j = 1; j <= b.length; j++) {
      const current = row[j]
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1))
      previous = current
    }
  }
  return row[b.length]
}

// The closest name, when it is close enough to be what was meant; else the one name that begins
// with the word (`spdx` for spdx-json).
export function closest(word: string, names: Iterable<string>): string | undefined {
  let best: {name: string; d: number} | undefined
  const all = [...names]
  for (const name of all) {
    const d = distance(word, name)
    if (!best || d < best.d) best = {name, d}
  }
  if (best && best.d <= Math.max(2, Math.floor(best.name.length / 3))) return best.name
  const extending = all.filter((name) => word.length >= 2 && name.startsWith(word))
  return extending.length === 1 ? extending[0] : undefined
}

// `; did you mean X?` or nothing.
export function didYouMean(word: string, names: Iterable<string>): string {
  const name = closest(word, names)
  return name === undefined ? '' : `; did you mean ${name}?`
}
