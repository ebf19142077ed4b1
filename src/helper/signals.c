/* Signals: the outer process and the --init reaper forward what ns-tool receives to COMMAND, and
 * turn a wait status into the exit status ns-tool reports. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns-tool-helper.h"

pid_t child_pid = -1;

int status_of(int status) {
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

void install_forwarding(void) {
  struct sigaction sa;
  size_t i;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward_signal;
  for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) sigaction(forwarded[i], &sa, NULL);
}

/* --init: PID 1 reaps every orphan, forwards signals to COMMAND (PID 2), and when COMMAND ends
 * kills what is left before exiting with COMMAND's status. */
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
