/* The command's own process: its session, its terminal, its ids, its environment, then exec. */
#include <errno.h>
#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "ns-tool-defaults.h"
#include "ns-tool-helper.h"

static void apply_environment(void) {
  int i;
  if (opt.clearenv) clearenv();
  for (i = 0; i < opt.nsetenv; i++)
    if (setenv(opt.setenv_keys[i], opt.setenv_values[i], 1) < 0) die("setenv %s", opt.setenv_keys[i]);
  if (!getenv("PATH")) setenv("PATH", NS_DEFAULT_PATH, 1);
  /* Only here is it known whether COMMAND writes to a terminal: its own pty, or the caller's. */
  if (opt.term && isatty(1)) setenv("TERM", opt.term, 0);
}

void exec_command(int pty_sock) {
  if (setsid() < 0) die("setsid");
  if (pty_sock >= 0) attach_new_pty(pty_sock);
  limit_bounding_set();
  if (!opt.userns && setgroups(0, NULL) < 0) die("setgroups");
  if (setgid((gid_t)opt.gid) < 0) die("setgid %d", opt.gid);
  if (setuid((uid_t)opt.uid) < 0) die("setuid %d", opt.uid);
  set_capabilities();
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs");
  apply_environment();
  if (chdir(opt.chdir) < 0) die("chdir %s", opt.chdir);
  /* Nothing of the caller's may leak in: an fd to a host directory would reach the host's files. */
  if (syscall(SYS_close_range, 3, ~0U, 0) < 0) {
    int fd;
    for (fd = 3; fd < 65536; fd++) close(fd);
  }
  signal(SIGPIPE, SIG_DFL);
  exec_or_explain(opt.command);
}
