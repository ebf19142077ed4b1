/* The sandbox's mounts, made by PID 1 inside the rootfs before the pivot: /proc, /dev, /sys, the
 * user's binds and tmpfs, and the --ephemeral overlay. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "ns-tool-helper.h"

/* The flags a bind remount must keep, as runc keeps them: the kernel refuses to clear read-only,
 * nosuid, nodev, noexec or change the atime flags that a more privileged mount namespace locked
 * (a remount without a flag asks to clear it). No atime flag at all is strictatime, kept by 0. */
unsigned long locked_flags(const char *path) {
  struct statvfs st;
  unsigned long flags = 0;
  if (statvfs(path, &st) < 0) return 0;
  if (st.f_flag & ST_RDONLY) flags |= MS_RDONLY;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_NODIRATIME) flags |= MS_NODIRATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

void remount_read_only(const char *path, const char *what) {
  if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path), NULL) < 0) die("remount %s read-only", what);
}

/* A detached recursive copy of SOURCE's mounts, read-only (recursively) when asked: made on the
 * copy before it is attached, since a remount through /proc/self/fd would name the directory
 * under the new mount, not the mount. */
int clone_tree(const char *source, const char *what, int read_only) {
  int tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0) die("bind %s (open_tree)", what);
  if (read_only) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) die("make %s read-only", what);
  }
  return tree;
}

void attach_tree(int tree, int target_fd, const char *what) {
  if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) die("bind %s", what);
  close(tree);
}

/* A recursive bind of SOURCE onto the directory or file TARGET_FD names. */
void bind_onto(const char *source, int target_fd, const char *what, int read_only) {
  attach_tree(clone_tree(source, what, read_only), target_fd, what);
}

/* The --bind sources, copied while every host path is still as the caller sees it: --ephemeral's
 * tmpfs on /tmp would hide a source below /tmp. */
void clone_bind_sources(void) {
  int i;
  for (i = 0; i < opt.nmounts; i++) {
    struct extra_mount *m = &opt.mounts[i];
    struct stat st;
    if (!m->source) continue; /* --tmpfs, --hide, --overlay */
    if (stat(m->source, &st) < 0) die("bind %s", m->source);
    m->is_dir = S_ISDIR(st.st_mode);
    m->tree = clone_tree(m->source, m->source, strcmp(m->kind, "ro-bind") == 0);
  }
}

/* /dev: a small tmpfs with the six safe nodes. mknod where allowed (root), else the host's nodes
 * bound over empty files (a user namespace may not create devices). */
