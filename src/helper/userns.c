/* Rootless: the user namespace the outer process enters before the others, and why it failed. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ns-tool-helper.h"

void write_file(const char *path, const char *content) {
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) die("open %s", path);
  if (write(fd, content, strlen(content)) != (ssize_t)strlen(content)) die("write %s", path);
  close(fd);
}

static int read_sysctl(const char *path) {
  char buffer[32] = {0};
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return -1;
  if (read(fd, buffer, sizeof buffer - 1) <= 0) buffer[0] = 0;
  close(fd);
  return atoi(buffer);
}

/* Why a rootless user namespace was refused, and what to change. */
static void diagnose_userns(void) {
  int saved = errno;
  fprintf(stderr, "ns-tool-helper: unshare(CLONE_NEWUSER): %s\n", strerror(saved));
  if (read_sysctl("/proc/sys/kernel/unprivileged_userns_clone") == 0)
    fputs("  unprivileged user namespaces are disabled: sysctl -w kernel.unprivileged_userns_clone=1\n", stderr);
  if (read_sysctl("/proc/sys/user/max_user_namespaces") == 0)
    fputs("  user namespaces are disabled: sysctl -w user.max_user_namespaces=15000\n", stderr);
  if (read_sysctl("/proc/sys/kernel/apparmor_restrict_unprivileged_userns") == 1)
    fputs("  AppArmor restricts them: sysctl -w kernel.apparmor_restrict_unprivileged_userns=0 (or an AppArmor profile for ns-tool-helper)\n", stderr);
  fputs("  or run as root: sudo ns-tool run ...\n", stderr);
  _exit(EXIT_SETUP);
}

/* Rootless: a user namespace where the caller's ids are --uid/--gid. setgroups must be denied
 * before an unprivileged process may write gid_map. */
void enter_user_namespace(void) {
  char map[64];
  uid_t outer_uid = getuid();
  gid_t outer_gid = getgid();
  if (unshare(CLONE_NEWUSER) < 0) diagnose_userns();
  write_file("/proc/self/setgroups", "deny");
  snprintf(map, sizeof map, "%d %u 1\n", opt.uid, outer_uid);
  write_file("/proc/self/uid_map", map);
  snprintf(map, sizeof map, "%d %u 1\n", opt.gid, outer_gid);
  write_file("/proc/self/gid_map", map);
}
