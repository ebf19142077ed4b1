/* ns-tool-helper: run COMMAND with ROOTFS as its root, in fresh namespaces.
 *
 *   ns-tool-helper [OPTION...] [--] ROOTFS COMMAND [ARG...]
 *
 * The outer process (in the caller's namespaces, or a new user namespace when rootless) creates
 * the namespaces and forks the sandbox's PID 1, then only relays: signals, and the terminal when
 * COMMAND has its own pty. PID 1 builds the mounts inside ROOTFS, pivots into it, detaches the old
 * root, drops what it does not need and execs COMMAND (or a reaper that runs COMMAND, --init).
 * Every failing step exits 125 with the step's name and errno. See --help for the options.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <linux/openat2.h>
#include <net/if.h>
#include <poll.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

#define EXIT_SETUP 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127
#define MAX_MOUNTS 64
#define VERSION "0.1.0"

struct extra_mount {
  const char *kind; /* "bind", "ro-bind", "tmpfs" */
  const char *source;
  const char *dest;
};

static struct {
  int userns, uid, gid, net_host, clearenv, read_only, ephemeral, init, pty;
  const char *hostname, *chdir, *rootfs;
  char **command;
  const char *setenv_keys[256], *setenv_values[256];
  int nsetenv;
  struct extra_mount mounts[MAX_MOUNTS];
  int nmounts;
} opt = {.hostname = "ns-tool", .chdir = "/", .pty = -1};

static pid_t child_pid = -1;
static int pty_master = -1;
static volatile sig_atomic_t winch_pending;
static struct termios saved_termios;
static int termios_saved;

static void die(const char *step, ...) __attribute__((noreturn, format(printf, 1, 2)));

/* Exit 125 naming the step that failed and errno. */
static void die(const char *step, ...) {
  int saved = errno;
  va_list ap;
  fputs("ns-tool-helper: ", stderr);
  va_start(ap, step);
  vfprintf(stderr, step, ap);
  va_end(ap);
  if (saved) fprintf(stderr, ": %s", strerror(saved));
  fputc('\n', stderr);
  _exit(EXIT_SETUP);
}

static void usage_error(const char *message, const char *what) {
  fprintf(stderr, "ns-tool-helper: %s%s%s (see ns-tool-helper --help)\n", message, what ? ": " : "", what ? what : "");
  exit(EXIT_SETUP);
}

static void print_help(void) {
  puts("usage: ns-tool-helper [OPTION...] [--] ROOTFS COMMAND [ARG...]\n"
       "  --userns            new user namespace (rootless); map --uid/--gid to the caller\n"
       "  --uid N --gid N     ids inside (default 0 0)\n"
       "  --hostname NAME     (default ns-tool)\n"
       "  --net-host          keep the host network (default: own namespace, lo up)\n"
       "  --setenv KEY VALUE  --clearenv\n"
       "  --chdir DIR         working directory inside (default /)\n"
       "  --bind SRC DEST  --ro-bind SRC DEST  --tmpfs DEST\n"
       "  --read-only         root mounted read-only\n"
       "  --ephemeral         writes go to a throw-away overlay\n"
       "  --init              a reaper is PID 1, COMMAND is PID 2\n"
       "  --pty / --no-pty    own pseudo-terminal (default: when stdin is a terminal)\n"
       "exit: COMMAND's status, 128+N for signal N, 125 setup failed, 126 cannot execute, 127 not found");
}

static int parse_int(const char *value, const char *name) {
  char *end;
  long n;
  if (!value) usage_error("missing value for", name);
  n = strtol(value, &end, 10);
  if (*value == '\0' || *end != '\0' || n < 0 || n > 0x7fffffff) usage_error("not a number", value);
  return (int)n;
}