void setup_dev(int rootfd) {
  static const struct { const char *name; unsigned major, minor; } nodes[] = {
      {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
  static const char *links[][2] = {{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"}};
  int devfd = ensure_beneath(rootfd, "dev", MAKE_DIR), fd, i;
  if (mount("tmpfs", fd_path(devfd), "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k") < 0) die("mount tmpfs on /dev");
  close(devfd);
  devfd = ensure_beneath(rootfd, "dev", MAKE_NOTHING);
  for (i = 0; i < 6; i++) {
    char host[32];
    if (mknodat(devfd, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) == 0) {
      fchmodat(devfd, nodes[i].name, 0666, 0);
      continue;
    }
    if (errno != EPERM) die("mknod /dev/%s", nodes[i].name);
    snprintf(host, sizeof host, "/dev/%s", nodes[i].name);
    fd = ensure_beneath(devfd, nodes[i].name, MAKE_FILE);
    bind_onto(host, fd, host, 0);
    close(fd);
  }
  for (i = 0; i < 5; i++)
    if (symlinkat(links[i][1], devfd, links[i][0]) < 0) die("symlink /dev/%s", links[i][0]);
  fd = ensure_beneath(devfd, "pts", MAKE_DIR);
  /* newinstance: the sandbox's ptys are its own, not the host's. */
  if (mount("devpts", fd_path(fd), "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0) die("mount devpts on /dev/pts");
  close(fd);
  fd = ensure_beneath(devfd, "shm", MAKE_DIR);
  if (mount("tmpfs", fd_path(fd), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0) die("mount tmpfs on /dev/shm");
  close(fd);
  close(devfd);
}

/* procfs of the new PID namespace (it must be mounted from inside it), with the entries that
 * reach the host's kernel masked or read-only, as Docker does. */
void setup_proc(int rootfd) {
  static const char *masked[] = {"kcore", "keys", "timer_list", "sched_debug", "latency_stats", NULL};
  static const char *read_only[] = {"sys", "sysrq-trigger", "irq", "bus", "fs", NULL};
  static const char *hidden_dirs[] = {"acpi", "scsi", NULL};
  int procfd = ensure_beneath(rootfd, "proc", MAKE_DIR), procroot, fd, i;
  if (mount("proc", fd_path(procfd), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("mount proc on /proc");
  close(procfd);
  procroot = ensure_beneath(rootfd, "proc", MAKE_NOTHING);
  for (i = 0; masked[i]; i++) {
    fd = walk_beneath(procroot, masked[i], MAKE_NOTHING);
    if (fd < 0) continue;
    bind_onto("/dev/null", fd, masked[i], 0);
    close(fd);
  }
  for (i = 0; hidden_dirs[i]; i++) {
    fd = walk_beneath(procroot, hidden_dirs[i], MAKE_NOTHING);
    if (fd < 0) continue;
    if (mount("tmpfs", fd_path(fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0) die("mask /proc/%s", hidden_dirs[i]);
    close(fd);
  }
  for (i = 0; read_only[i]; i++) {
    fd = walk_beneath(procroot, read_only[i], MAKE_NOTHING);
    if (fd < 0) continue;
    bind_onto(fd_path(fd), fd, read_only[i], 1);
    close(fd);
  }
  close(procroot);
}

/* /sys read-only: a sysfs of our own network namespace where the kernel allows it, else a
 * read-only bind of the host's. */
void setup_sys(int rootfd) {
  int fd = ensure_beneath(rootfd, "sys", MAKE_DIR);
  if (mount("sysfs", fd_path(fd), "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) bind_onto("/sys", fd, "/sys", 1);
  close(fd);
}

/* --hide DEST: an empty read-only tmpfs over the directory DEST, as /proc's masked directories
 * are, so that COMMAND can neither read nor change what is there (ns-tool's manifest). Nothing to
 * hide when DEST is absent, a link (walked through by no one) or not a directory. */
static void hide_directory(int rootfd, const char *dest) {
  struct stat st;
  int fd = walk_beneath(rootfd, dest, MAKE_NOTHING);
  if (fd < 0) return;
  if (fstat(fd, &st) < 0) die("stat %s", dest);
  if (S_ISDIR(st.st_mode) && mount("tmpfs", fd_path(fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0,mode=555") < 0) die("hide %s", dest);
  close(fd);
}

/* --overlay DEST: an overlay whose lower layer is DEST as the tree has it and whose upper layer
 * lives in a tmpfs mounted on DEST first (only this mount namespace has it; the overlay, stacked
 * on top, hides it). The lower directory is named through an fd opened before the tmpfs. */
static void overlay_onto(int rootfd, const char *dest) {
  char options[256];
  int lower = ensure_beneath(rootfd, dest, MAKE_NOTHING), scratch;
  if (mount("tmpfs", fd_path(lower), "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") < 0) die("mount a tmpfs for the overlay on %s", dest);
  scratch = ensure_beneath(rootfd, dest, MAKE_NOTHING);
  if (mkdirat(scratch, "upper", 0755) < 0 || mkdirat(scratch, "work", 0700) < 0) die("mkdir the overlay's layers on %s", dest);
  /* The upper layer's root takes the lower's mode: /tmp stays 1777. */
  {
    struct stat st;
    if (fstat(lower, &st) == 0) fchmodat(scratch, "upper", st.st_mode & 07777, 0);
  }
  snprintf(options, sizeof options, "lowerdir=%s,upperdir=%s/upper,workdir=%s/work", fd_path(lower), fd_path(scratch), fd_path(scratch));
  if (mount("overlay", fd_path(scratch), "overlay", MS_NOSUID | MS_NODEV, options) < 0) die("mount the overlay on %s", dest);
  close(scratch);
  close(lower);
}

/* The --hide, --tmpfs, --overlay and --bind mounts, in the order given (a later one may go
 * inside an earlier). */
void setup_extra_mounts(int rootfd) {
  int i;
  for (i = 0; i < opt.nmounts; i++) {
    struct extra_mount *m = &opt.mounts[i];
    int fd;
    if (strcmp(m->kind, "hide") == 0) {
      hide_directory(rootfd, m->dest);
      continue;
    } else if (strcmp(m->kind, "overlay") == 0) {
      overlay_onto(rootfd, m->dest);
      continue;
    }
    if (strcmp(m->kind, "tmpfs") == 0) {
      fd = ensure_beneath(rootfd, m->dest, MAKE_DIR);
      if (mount("tmpfs", fd_path(fd), "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") < 0) die("mount tmpfs on %s", m->dest);
    } else {
      fd = ensure_beneath(rootfd, m->dest, m->is_dir ? MAKE_DIR : MAKE_FILE);
      attach_tree(m->tree, fd, m->source);
    }
    close(fd);
  }
}

/* --ephemeral: an overlay whose upper layer lives in a tmpfs of this mount namespace only. The
 * rootfs is named through an fd opened before the tmpfs could hide its path. */
const char *setup_overlay(void) {
  static char options[256];
  struct stat st;
  int lower = open(opt.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (lower < 0) die("open %s", opt.rootfs);
  /* Copy-up recreates a directory with its owner: in a user namespace that maps only the caller,
   * a tree owned by anyone else cannot be written (the kernel answers EOVERFLOW). Say so now. */
  if (opt.userns && fstat(lower, &st) == 0 && st.st_uid != (uid_t)opt.uid)
    fprintf(stderr, "ns-tool-helper: warning: --ephemeral: %s belongs to another user, and only your own uid is mapped here: writing into it will fail (EOVERFLOW); use a rootfs built as yourself, or run as root\n", opt.rootfs);
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=700") < 0) die("mount tmpfs for the --ephemeral overlay");
  if (mkdir("/tmp/upper", 0755) < 0 || mkdir("/tmp/work", 0700) < 0 || mkdir("/tmp/merged", 0755) < 0) die("mkdir overlay dirs");
  snprintf(options, sizeof options, "lowerdir=%s,upperdir=/tmp/upper,workdir=/tmp/work", fd_path(lower));
  if (mount("overlay", "/tmp/merged", "overlay", MS_NOSUID | MS_NODEV, options) < 0) die("mount overlay for --ephemeral");
  return "/tmp/merged";
}
