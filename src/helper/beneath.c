/* Paths inside the rootfs: walked one component at a time, each opened beneath its parent's fd,
 * never through a symlink or "..". Every path the helper creates or opens inside the rootfs goes
 * through walk_beneath(); the rootfs may be anyone's, and any component of it may be a link. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns-tool-helper.h"

/* Where the last walk stopped: the path up to the component that failed, for the message. */
static char stopped_at[PATH_MAX];

/* One component, beneath DIRFD. RESOLVE_NO_SYMLINKS refuses a link as the last component too,
 * with ELOOP (O_NOFOLLOW would hand back an O_PATH fd to the link itself). */
static int open_component(int dirfd, const char *name, int flags, mode_t mode) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC), .mode = (flags & O_CREAT) ? mode : 0,
                         .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, dirfd, name, &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) needs_kernel("openat2", "5.6");
  return fd;
}

/* The missing component NAME, made as a directory or (MAKE_FILE) an empty regular file, then
 * opened. mkdirat and O_CREAT|O_EXCL on one name beneath a fd follow no link; a rival that
 * creates the name first is opened like any existing entry, under the same rules. */
static int make_component(int dirfd, const char *name, enum make make) {
  if (make == MAKE_DIR) {
    if (mkdirat(dirfd, name, 0755) < 0 && errno != EEXIST) return -1;
    return open_component(dirfd, name, O_PATH | O_DIRECTORY, 0);
  }
  int fd = open_component(dirfd, name, O_WRONLY | O_CREAT | O_EXCL, 0644);
  if (fd < 0 && errno != EEXIST) return -1;
  if (fd >= 0) close(fd);
  return open_component(dirfd, name, O_PATH, 0);
}

/* Opens PATH beneath DIRFD (a leading "/" means DIRFD itself) and returns an O_PATH fd, or -1
 * with errno. MAKE_DIR / MAKE_FILE: what is missing is created on the way, as directories and
 * the last component as MAKE says (mkdirat("a/b") would follow a link at "a": one call per
 * component). A symlink anywhere fails with ELOOP, ".." with EXDEV. */
int walk_beneath(int dirfd, const char *path, enum make make) {
  const char *start = path + strspn(path, "/"), *p = start, *end;
  int fd = open_component(dirfd, ".", O_PATH | O_DIRECTORY, 0);
  stopped_at[0] = '\0';
  while (fd >= 0) {
    char name[NAME_MAX + 1];
    size_t length;
    int next, last;
    while (*p == '/') p++;
    if (*p == '\0') break;
    end = strchrnul(p, '/');
    length = (size_t)(end - p);
    snprintf(stopped_at, sizeof stopped_at, "/%.*s", (int)(end - start), start);
    if (length > NAME_MAX) { errno = ENAMETOOLONG; goto fail; }
    memcpy(name, p, length);
    name[length] = '\0';
    p = end;
    if (strcmp(name, ".") == 0) continue;
    if (strcmp(name, "..") == 0) { errno = EXDEV; goto fail; }
    last = strspn(p, "/") == strlen(p);
    next = open_component(fd, name, last && make != MAKE_DIR ? O_PATH : O_PATH | O_DIRECTORY, 0);
    if (next < 0 && errno == ENOENT && make != MAKE_NOTHING) next = make_component(fd, name, last ? make : MAKE_DIR);
    if (next < 0) goto fail;
    close(fd);
    fd = next;
  }
  return fd;
fail:
  {
    int saved = errno;
    close(fd);
    errno = saved;
    return -1;
  }
}

/* walk_beneath, or exit 125 naming the component at fault and what to do about it. */
int ensure_beneath(int dirfd, const char *path, enum make make) {
  const char *step = make == MAKE_NOTHING ? "open" : make == MAKE_DIR ? "make directory" : "make file";
  int fd = walk_beneath(dirfd, path, make);
  if (fd >= 0) return fd;
  if (errno == ELOOP) {
    errno = 0;
    die("%s %s inside the rootfs: %s is a symlink (the helper follows no link inside the rootfs: give the path it points to)", step, path, stopped_at);
  }
  if (errno == EXDEV) {
    errno = 0;
    die("%s %s inside the rootfs: \"..\" is not allowed there", step, path);
  }
  die("%s %s inside the rootfs: %s", step, path, stopped_at);
}

const char *fd_path(int fd) {
  static char paths[4][32];
  static int next;
  char *path = paths[next++ % 4];
  snprintf(path, 32, "/proc/self/fd/%d", fd);
  return path;
}
