/* ns-tool-helper: what older C libraries and kernel headers lack, in one place, so the helper
 * compiles with glibc >= 2.31 (Debian 11, Ubuntu 22.04, RHEL 9) and not only with glibc >= 2.36,
 * whose <sys/mount.h> declares the mount API. Numbers are the kernel's (asm-generic and x86
 * tables agree for these, as every architecture since 5.1 shares one numbering from 424 on);
 * each is defined only where the headers do not define it.
 * At run time a kernel without one of these calls answers ENOSYS: the helper then says which
 * Linux it needs (needs_kernel), in one line, and exits 125. Minimum: Linux 5.12, glibc 2.31. */
#ifndef NS_TOOL_COMPAT_H
#define NS_TOOL_COMPAT_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <unistd.h>

/* System call numbers, by the Linux that brought them (5.1: pidfd_send_signal; 5.2: the mount
 * API; 5.3: pidfd_open; 5.6: openat2; 5.8: faccessat2; 5.9: close_range; 5.12: mount_setattr).
 * glibc's SYS_ names follow the kernel headers it was built with. */
#ifndef __NR_pidfd_send_signal
#define __NR_pidfd_send_signal 424
#endif
#ifndef __NR_open_tree
#define __NR_open_tree 428
#endif
#ifndef __NR_move_mount
#define __NR_move_mount 429
#endif
#ifndef __NR_pidfd_open
#define __NR_pidfd_open 434
#endif
#ifndef __NR_close_range
#define __NR_close_range 436
#endif
#ifndef __NR_openat2
#define __NR_openat2 437
#endif
#ifndef __NR_faccessat2
#define __NR_faccessat2 439
#endif
#ifndef __NR_mount_setattr
#define __NR_mount_setattr 442
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal __NR_pidfd_send_signal
#endif
#ifndef SYS_open_tree
#define SYS_open_tree __NR_open_tree
#endif
#ifndef SYS_move_mount
#define SYS_move_mount __NR_move_mount
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open __NR_pidfd_open
#endif
#ifndef SYS_close_range
#define SYS_close_range __NR_close_range
#endif
#ifndef SYS_openat2
#define SYS_openat2 __NR_openat2
#endif
#ifndef SYS_faccessat2
#define SYS_faccessat2 __NR_faccessat2
#endif
#ifndef SYS_mount_setattr
#define SYS_mount_setattr __NR_mount_setattr
#endif

/* <linux/mount.h>'s constants: defined by glibc's <sys/mount.h> since 2.36; including the kernel
 * header beside an older glibc's is not possible either (both define MS_* differently). */
#ifndef OPEN_TREE_CLONE
#define OPEN_TREE_CLONE 1
#endif
#ifndef OPEN_TREE_CLOEXEC
#define OPEN_TREE_CLOEXEC O_CLOEXEC
#endif
#ifndef MOVE_MOUNT_F_EMPTY_PATH
#define MOVE_MOUNT_F_EMPTY_PATH 0x00000004
#endif
#ifndef MOVE_MOUNT_T_EMPTY_PATH
#define MOVE_MOUNT_T_EMPTY_PATH 0x00000040
#endif
#ifndef MOUNT_ATTR_RDONLY
#define MOUNT_ATTR_RDONLY 0x00000001
#endif
#ifndef MOUNT_ATTR_NOSUID
#define MOUNT_ATTR_NOSUID 0x00000002
#endif
#ifndef MOUNT_ATTR_NODEV
#define MOUNT_ATTR_NODEV 0x00000004
#endif
#ifndef MOUNT_ATTR_NOEXEC
#define MOUNT_ATTR_NOEXEC 0x00000008
#endif
#ifndef MOUNT_ATTR__ATIME
#define MOUNT_ATTR__ATIME 0x00000070
#endif
#ifndef MOUNT_ATTR_NOATIME
#define MOUNT_ATTR_NOATIME 0x00000010
#endif
#ifndef MOUNT_ATTR_STRICTATIME
#define MOUNT_ATTR_STRICTATIME 0x00000020
#endif
#ifndef MOUNT_ATTR_NODIRATIME
#define MOUNT_ATTR_NODIRATIME 0x00000080
#endif
/* <linux/close_range.h> (5.11): close_range's flag that marks instead of closing. */
#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#ifndef AT_RECURSIVE
#define AT_RECURSIVE 0x8000
#endif

/* Says which kernel feature is missing and exits 125 (main.c). */
void needs_kernel(const char *call, const char *version) __attribute__((noreturn));

/* glibc >= 2.36 has it in <sys/mount.h>; the layout of <linux/mount.h> (Linux 5.12). */
#if defined(__GLIBC__) && __GLIBC_PREREQ(2, 36)
#define NS_TOOL_HAVE_MOUNT_ATTR 1
#endif
#ifndef NS_TOOL_HAVE_MOUNT_ATTR
struct mount_attr {
  uint64_t attr_set;
  uint64_t attr_clr;
  uint64_t propagation;
  uint64_t userns_fd;
};
#endif

/* The mount API through syscall() whatever the C library, so that a kernel without it is named. */
static inline int compat_open_tree(int dirfd, const char *path, unsigned int flags) {
  int fd = (int)syscall(SYS_open_tree, dirfd, path, flags);
  if (fd < 0 && errno == ENOSYS) needs_kernel("open_tree", "5.2");
  return fd;
}

static inline int compat_move_mount(int from_dirfd, const char *from, int to_dirfd, const char *to, unsigned int flags) {
  int r = (int)syscall(SYS_move_mount, from_dirfd, from, to_dirfd, to, flags);
  if (r < 0 && errno == ENOSYS) needs_kernel("move_mount", "5.2");
  return r;
}

static inline int compat_mount_setattr(int dirfd, const char *path, unsigned int flags, struct mount_attr *attr, size_t size) {
  int r = (int)syscall(SYS_mount_setattr, dirfd, path, flags, attr, size);
  if (r < 0 && errno == ENOSYS) needs_kernel("mount_setattr", "5.12");
  return r;
}

#define open_tree compat_open_tree
#define move_mount compat_move_mount
#define mount_setattr compat_mount_setattr

#endif
