/* The outer process after the fork: one loop that relays the signals ns-tool receives to
 * COMMAND, answers PID 1's signal stops (pid1.c), relays the pty's bytes and window size, and
 * ends with COMMAND's exit status once COMMAND is gone and its terminal drained. */
#include <errno.h>
#include <poll.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns-tool-helper.h"

static const int relayed[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1, SIGUSR2, SIGWINCH, SIGCHLD};
static sigset_t relayed_set, caller_mask;

static struct {
  int traced;          /* PID 1's signal stops come to us */
  int fatal_signal;    /* the signal PID 1 was ended for, with SIGKILL */
  int done, status;    /* COMMAND's wait status, once it is gone */
} run;

/* Blocked before the fork (a signal between the fork and the loop is kept for the loop, not
 * lost); the child unblocks them before anything else. */
void block_relayed_signals(void) {
  size_t i;
  sigemptyset(&relayed_set);
  for (i = 0; i < sizeof relayed / sizeof relayed[0]; i++) sigaddset(&relayed_set, relayed[i]);
  if (sigprocmask(SIG_BLOCK, &relayed_set, &caller_mask) < 0) die("block signals");
}

void unblock_relayed_signals(void) {
  if (sigprocmask(SIG_SETMASK, &caller_mask, NULL) < 0) die("unblock signals");
}

static void end_pid1(int sig) {
  run.fatal_signal = sig;
  kill(child_pid, SIGKILL);
}

/* To COMMAND as a terminal or kill(1) would send it: a terminal's signal to COMMAND's whole
 * process group (COMMAND leads it, after setsid), any other to COMMAND alone. */
static void forward(const struct signalfd_siginfo *si) {
  int sig = (int)si->ssi_signo;
  if (si->ssi_code != SI_KERNEL || opt.init || kill(-child_pid, sig) < 0) kill(child_pid, sig);
  if (!run.traced && terminates_by_default(sig) && at_default_action(child_pid, sig)) end_pid1(sig);
}

static void reap(void) {
  int status, fatal;
  pid_t pid;
  while ((pid = waitpid(-1, &status, __WALL | WNOHANG)) > 0) {
    if (WIFSTOPPED(status)) {
      if ((fatal = on_trace_stop(pid, status)) != 0) end_pid1(fatal);
    } else if (pid == child_pid) {
      run.done = 1;
      run.status = status;
    }
  }
}

static void on_signal(int sfd) {
  struct signalfd_siginfo si;
  if (read(sfd, &si, sizeof si) != sizeof si) return;
  if (si.ssi_signo == SIGCHLD) reap();
  else if (si.ssi_signo == SIGWINCH && pty_master >= 0) copy_window_size();
  else forward(&si);
}

/* PTY_SOCK: where PID 1 sends its pty's master (-1: no pty). */
int supervise(int pty_sock) {
  int sfd = signalfd(-1, &relayed_set, SFD_CLOEXEC), stdin_open = 1;
  if (sfd < 0) die("signalfd");
  run.traced = !opt.init && trace_pid1(child_pid);
  reap(); /* a SIGCHLD from before the signalfd existed is pending on it anyway; this is cheap */
  while (!run.done || pty_sock >= 0 || pty_master >= 0) {
    struct pollfd fds[4] = {{sfd, POLLIN, 0}, {pty_sock, POLLIN, 0}, {pty_master, POLLIN, 0}, {stdin_open && pty_master >= 0 ? 0 : -1, POLLIN, 0}};
    if (poll(fds, 4, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll");
    }
    if (fds[0].revents & POLLIN) on_signal(sfd);
    if (fds[1].revents) {
      pty_master = receive_fd(pty_sock);
      close(pty_sock);
      pty_sock = -1;
      if (pty_master >= 0) start_relay();
    }
    if (fds[2].revents && !relay_output()) {
      close(pty_master);
      pty_master = -1;
    }
    if (fds[3].revents && !relay_input()) stdin_open = 0;
  }
  restore_terminal();
  if (run.fatal_signal && WIFSIGNALED(run.status) && WTERMSIG(run.status) == SIGKILL) return 128 + run.fatal_signal;
  return status_of(run.status);
}