static void parse_args(int argc, char **argv) {
  int i = 1;
  for (; i < argc; i++) {
    const char *a = argv[i];
#define NEED(n) do { if (i + (n) >= argc) usage_error("missing value for", a); } while (0)
    if (strcmp(a, "--") == 0) { i++; break; }
    else if (strcmp(a, "--help") == 0) { print_help(); exit(0); }
    else if (strcmp(a, "--version") == 0) { puts("ns-tool-helper " VERSION); exit(0); }
    else if (strcmp(a, "--userns") == 0) opt.userns = 1;
    else if (strcmp(a, "--uid") == 0) { NEED(1); opt.uid = parse_int(argv[++i], a); }
    else if (strcmp(a, "--gid") == 0) { NEED(1); opt.gid = parse_int(argv[++i], a); }
    else if (strcmp(a, "--hostname") == 0) { NEED(1); opt.hostname = argv[++i]; }
    else if (strcmp(a, "--net-host") == 0) opt.net_host = 1;
    else if (strcmp(a, "--clearenv") == 0) opt.clearenv = 1;
    else if (strcmp(a, "--setenv") == 0) {
      NEED(2);
      if (opt.nsetenv == 256) usage_error("too many", a);
      opt.setenv_keys[opt.nsetenv] = argv[++i];
      opt.setenv_values[opt.nsetenv++] = argv[++i];
    } else if (strcmp(a, "--chdir") == 0) { NEED(1); opt.chdir = argv[++i]; }
    else if (strcmp(a, "--bind") == 0 || strcmp(a, "--ro-bind") == 0 || strcmp(a, "--tmpfs") == 0) {
      int tmpfs = strcmp(a, "--tmpfs") == 0;
      NEED(tmpfs ? 1 : 2);
      if (opt.nmounts == MAX_MOUNTS) usage_error("too many mounts", a);
      opt.mounts[opt.nmounts].kind = a + 2;
      opt.mounts[opt.nmounts].source = tmpfs ? NULL : argv[++i];
      opt.mounts[opt.nmounts++].dest = argv[++i];
    } else if (strcmp(a, "--read-only") == 0) opt.read_only = 1;
    else if (strcmp(a, "--ephemeral") == 0) opt.ephemeral = 1;
    else if (strcmp(a, "--init") == 0) opt.init = 1;
    else if (strcmp(a, "--pty") == 0) opt.pty = 1;
    else if (strcmp(a, "--no-pty") == 0) opt.pty = 0;
    else if (a[0] == '-' && a[1] == '-') usage_error("unknown option", a);
    else break;
#undef NEED
  }
  if (i + 2 > argc) usage_error("expected ROOTFS COMMAND [ARG...]", NULL);
  opt.rootfs = argv[i];
  opt.command = &argv[i + 1];
}

