/* Seccomp: the system calls COMMAND may not make. The default filter is compiled at build time
 * from the table in src/sandbox/seccomp/table.ts (ns-tool-defaults.h); ns-tool compiles any other
 * (--seccomp FILE, or capabilities that lift a refusal) and hands it over on a file descriptor.
 * It is installed in PID 1 before the --init reaper or COMMAND starts, so nothing of the sandbox
 * runs unfiltered: a reaper outside the filter could be ptraced into making the refused calls. */
#include <errno.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns-tool-defaults.h"
#include "ns-tool-helper.h"

#define MAX_FILTER_INSNS 4096

static enum { FILTER_DEFAULT, FILTER_NONE, FILTER_GIVEN } mode;
static struct sock_filter *given;
static unsigned short given_length;

/* A compiled struct sock_filter[] read to EOF from FD (ns-tool writes it into a pipe). */
static void read_filter(const char *value) {
  size_t size = 0, capacity = MAX_FILTER_INSNS * sizeof(struct sock_filter) + 1;
  char *buffer = malloc(capacity), *end;
  long fd = strtol(value, &end, 10);
  if (*value == '\0' || *end != '\0' || fd < 0) usage_error("not a file descriptor", value);
  if (!buffer) die("allocate the seccomp filter");
  for (;;) {
    ssize_t n = read((int)fd, buffer + size, capacity - size);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) die("read the seccomp filter from fd %ld", fd);
    if (n == 0) break;
    size += (size_t)n;
    if (size == capacity) usage_error("seccomp filter too long", value);
  }
  close((int)fd);
  if (size == 0 || size % sizeof(struct sock_filter) != 0) usage_error("not a compiled seccomp filter on fd", value);
  given = (struct sock_filter *)buffer;
  given_length = (unsigned short)(size / sizeof(struct sock_filter));
}

/* --seccomp default|unconfined, --seccomp-bpf FD. Returns 0 when FLAG is neither. */
int seccomp_option(const char *flag, const char *value) {
  if (strcmp(flag, "--seccomp") == 0) {
    if (!value) usage_error("missing value for", flag);
    if (strcmp(value, "default") == 0) mode = FILTER_DEFAULT;
    else if (strcmp(value, "unconfined") == 0) mode = FILTER_NONE;
    else usage_error("--seccomp takes default or unconfined (ns-tool compiles profile files)", value);
    return 1;
  }
  if (strcmp(flag, "--seccomp-bpf") == 0) {
    if (!value) usage_error("missing value for", flag);
    read_filter(value);
    mode = FILTER_GIVEN;
    return 1;
  }
  return 0;
}

void install_seccomp(void) {
  struct sock_fprog program;
  if (mode == FILTER_NONE) return;
  if (mode == FILTER_GIVEN) {
    program.filter = given;
    program.len = given_length;
  } else {
    if (NS_DEFAULT_FILTER_LENGTH == 0) {
      errno = 0;
      die("no default seccomp filter was built for this architecture; run with --seccomp unconfined, or give a profile");
    }
    program.filter = (struct sock_filter *)ns_default_filter;
    program.len = NS_DEFAULT_FILTER_LENGTH;
  }
  /* Without CAP_SYS_ADMIN the kernel takes a filter only under no_new_privs, which COMMAND gets
   * anyway: set it here so the rule holds whatever the uid. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs");
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &program) < 0) die("install the seccomp filter");
}
