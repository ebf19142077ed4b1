/* ns-tool-helper: run COMMAND with ROOTFS as its root, in fresh namespaces.
 *
 *   ns-tool-helper [OPTION...] [--] ROOTFS COMMAND [ARG...]
 *
 * The outer process (in the caller's namespaces, or a new user namespace when rootless) creates
 * the namespaces and forks the sandbox's PID 1 (sandbox.c), then only supervises (supervise.c):
 * signals, PID 1's signal stops (pid1.c), and the terminal when COMMAND has its own pty (pty.c).
 * PID 1 builds the mounts inside ROOTFS (mounts.c, through beneath.c), pivots into it, detaches
 * the old root, drops what it does not need and execs COMMAND (exec.c), or a reaper that runs
 * COMMAND (--init, reaper.c).
 * Every failing step exits 125 with the step's name and errno. See --help for the options.
 */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns-tool-helper.h"

/* Exit 125 naming the step that failed and errno. */
void die(const char *step, ...) {
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

/* A system call the running kernel does not have (ENOSYS): the kernel, not the caller, is at fault. */
void needs_kernel(const char *call, const char *version) {
  fprintf(stderr, "ns-tool-helper: needs Linux >= %s (%s)\n", version, call);
  _exit(EXIT_SETUP);
}

void usage_error(const char *message, const char *what) {
  fprintf(stderr, "ns-tool-helper: %s%s%s (see ns-tool-helper --help)\n", message, what ? ": " : "", what ? what : "");
  exit(EXIT_SETUP);
}

int main(int argc, char **argv) {
  int sockets[2] = {-1, -1}, flags;
  pid_t parent = getppid();
  if (argc == 4 && strcmp(argv[1], "--rename-exchange") == 0) {
    /* For the rootfs writer: swap the staged tree and the old one in one atomic step. */
    if (syscall(SYS_renameat2, AT_FDCWD, argv[2], AT_FDCWD, argv[3], 2 /* RENAME_EXCHANGE */) < 0) die("renameat2 %s %s", argv[2], argv[3]);
    return 0;
  }
  parse_args(argc, argv);
  /* Dies with ns-tool: a SIGKILLed parent must not leave a sandbox running. */
  if (prctl(PR_SET_PDEATHSIG, parent_death_signal()) < 0) die("prctl PDEATHSIG");
  if (getppid() != parent) _exit(EXIT_SETUP);
  /* As docker run -t users expect: output redirected to a file or a pipe gets no \r\n. */
  if (opt.pty < 0) opt.pty = isatty(0) && isatty(1);
  {
    char real[4096];
    if (!realpath(opt.rootfs, real)) die("rootfs %s", opt.rootfs);
    opt.rootfs = strdup(real);
  }
  if (cgroup_wanted()) cgroup_prepare();
  net_prepare();
  if (opt.userns) enter_user_namespace();
  else if (emulating() && geteuid() == 0) enter_emulation_namespace();
  else if (geteuid() != 0) {
    errno = EPERM;
    die("creating namespaces needs root, or --userns");
  }
  /* With limits, PID 1 takes its cgroup namespace itself, once inside the run's cgroup. */
  flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | (cgroup_wanted() ? 0 : CLONE_NEWCGROUP) | (opt.net_host ? 0 : CLONE_NEWNET);
  if (unshare(flags) < 0) die("unshare");
  net_start();
  if (opt.pty && socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sockets) < 0) die("socketpair");
  keep_caller_proc();
  block_relayed_signals();
  child_pid = fork();
  if (child_pid < 0) die("fork");
  if (child_pid == 0) {
    unblock_relayed_signals();
    if (cgroup_wanted()) cgroup_enter();
    if (sockets[0] >= 0) close(sockets[0]);
    sandbox_main(sockets[1]);
  }
  cgroup_check_parent();
  if (sockets[1] >= 0) close(sockets[1]);
  return cgroup_finish(net_finish(supervise(sockets[0])));
}
