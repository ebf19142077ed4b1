/* Paths inside the rootfs: resolved beneath its root fd, never through a symlink. Every file of
 * the helper that creates or opens something inside the rootfs does it through these. */
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns-tool-helper.h"

/* openat2 inside the new root: never follows a symlink, never leaves the tree. A rootfs whose
 * proc, dev, sys or dev/null is a link to a host path fails here instead of mounting there. */
int open_beneath(int rootfd, const char *path, int flags) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  while (*path == '/') path++;
  if (*path == '\0') path = ".";
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Makes DIR (and its parents) inside the root, one component at a time, through no symlink. */
int ensure_dir(int rootfd, const char *path) {
  char buffer[4096], *slash;
  int fd;
  snprintf(buffer, sizeof buffer, "%s", path);
  for (slash = buffer; (slash = strchr(slash + 1, '/')) != NULL;) {
    *slash = '\0';
    if (mkdirat(rootfd, buffer[0] == '/' ? buffer + 1 : buffer, 0755) < 0 && errno != EEXIST) die("mkdir %s", buffer);
    *slash = '/';
  }
  if (mkdirat(rootfd, buffer[0] == '/' ? buffer + 1 : buffer, 0755) < 0 && errno != EEXIST) die("mkdir %s", buffer);
  fd = open_beneath(rootfd, path, O_PATH | O_DIRECTORY);
  if (fd < 0) die("open %s inside the rootfs (a symlink or not a directory?)", path);
  return fd;
}

/* A regular file to bind a file over (a /dev node, a masked /proc entry, a --bind of a file). */
int ensure_file(int rootfd, const char *path) {
  int fd = open_beneath(rootfd, path, O_PATH);
  if (fd >= 0) return fd;
  fd = open_beneath(rootfd, path, O_WRONLY | O_CREAT | O_EXCL);
  if (fd < 0) die("create %s inside the rootfs (a symlink?)", path);
  close(fd);
  fd = open_beneath(rootfd, path, O_PATH);
  if (fd < 0) die("open %s inside the rootfs", path);
  return fd;
}

const char *fd_path(int fd) {
  static char paths[4][32];
  static int next;
  char *path = paths[next++ % 4];
  snprintf(path, 32, "/proc/self/fd/%d", fd);
  return path;
}
