// The skeleton every rootfs gets unless --no-skeleton: the directories programs expect, the users
// they look up (`ls -l` prints "root", ssh wants uid 0 to exist), and the loader's configuration.
import type {PlanEntry} from '../types.js'

const passwd = `root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin
`
const group = `root:x:0:
nogroup:x:65534:
`
// glibc reads /etc/passwd and /etc/group itself ("files"); no libnss_* module is needed.
export const NSSWITCH_PATH = '/etc/nsswitch.conf'
export const SKELETON_NSSWITCH = `passwd: files
group: files
shadow: files
hosts: files dns
`

// localhost by name, as every system resolves it (getent hosts localhost, a server on 127.0.0.1).
export const LOCALHOST_HOSTS = `127.0.0.1\tlocalhost
::1\tlocalhost ip6-localhost ip6-loopback
`

export function skeletonEntries(libraryDirs: string[]): PlanEntry[] {
  const dir = (path: string, mode = 0o755): PlanEntry => ({path, type: 'dir', mode, reason: 'skeleton'})
  const file = (path: string, content: string, mode = 0o644): PlanEntry => ({path, type: 'file', content, mode, reason: 'skeleton'})
  return [
    dir('/proc', 0o555),
    dir('/dev'),
    dir('/sys', 0o555),
    dir('/tmp', 0o1777),
    dir('/root', 0o700),
    dir('/etc'),
    dir('/run'),
    file('/etc/passwd', passwd),
    file('/etc/group', group),
    file('/etc/hostname', 'ns-tool\n'),
    file('/etc/hosts', LOCALHOST_HOSTS),
    // Empty: where run mounts the resolvers of --net host and private (a file must be there to
    // mount over, and run never writes into the tree).
    file('/etc/resolv.conf', ''),
    file(NSSWITCH_PATH, SKELETON_NSSWITCH),
    // Where libraries lie outside the loader's default directories (the flat layout's /lib64, which
    // Debian's loader does not search), the writer makes /etc/ld.so.cache from this list.
    file('/etc/ld.so.conf', libraryDirs.map((d) => `${d}\n`).join('')),
  ]
}
