/* Capabilities: the set COMMAND keeps. Docker's default set (generated from
 * src/sandbox/capabilities.ts into ns-tool-defaults.h), changed by --cap-add / --cap-drop: enough
 * for a root shell to work, not enough to reach the host (no SYS_ADMIN: no mount, no TIOCSTI into
 * other terminals; no SYS_PTRACE of the outside). */
#include <errno.h>
#include <linux/capability.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns-tool-defaults.h"
#include "ns-tool-helper.h"

static unsigned long long kept;
static int kept_ready;

static unsigned long long *kept_capabilities(void) {
  int i;
  if (!kept_ready) {
    for (i = 0; i < NS_DEFAULT_CAPABILITY_COUNT; i++) kept |= 1ULL << ns_default_capabilities[i];
    kept_ready = 1;
  }
  return &kept;
}

/* CAP_SYS_ADMIN, sys_admin, Sys_Admin: docker's spellings. */
static int capability_number(const char *word) {
  int i;
  if (strncasecmp(word, "CAP_", 4) == 0) word += 4;
  for (i = 0; i < NS_CAPABILITY_COUNT; i++)
    if (strcasecmp(word, ns_capability_names[i]) == 0) return i;
  return -1;
}

/* --cap-add NAME, --cap-drop NAME|ALL, applied in order over the default set. Returns 0 when FLAG
 * is not one of them. */
int capability_option(const char *flag, const char *value) {
  unsigned long long *mask = kept_capabilities();
  int add = strcmp(flag, "--cap-add") == 0, cap;
  if (!add && strcmp(flag, "--cap-drop") != 0) return 0;
  if (!value) usage_error("missing value for", flag);
  if (!add && strcasecmp(value, "ALL") == 0) {
    *mask = 0;
    return 1;
  }
  cap = capability_number(value);
  if (cap < 0) usage_error("no such capability", value);
  if (add) *mask |= 1ULL << cap;
  else *mask &= ~(1ULL << cap);
  return 1;
}

/* The bounding set limits what any later exec can gain; dropping needs CAP_SETPCAP, so it happens
 * while still root, before the switch to --uid. A capability this kernel does not know is EINVAL. */
void limit_bounding_set(void) {
  unsigned long long mask = *kept_capabilities();
  int cap;
  for (cap = 0; cap <= 63; cap++) {
    if (mask & (1ULL << cap)) continue;
    if (prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) < 0 && errno != EINVAL) die("drop capability %d from the bounding set", cap);
  }
}

/* A root COMMAND: effective and permitted are the kept set (no_new_privs then keeps exec from
 * adding any). Another uid loses every capability when it switches, as outside. */
void set_capabilities(void) {
  struct __user_cap_header_struct header = {.version = _LINUX_CAPABILITY_VERSION_3, .pid = 0};
  struct __user_cap_data_struct data[2];
  unsigned long long mask = *kept_capabilities();
  if (opt.uid != 0) return;
  memset(data, 0, sizeof data);
  data[0].effective = data[0].permitted = (unsigned)(mask & 0xffffffffu);
  data[1].effective = data[1].permitted = (unsigned)(mask >> 32);
  if (syscall(SYS_capset, &header, data) < 0) die("capset");
}
