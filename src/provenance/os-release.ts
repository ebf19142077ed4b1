// The files that tell a scanner which distribution a tree comes from: /etc/os-release (what syft
// and grype read) and the distribution's own version file (trivy knows Debian by
// /etc/debian_version, Ubuntu by /etc/lsb-release, Alpine by /etc/alpine-release).
export const OS_IDENTITY_FILES = ['/etc/os-release', '/etc/debian_version', '/etc/lsb-release', '/etc/alpine-release', '/etc/redhat-release', '/etc/system-release']

// The fields of an os-release file (KEY=value lines, values optionally quoted).
export function parseOsRelease(text: string): Record<string, string> {
  const fields: Record<string, string> = {}
  for (const line of text.split('\n')) {
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line.trim())
    if (!match) continue
    let value = match[2]
    if (/^(["']).*\1$/.test(value)) value = value.slice(1, -1).replace(/\\(["'$`\\])/g, '$1')
    fields[match[1]] = value
  }
  return fields
}
