// A Debian package's licenses from its /usr/share/doc/NAME/copyright: in the machine-readable
// format (DEP-5) the License fields of its Files paragraphs; in a free-form file the
// /usr/share/common-licenses/NAME it points to (as trivy does). Debian's short names become SPDX
// identifiers where one exists, LicenseRef-NAME otherwise (with the text, when the file has it).
import {parseParagraph} from '../data/packages.js'

export interface PackageLicense {
  // An SPDX license expression over the identifiers below.
  expression: string
  // Each identifier: an SPDX id or LicenseRef-...; with its Debian name and, for a LicenseRef, the
  // text the copyright file gives.
  licenses: Array<{id: string; name: string; text?: string}>
}

const SPDX_OF: Record<string, string> = {
  'gpl-1': 'GPL-1.0-only', 'gpl-1+': 'GPL-1.0-or-later', 'gpl-2': 'GPL-2.0-only', 'gpl-2+': 'GPL-2.0-or-later',
  'gpl-3': 'GPL-3.0-only', 'gpl-3+': 'GPL-3.0-or-later', 'lgpl-2': 'LGPL-2.0-only', 'lgpl-2+': 'LGPL-2.0-or-later',
  'lgpl-2.1': 'LGPL-2.1-only', 'lgpl-2.1+': 'LGPL-2.1-or-later', 'lgpl-3': 'LGPL-3.0-only', 'lgpl-3+': 'LGPL-3.0-or-later',
  'agpl-3': 'AGPL-3.0-only', 'agpl-3+': 'AGPL-3.0-or-later', 'gfdl-1.2': 'GFDL-1.2-only', 'gfdl-1.2+': 'GFDL-1.2-or-later',
  'gfdl-1.3': 'GFDL-1.3-only', 'gfdl-1.3+': 'GFDL-1.3-or-later', 'artistic': 'Artistic-1.0-Perl', 'artistic-2.0': 'Artistic-2.0',
  'apache-2.0': 'Apache-2.0', 'apache-1.1': 'Apache-1.1', 'bsd-2-clause': 'BSD-2-Clause', 'bsd-3-clause': 'BSD-3-Clause',
  'bsd-4-clause': 'BSD-4-Clause', 'expat': 'MIT', 'mit': 'MIT', 'mit/x11': 'X11', 'x11': 'X11', 'isc': 'ISC', 'zlib': 'Zlib',
  'mpl-1.1': 'MPL-1.1', 'mpl-2.0': 'MPL-2.0', 'cc0-1.0': 'CC0-1.0', 'bsl-1.0': 'BSL-1.0', 'curl': 'curl', 'ftl': 'FTL',
  'fsfap': 'FSFAP', 'fsful': 'FSFUL', 'fsfullr': 'FSFULLR', 'openssl': 'OpenSSL', 'psf-2': 'PSF-2.0', 'python': 'Python-2.0',
  'libpng': 'Libpng', 'libpng-2.0': 'libpng-2.0', 'openldap-2.8': 'OLDAP-2.8', 'unicode-dfs-2016': 'Unicode-DFS-2016',
  'gpl-2.0+': 'GPL-2.0-or-later', 'gpl-3.0+': 'GPL-3.0-or-later', 'lgpl-2.1-or-later': 'LGPL-2.1-or-later',
}
// "GPL-2+ with Autoconf exception": the exceptions SPDX names; others are left out of the expression.
const EXCEPTION_OF: Record<string, string> = {autoconf: 'Autoconf-exception-generic', bison: 'Bison-exception-2.2', gcc: 'GCC-exception-3.1', libtool: 'Libtool-exception', 'openssl': 'OpenSSL-exception'}

export function packageLicense(copyright: string): PackageLicense | undefined {
  const paragraphs = copyright.split(/\n[ \t]*\n/).map(parseParagraph)
  const machineReadable = /copyright-format|dep5/i.test(paragraphs[0]?.Format ?? '')
  const texts = new Map<string, string>()
  const expressions: string[] = []
  if (machineReadable) {
    for (const fields of paragraphs) {
      const [first, ...rest] = (fields.License ?? '').split('\n')
      if (!first?.trim()) continue
      if (fields.Files !== undefined || fields.Format !== undefined) expressions.push(first.trim())
      else if (rest.length > 0) texts.set(first.trim().toLowerCase(), rest.join('\n'))
    }
  } else {
    for (const match of copyright.matchAll(/\/usr\/share\/common-licenses\/([A-Za-z0-9.+-]*[A-Za-z0-9+])/g)) expressions.push(match[1])
  }
  const licenses = new Map<string, {id: string; name: string; text?: string}>()
  const terms = new Set<string>()
  for (const expression of expressions) {
    for (const conjunct of expression.split(/,\s*(?:and\s+)?|\s+and\s+/i)) {
      const choices = conjunct.split(/\s+or\s+/i).map((name) => spdxTerm(name.trim(), licenses, texts)).filter(Boolean)
      if (choices.length > 0) terms.add(choices.length === 1 ? choices[0] : `(${[...new Set(choices)].join(' OR ')})`)
    }
  }
  if (terms.size === 0) return undefined
  return {expression: [...terms].join(' AND '), licenses: [...licenses.values()]}
}

// One Debian license name as an SPDX term, its identifier recorded in `licenses`.
function spdxTerm(name: string, licenses: Map<string, {id: string; name: string; text?: string}>, texts: Map<string, string>): string {
  const withException = /^(.*?)\s+with\s+(\S+)\s+exception$/i.exec(name)
  const base = withException ? withException[1] : name
  if (!base) return ''
  const known = SPDX_OF[base.toLowerCase()]
  const id = known ?? `LicenseRef-${base.replace(/[^A-Za-z0-9.-]+/g, '-').replace(/^-+|-+$/g, '') || 'unnamed'}`
  if (!licenses.has(id)) licenses.set(id, {id, name: base, ...(known ? {} : {text: texts.get(base.toLowerCase())})})
  const exception = withException && EXCEPTION_OF[withException[2].toLowerCase()]
  return exception ? `${id} WITH ${exception}` : id
}
