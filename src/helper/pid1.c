/* COMMAND as PID 1, ended by the signals that would end it anywhere else. The kernel drops every
 * signal a namespace's PID 1 has left at its default action (but SIGKILL/SIGSTOP from outside),
 * whoever sends it: ns-tool, a terminal, COMMAND itself. The outer process traces PID 1 for its
 * signal stops only (PTRACE_SEIZE without syscall tracing): a signal about to be dropped whose
 * default is to terminate is answered with SIGKILL, and ns-tool reports 128+N for it. */
#include <errno.h>
#include <sys/ptrace.h>
#include <sys/wait.h>

#include "ns-tool-helper.h"

/* Threads too (TRACECLONE: a process-directed signal may be taken by any of them; forks are not
 * followed); EXITKILL: PID 1 does not outlive its tracer. Refused (a tracer already, Yama): 0,
 * and the outer process falls back to checking the signals it forwards itself. */
int trace_pid1(pid_t pid) {
  return ptrace(PTRACE_SEIZE, pid, 0, PTRACE_O_TRACECLONE | PTRACE_O_EXITKILL) == 0;
}

/* A ptrace stop of PID 1 or one of its threads. Returns the signal that must end PID 1, or 0
 * after resuming the thread as the kernel would have had it untraced. */
int on_trace_stop(pid_t tid, int status) {
  int sig = WSTOPSIG(status), event = (status >> 16) & 0xff;
  if (event == PTRACE_EVENT_STOP) {
    /* A group-stop (SIGSTOP from outside) stays stopped until SIGCONT; a new thread's first
     * stop or any other trap resumes. */
    if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN || sig == SIGTTOU) ptrace(PTRACE_LISTEN, tid, 0, 0);
    else ptrace(PTRACE_CONT, tid, 0, 0);
    return 0;
  }
  if (event != 0) {
    ptrace(PTRACE_CONT, tid, 0, 0);
    return 0;
  }
  /* Signal-delivery-stop: SIG is about to be delivered. Blocked signals never get here, and a
   * synchronous fault has already been reset to SIG_DFL by the kernel. */
  if (terminates_by_default(sig) && at_default_action(tid, sig)) return sig;
  ptrace(PTRACE_CONT, tid, 0, sig);
  return 0;
}
