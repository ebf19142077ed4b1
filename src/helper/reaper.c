/* --init: a reaper at PID 1 runs COMMAND as PID 2, forwards the signals it gets to it, reaps every
 * orphan, and when COMMAND ends kills what is left before exiting with COMMAND's status. As
 * PID 2, COMMAND dies of its signals as anywhere else. */
#include <errno.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns-tool-helper.h"

static void forward_signal(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

void install_forwarding(void) {
  static const int forwarded[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH};
  struct sigaction sa;
  size_t i;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &sa, NULL);
}

void run_reaper(int pty_sock) {
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
