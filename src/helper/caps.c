/* Capabilities: what a root COMMAND keeps. */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns-tool-helper.h"

/* Docker's default capability set: enough for a root shell to work, not enough to reach the host
 * (no SYS_ADMIN, so no mount, no TIOCSTI into other terminals, no ptrace of the outside). */
void drop_capabilities(void) {
  static const int keep[] = {CAP_CHOWN, CAP_DAC_OVERRIDE, CAP_FSETID, CAP_FOWNER, CAP_MKNOD, CAP_NET_RAW, CAP_SETGID, CAP_SETUID,
                             CAP_SETFCAP, CAP_SETPCAP, CAP_NET_BIND_SERVICE, CAP_SYS_CHROOT, CAP_KILL, CAP_AUDIT_WRITE};
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  unsigned long long mask = 0;
  int cap, i;
  for (i = 0; i < (int)(sizeof keep / sizeof keep[0]); i++) mask |= 1ULL << keep[i];
  for (cap = 0; cap <= 63; cap++) {
    if (mask & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) die("drop capability %d from the bounding set", cap);
  }
  memset(data, 0, sizeof data);
  data[0].effective = data[0].permitted = (unsigned)(mask & 0xffffffffu);
  data[1].effective = data[1].permitted = (unsigned)(mask >> 32);
  if (syscall(SYS_capset, &header, data) < 0) die("capset");
}
