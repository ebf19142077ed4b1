/* PID 1 of the new namespaces: the mounts, the pivot, the hostname and loopback, then COMMAND. */
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns-tool-helper.h"

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

/* Runs in the child forked after unshare: the first process of the new PID namespace. */
void sandbox_main(int pty_sock) {
  const char *root = opt.rootfs;
  int rootfd;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) die("prctl PDEATHSIG");
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) < 0) {
    /* EINVAL: / is no mount point (a chroot's), so it can be neither made private nor pivoted from. */
    if (errno == EINVAL) {
      errno = 0;
      die("/ is not a mount point (a chroot?): run ns-tool where / is a mount (a container, or `mount --bind DIR DIR` before the chroot)");
    }
    die("make / private");
  }
  clone_bind_sources();
  if (opt.ephemeral) root = setup_overlay();
  else if (opt.trace_fd >= 0) root = setup_traced_view();
  /* Bind the root onto itself: pivot_root needs a mount point, and nosuid/nodev apply to it. */
  if (mount(root, root, NULL, MS_BIND | MS_REC, NULL) < 0) die("bind %s", root);
  if (mount(NULL, root, NULL, MS_BIND | MS_REMOUNT | MS_NOSUID | MS_NODEV | locked_flags(root), NULL) < 0) die("remount %s nosuid,nodev", root);
  if (chdir(root) < 0) die("chdir %s", root);
  rootfd = open(".", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (rootfd < 0) die("open %s", root);
  setup_proc(rootfd);
  setup_binfmt(rootfd);
  setup_dev(rootfd);
  setup_sys(rootfd);
  setup_etc_files(rootfd);
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
  install_seccomp();
  if (opt.trace_fd >= 0) trace_command(pty_sock);
  if (opt.init) run_reaper(pty_sock);
  exec_command(pty_sock);
}