static void write_file(const char *path, const char *content) {
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
static void enter_user_namespace(void) {
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

/* openat2 inside the new root: never follows a symlink, never leaves the tree. A rootfs whose
 * proc, dev, sys or dev/null is a link to a host path fails here instead of mounting there. */
static int open_beneath(int rootfd, const char *path, int flags) {
  struct open_how how = {.flags = (unsigned long long)(flags | O_CLOEXEC), .resolve = RESOLVE_BENEATH | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS};
  while (*path == '/') path++;
  if (*path == '\0') path = ".";
  return (int)syscall(SYS_openat2, rootfd, path, &how, sizeof how);
}

/* Makes DIR (and its parents) inside the root, one component at a time, through no symlink. */
static int ensure_dir(int rootfd, const char *path) {
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
static int ensure_file(int rootfd, const char *path) {
  int fd = open_beneath(rootfd, path, O_PATH);
  if (fd >= 0) return fd;
  fd = open_beneath(rootfd, path, O_WRONLY | O_CREAT | O_EXCL);
  if (fd < 0) die("create %s inside the rootfs (a symlink?)", path);
  close(fd);
  fd = open_beneath(rootfd, path, O_PATH);
  if (fd < 0) die("open %s inside the rootfs", path);
  return fd;
}

static const char *fd_path(int fd) {
  static char paths[4][32];
  static int next;
  char *path = paths[next++ % 4];
  snprintf(path, 32, "/proc/self/fd/%d", fd);
  return path;
}

/* The flags a bind remount must keep: the kernel refuses to clear nosuid/nodev/noexec locked by
 * a more privileged mount namespace. */
static unsigned long locked_flags(const char *path) {
  struct statvfs st;
  unsigned long flags = 0;
  if (statvfs(path, &st) < 0) return 0;
  if (st.f_flag & ST_NOSUID) flags |= MS_NOSUID;
  if (st.f_flag & ST_NODEV) flags |= MS_NODEV;
  if (st.f_flag & ST_NOEXEC) flags |= MS_NOEXEC;
  if (st.f_flag & ST_NOATIME) flags |= MS_NOATIME;
  if (st.f_flag & ST_RELATIME) flags |= MS_RELATIME;
  return flags;
}

static void remount_read_only(const char *path, const char *what) {
  if (mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | locked_flags(path), NULL) < 0) die("remount %s read-only", what);
}

/* A recursive bind of SOURCE onto the directory or file TARGET_FD names. Read-only binds are
 * made read-only (recursively) on the detached copy before it is attached: a remount through
 * /proc/self/fd would name the directory under the new mount, not the mount. */
static void bind_onto(const char *source, int target_fd, const char *what, int read_only) {
  int tree = open_tree(AT_FDCWD, source, OPEN_TREE_CLONE | OPEN_TREE_CLOEXEC | AT_RECURSIVE);
  if (tree < 0) die("bind %s (open_tree)", what);
  if (read_only) {
    struct mount_attr attr = {.attr_set = MOUNT_ATTR_RDONLY};
    if (mount_setattr(tree, "", AT_EMPTY_PATH | AT_RECURSIVE, &attr, sizeof attr) < 0) die("make %s read-only", what);
  }
  if (move_mount(tree, "", target_fd, "", MOVE_MOUNT_F_EMPTY_PATH | MOVE_MOUNT_T_EMPTY_PATH) < 0) die("bind %s", what);
  close(tree);
}

/* /dev: a small tmpfs with the six safe nodes. mknod where allowed (root), else the host's nodes
 * bound over empty files (a user namespace may not create devices). */
static void setup_dev(int rootfd) {
  static const struct { const char *name; unsigned major, minor; } nodes[] = {
      {"null", 1, 3}, {"zero", 1, 5}, {"full", 1, 7}, {"random", 1, 8}, {"urandom", 1, 9}, {"tty", 5, 0}};
  static const char *links[][2] = {{"fd", "/proc/self/fd"}, {"stdin", "/proc/self/fd/0"}, {"stdout", "/proc/self/fd/1"}, {"stderr", "/proc/self/fd/2"}, {"ptmx", "pts/ptmx"}};
  int devfd = ensure_dir(rootfd, "dev"), fd, i;
  if (mount("tmpfs", fd_path(devfd), "tmpfs", MS_NOSUID | MS_NOEXEC, "mode=755,size=65536k") < 0) die("mount tmpfs on /dev");
  close(devfd);
  devfd = open_beneath(rootfd, "dev", O_PATH | O_DIRECTORY);
  if (devfd < 0) die("open /dev");
  for (i = 0; i < 6; i++) {
    char host[32];
    if (mknodat(devfd, nodes[i].name, S_IFCHR | 0666, makedev(nodes[i].major, nodes[i].minor)) == 0) {
      fchmodat(devfd, nodes[i].name, 0666, 0);
      continue;
    }
    if (errno != EPERM) die("mknod /dev/%s", nodes[i].name);
    snprintf(host, sizeof host, "/dev/%s", nodes[i].name);
    fd = ensure_file(devfd, nodes[i].name);
    bind_onto(host, fd, host, 0);
    close(fd);
  }
  for (i = 0; i < 5; i++)
    if (symlinkat(links[i][1], devfd, links[i][0]) < 0) die("symlink /dev/%s", links[i][0]);
  fd = ensure_dir(devfd, "pts");
  /* newinstance: the sandbox's ptys are its own, not the host's. */
  if (mount("devpts", fd_path(fd), "devpts", MS_NOSUID | MS_NOEXEC, "newinstance,ptmxmode=0666,mode=0620") < 0) die("mount devpts on /dev/pts");
  close(fd);
  fd = ensure_dir(devfd, "shm");
  if (mount("tmpfs", fd_path(fd), "tmpfs", MS_NOSUID | MS_NODEV, "mode=1777") < 0) die("mount tmpfs on /dev/shm");
  close(fd);
  close(devfd);
}

/* procfs of the new PID namespace (it must be mounted from inside it), with the entries that
 * reach the host's kernel masked or read-only, as Docker does. */
static void setup_proc(int rootfd) {
  static const char *masked[] = {"kcore", "keys", "timer_list", "sched_debug", "latency_stats", NULL};
  static const char *read_only[] = {"sys", "sysrq-trigger", "irq", "bus", "fs", NULL};
  static const char *hidden_dirs[] = {"acpi", "scsi", NULL};
  int procfd = ensure_dir(rootfd, "proc"), procroot, fd, i;
  if (mount("proc", fd_path(procfd), "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("mount proc on /proc");
  close(procfd);
  procroot = open_beneath(rootfd, "proc", O_PATH | O_DIRECTORY);
  if (procroot < 0) die("open /proc");
  for (i = 0; masked[i]; i++) {
    fd = openat(procroot, masked[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    bind_onto("/dev/null", fd, masked[i], 0);
    close(fd);
  }
  for (i = 0; hidden_dirs[i]; i++) {
    fd = openat(procroot, hidden_dirs[i], O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    if (mount("tmpfs", fd_path(fd), "tmpfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, "size=0") < 0) die("mask /proc/%s", hidden_dirs[i]);
    close(fd);
  }
  for (i = 0; read_only[i]; i++) {
    fd = openat(procroot, read_only[i], O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) continue;
    bind_onto(fd_path(fd), fd, read_only[i], 1);
    close(fd);
  }
  close(procroot);
}

/* /sys read-only: a sysfs of our own network namespace where the kernel allows it, else a
 * read-only bind of the host's. */
static void setup_sys(int rootfd) {
  int fd = ensure_dir(rootfd, "sys");
  if (mount("sysfs", fd_path(fd), "sysfs", MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) bind_onto("/sys", fd, "/sys", 1);
  close(fd);
}

static void setup_extra_mounts(int rootfd) {
  int i;
  for (i = 0; i < opt.nmounts; i++) {
    struct extra_mount *m = &opt.mounts[i];
    struct stat st;
    int fd;
    if (strcmp(m->kind, "tmpfs") == 0) {
      fd = ensure_dir(rootfd, m->dest);
      if (mount("tmpfs", fd_path(fd), "tmpfs", MS_NOSUID | MS_NODEV, "mode=755") < 0) die("mount tmpfs on %s", m->dest);
      close(fd);
      continue;
    }
    if (stat(m->source, &st) < 0) die("bind %s", m->source);
    fd = S_ISDIR(st.st_mode) ? ensure_dir(rootfd, m->dest) : ensure_file(rootfd, m->dest);
    bind_onto(m->source, fd, m->source, strcmp(m->kind, "ro-bind") == 0);
    close(fd);
  }
}

/* --ephemeral: an overlay whose upper layer lives in a tmpfs of this mount namespace only. The
 * rootfs is named through an fd opened before the tmpfs could hide its path. */
static const char *setup_overlay(void) {
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

static void loopback_up(void) {
  struct ifreq ifr;
  int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket for lo");
  memset(&ifr, 0, sizeof ifr);
  strncpy(ifr.ifr_name, "lo", IFNAMSIZ - 1);
  if (ioctl(fd, SIOCGIFFLAGS, &ifr) < 0) die("get lo flags");
  ifr.ifr_flags |= IFF_UP | IFF_RUNNING;
  if (ioctl(fd, SIOCSIFFLAGS, &ifr) < 0) die("bring lo up");
  close(fd);
}

static void send_fd(int sock, int fd) {
  char byte = 0, control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  if (sendmsg(sock, &msg, 0) < 0) die("send the pty to the outer process");
}

static int receive_fd(int sock) {
  char byte, control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *cmsg;
  int fd;
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0) return -1;
  cmsg = CMSG_FIRSTHDR(&msg);
  if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) return -1;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return fd;
}

/* Docker's default capability set: enough for a root shell to work, not enough to reach the host
 * (no SYS_ADMIN, so no mount, no TIOCSTI into other terminals, no ptrace of the outside). */
static void drop_capabilities(void) {
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

static void apply_environment(void) {
  int i;
  if (opt.clearenv) clearenv();
  for (i = 0; i < opt.nsetenv; i++)
    if (setenv(opt.setenv_keys[i], opt.setenv_values[i], 1) < 0) die("setenv %s", opt.setenv_keys[i]);
  if (!getenv("PATH")) setenv("PATH", "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", 1);
}

/* The command's own process: its session, its terminal, its ids, then exec. */
static void exec_command(int pty_sock) {
  if (setsid() < 0) die("setsid");
  if (pty_sock >= 0) {
    int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), slave, number, unlock = 0;
    char name[32];
    if (master < 0) die("open /dev/ptmx");
    if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &number) < 0) die("unlock the pty");
    snprintf(name, sizeof name, "/dev/pts/%d", number);
    slave = open(name, O_RDWR | O_CLOEXEC);
    if (slave < 0) die("open %s", name);
    send_fd(pty_sock, master);
    close(master);
    if (ioctl(slave, TIOCSCTTY, 0) < 0) die("make %s the controlling terminal", name);
    if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) die("dup2 the pty");
  }
  if (!opt.userns && setgroups(0, NULL) < 0) die("setgroups");
  if (setgid((gid_t)opt.gid) < 0) die("setgid %d", opt.gid);
  if (setuid((uid_t)opt.uid) < 0) die("setuid %d", opt.uid);
  if (opt.uid == 0) drop_capabilities();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs");
  apply_environment();
  if (chdir(opt.chdir) < 0) die("chdir %s", opt.chdir);
  /* Nothing of the caller's may leak in: an fd to a host directory would reach the host's files. */
  if (syscall(SYS_close_range, 3, ~0U, 0) < 0) {
    int fd;
    for (fd = 3; fd < 65536; fd++) close(fd);
  }
  signal(SIGPIPE, SIG_DFL);
  execvp(opt.command[0], opt.command);
  if (errno == ENOENT || errno == ENOTDIR) {
    fprintf(stderr, "ns-tool-helper: %s: command not found in the rootfs\n", opt.command[0]);
    _exit(EXIT_NOT_FOUND);
  }
  fprintf(stderr, "ns-tool-helper: %s: cannot execute: %s\n", opt.command[0], strerror(errno));
  _exit(EXIT_CANNOT_EXEC);
}

static int status_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return EXIT_SETUP;
}

static void forward_signal(int sig) {
  if (sig == SIGWINCH && pty_master >= 0) {
    winch_pending = 1;
    return;
  }
  if (child_pid > 0) kill(child_pid, sig);
}

static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};

static void install_forwarding(void) {
  struct sigaction sa;
  size_t i;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &sa, NULL);
}

/* --init: PID 1 reaps every orphan, forwards signals to COMMAND (PID 2), and when COMMAND ends
 * kills what is left before exiting with COMMAND's status. */
static void run_reaper(int pty_sock) {
  int status, result = EXIT_SETUP;
  pid_t pid;
  child_pid = fork();
  if (child_pid < 0) die("fork the command");
  if (child_pid == 0) exec_command(pty_sock);
  if (pty_sock >= 0) close(pty_sock);
  install_forwarding();
  for (;;) {
    pid = wait(&status);
    if (pid < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (pid == child_pid) {
      result = status_of(status);
      kill(-1, SIGKILL);
    }
  }
  _exit(result);
}

/* PID 1 of the new namespaces: the mounts, the pivot, then COMMAND. */
static void sandbox_main(int pty_sock) {
  const char *root = opt.rootfs;
  int rootfd;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl PDEATHSIG");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) die("make / private");
  if (opt.ephemeral) root = setup_overlay();
  /* Bind the root onto itself: pivot_root needs a mount point, and nosuid/nodev apply to it. */
  if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0) die("bind %s", root);
  if (mount(NULL, root, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | locked_flags(root), NULL) < 0) die("remount %s nosuid,nodev", root);
  if (chdir(root) < 0) die("chdir %s", root);
  rootfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) die("open %s", root);
  setup_proc(rootfd);
  setup_dev(rootfd);
  setup_sys(rootfd);
  setup_extra_mounts(rootfd);
  if (opt.read_only) remount_read_only(".", "the root");
  close(rootfd);
  /* pivot_root(".", ".") stacks the old root on the new one; detaching it leaves no path back,
   * and needs no old_root directory (which a read-only or rootless tree may not allow). */
  if (syscall(SYS_pivot_root, ".", ".") < 0) die("pivot_root");
  if (umount2(".", MNT_DETACH) < 0) die("detach the old root");
  if (chdir("/") < 0) die("chdir /");
  if (sethostname(opt.hostname, strlen(opt.hostname)) < 0) die("sethostname %s", opt.hostname);
  if (!opt.net_host) loopback_up();
  if (opt.init) run_reaper(pty_sock);
  exec_command(pty_sock);
}

static void restore_terminal(void) {
  if (termios_saved) tcsetattr(0, TCSAFLUSH, &saved_termios);
}

static void copy_window_size(void) {
  struct winsize ws;
  if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(pty_master, TIOCSWINSZ, &ws);
}

static int write_all(int fd, const char *buffer, ssize_t length) {
  while (length > 0) {
    ssize_t n = write(fd, buffer, (size_t)length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buffer += n;
    length -= n;
  }
  return 0;
}

/* The outer side of the pty: raw caller terminal, bytes both ways, window size forwarded. */
static void relay_pty(void) {
  struct termios raw;
  char buffer[8192];
  struct pollfd fds[2];
  int stdin_open = 1;
  if (tcgetattr(0, &saved_termios) == 0) {
    termios_saved = 1;
    atexit(restore_terminal);
    raw = saved_termios;
    cfmakeraw(&raw);
    tcsetattr(0, TCSAFLUSH, &raw);
  }
  copy_window_size();
  for (;;) {
    ssize_t n;
    if (winch_pending) {
      winch_pending = 0;
      copy_window_size();
    }
    fds[0].fd = stdin_open ? 0 : -1;
    fds[0].events = POLLIN;
    fds[1].fd = pty_master;
    fds[1].events = POLLIN;
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      n = read(pty_master, buffer, sizeof buffer);
      if (n <= 0) break; /* EIO: every process holding the slave is gone */
      if (write_all(1, buffer, n) < 0) break;
    }
    if (stdin_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      n = read(0, buffer, sizeof buffer);
      if (n <= 0) stdin_open = 0;
      else write_all(pty_master, buffer, n);
    }
  }
}

int main(int argc, char **argv) {
  int status, sockets[2] = {-1, -1}, flags;
  pid_t parent = getppid();
  if (argc == 4 && strcmp(argv[1], "--rename-exchange") == 0) {
    /* For the rootfs writer: swap the staged tree and the old one in one atomic step. */
    if (syscall(SYS_renameat2, AT_FDCWD, argv[2], AT_FDCWD, argv[3], 2 /* RENAME_EXCHANGE */) < 0) die("renameat2 %s %s", argv[2], argv[3]);
    return 0;
  }
  parse_args(argc, argv);
  /* Dies with ns-tool: a SIGKILLed parent must not leave a sandbox running. */
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl PDEATHSIG");
  if (getppid() != parent) _exit(EXIT_SETUP);
  if (opt.pty < 0) opt.pty = isatty(0);
  {
    char real[4096];
    if (!realpath(opt.rootfs, real)) die("rootfs %s", opt.rootfs);
    opt.rootfs = strdup(real);
  }
  if (opt.userns) enter_user_namespace();
  else if (geteuid() != 0) {
    errno = EPERM;
    die("creating namespaces needs root, or --userns");
  }
  flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWCGROUP | (opt.net_host ? 0 : CLONE_NEWNET);
  if (unshare(flags) < 0) die("unshare");
  if (opt.pty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) < 0) die("socketpair");
  child_pid = fork();
  if (child_pid < 0) die("fork");
  if (child_pid == 0) {
    if (sockets[0] >= 0) close(sockets[0]);
    sandbox_main(sockets[1]);
  }
  install_forwarding();
  if (opt.pty) {
    close(sockets[1]);
    pty_master = receive_fd(sockets[0]);
    close(sockets[0]);
    if (pty_master >= 0) relay_pty();
  }
  while (waitpid(child_pid, &status, 0) < 0) {
    if (errno != EINTR) die("waitpid");
  }
  restore_terminal();
  termios_saved = 0;
  return status_of(status);
}
