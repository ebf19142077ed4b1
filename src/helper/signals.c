/* Signals as the kernel treats an ordinary process: which ones end it by default, whether a
 * process has left one at its default action, and the exit status ns-tool reports. The kernel
 * drops a defaulted signal sent to the PID 1 of a namespace; pid1.c and supervise.c use these
 * to end COMMAND as it would end outside one. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns-tool-helper.h"

pid_t child_pid = -1;

/* The caller's /proc, opened before the fork: PID 1 pivots the mount namespace the outer process
 * shares with it, and /proc then names the sandbox's procfs, where its pids are not ours. */
static int proc_fd = -1;

void keep_caller_proc(void) {
  proc_fd = open("/proc", O_PATH | O_DIRECTORY | O_CLOEXEC);
}

/* Default action "terminate" or "core" (signal(7)); the others are ignore, stop and continue. */
int terminates_by_default(int sig) {
  switch (sig) {
  case SIGCHLD: case SIGCONT: case SIGURG: case SIGWINCH:
  case SIGSTOP: case SIGTSTP: case SIGTTIN: case SIGTTOU:
    return 0;
  default:
    return sig > 0 && sig < 65;
  }
}

static unsigned long long status_mask(const char *status, const char *field) {
  const char *line = strstr(status, field);
  return line ? strtoull(line + strlen(field), NULL, 16) : 0;
}

/* Whether PID has neither a handler for SIG nor ignores it (SigCgt and SigIgn of
 * /proc/PID/status, shared by its threads). Unknown (PID gone): no. */
int at_default_action(pid_t pid, int sig) {
  char path[64], status[4096];
  unsigned long long bit = 1ULL << (sig - 1);
  ssize_t n;
  int fd;
  snprintf(path, sizeof path, "%d/status", (int)pid);
  fd = openat(proc_fd, path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return 0;
  n = read(fd, status, sizeof status - 1);
  close(fd);
  if (n <= 0) return 0;
  status[n] = '\0';
  return !strstr(status, "SigCgt:") ? 0 : !((status_mask(status, "SigCgt:") | status_mask(status, "SigIgn:")) & bit);
}

int status_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return EXIT_SETUP;
}
