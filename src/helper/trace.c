/* --trace FD: COMMAND runs in a read-only copy of ROOTFS (every submount too) under ptrace, it
 * and every process it starts; each path they open, execute, stat, probe, read as a link or list
 * is written to FD as records "KIND\0PATH\0", then "exit\0STATUS\0" (or "timeout\0SECONDS\0").
 * A seccomp filter stops only the path syscalls (SECCOMP_RET_TRACE), so the rest run at full
 * speed; paths are read with process_vm_readv and made absolute through /proc/PID/{cwd,fd}. */
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns-tool-helper.h"

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#elif defined(__i386__)
#define NATIVE_ARCH AUDIT_ARCH_I386
#elif defined(__riscv) && __riscv_xlen == 64
#define NATIVE_ARCH AUDIT_ARCH_RISCV64
#endif

#define PATH_BYTES 4096
#define EXIT_TIMEOUT 124

/* A traced syscall: which argument is the path, which the directory fd it is relative to (-1:
 * the cwd), or with path_arg -1 an fd whose file is the subject (getdents: a directory listed). */
struct traced_call {
  long nr;
  int path_arg, dirfd_arg;
  const char *kind;
};

static const struct traced_call calls[] = {
#ifdef __NR_open
    {__NR_open, 0, -1, "open"},
#endif
#ifdef __NR_stat
    {__NR_stat, 0, -1, "stat"},
    {__NR_lstat, 0, -1, "stat"},
#endif
#ifdef __NR_access
    {__NR_access, 0, -1, "stat"},
#endif
#ifdef __NR_readlink
    {__NR_readlink, 0, -1, "stat"},
#endif
#ifdef __NR_getdents
    {__NR_getdents, -1, 0, "list"},
#endif
    {__NR_openat, 1, 0, "open"},
    {__NR_openat2, 1, 0, "open"},
    {__NR_execve, 0, -1, "exec"},
    {__NR_execveat, 1, 0, "exec"},
    {__NR_newfstatat, 1, 0, "stat"},
    {__NR_statx, 1, 0, "stat"},
    {__NR_faccessat, 1, 0, "stat"},
    {__NR_faccessat2, 1, 0, "stat"},
    {__NR_readlinkat, 1, 0, "stat"},
    {__NR_statfs, 0, -1, "stat"},
    {__NR_chdir, 0, -1, "list"},
    {__NR_getdents64, -1, 0, "list"},
};
#define NCALLS (sizeof calls / sizeof calls[0])

static int trace_fd = -1;
static char out[65536];
static size_t out_len;
static volatile sig_atomic_t alarm_rang;

static void flush_records(void) {
  size_t done = 0;
  while (done < out_len) {
    ssize_t n = write(trace_fd, out + done, out_len - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    done += (size_t)n;
  }
  out_len = 0;
}

static void record(const char *kind, const char *path) {
  size_t k = strlen(kind) + 1, p = strlen(path) + 1;
  if (out_len + k + p > sizeof out) flush_records();
  memcpy(out + out_len, kind, k);
  memcpy(out + out_len + k, path, p);
  out_len += k + p;
}

/* --trace: the root is a recursive copy of ROOTFS made read-only before it is attached, on a
 * scratch tmpfs of this mount namespace (no writable path of the host is ever reachable). */
const char *setup_traced_view(void) {
  int fd;
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=700") < 0) die("mount a tmpfs for the traced view");
  if (mkdir("/tmp/view", 0755) < 0) die("mkdir the traced view");
  fd = open("/tmp/view", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die("open the traced view");
  bind_onto(opt.rootfs, fd, opt.rootfs, 1);
  close(fd);
  return "/tmp/view";
}

/* Only the syscalls above stop the tracee; any other architecture's calls run untraced. */
static void install_filter(void) {
  struct sock_filter code[NCALLS + 5];
  struct sock_fprog prog;
  size_t i, n = 0;
  code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  code[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 0, NCALLS + 1);
  code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (i = 0; i < NCALLS; i++) code[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)calls[i].nr, (unsigned char)(NCALLS - i), 0);
  code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
  prog.len = (unsigned short)n;
  prog.filter = code;
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) die("no_new_privs for the trace filter");
  if (syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) < 0) die("install the trace filter");
}

/* A NUL-terminated string of the tracee, read a page at a time (a path may end just before an
 * unmapped page). */
static int read_string(pid_t pid, unsigned long address, char *buffer, size_t size) {
  size_t done = 0;
  while (done < size - 1) {
    size_t chunk = 4096 - ((address + done) & 4095);
    struct iovec local, remote;
    ssize_t n;
    if (chunk > size - 1 - done) chunk = size - 1 - done;
    local.iov_base = buffer + done;
    local.iov_len = chunk;
    remote.iov_base = (void *)(address + done);
    remote.iov_len = chunk;
    n = process_vm_readv(pid, &local, 1, &remote, 1, 0);
    if (n <= 0) return -1;
    if (memchr(buffer + done, 0, (size_t)n)) return 0;
    done += (size_t)n;
  }
  buffer[size - 1] = 0;
  return 0;
}

/* What /proc/PID/LINK points to (the tracee's cwd or one of its fds). */
static int proc_link(pid_t pid, const char *link, char *buffer, size_t size) {
  char name[64];
  ssize_t n;
  snprintf(name, sizeof name, "/proc/%d/%s", (int)pid, link);
  n = readlink(name, buffer, size - 1);
  if (n < 0) return -1;
  buffer[n] = 0;
  return 0;
}

static void record_call(pid_t pid) {
  struct __ptrace_syscall_info info;
  char path[PATH_BYTES], base[PATH_BYTES], full[2 * PATH_BYTES + 2], link[32];
  const struct traced_call *call = NULL;
  size_t i;
  if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info) <= 0 || info.op != PTRACE_SYSCALL_INFO_SECCOMP) return;
  for (i = 0; i < NCALLS && !call; i++)
    if ((unsigned long)calls[i].nr == info.seccomp.nr) call = &calls[i];
  if (!call) return;
  if (call->path_arg < 0) {
    snprintf(link, sizeof link, "fd/%d", (int)info.seccomp.args[call->dirfd_arg]);
    if (proc_link(pid, link, base, sizeof base) == 0 && base[0] == '/') record(call->kind, base);
    return;
  }
  if (read_string(pid, info.seccomp.args[call->path_arg], path, sizeof path) < 0) return;
  if (path[0] == '/') {
    record(call->kind, path);
    return;
  }
  if (call->dirfd_arg < 0 || (int)info.seccomp.args[call->dirfd_arg] == AT_FDCWD) {
    if (proc_link(pid, "cwd", base, sizeof base) < 0) return;
  } else {
    snprintf(link, sizeof link, "fd/%d", (int)info.seccomp.args[call->dirfd_arg]);
    if (proc_link(pid, link, base, sizeof base) < 0) return;
  }
  if (base[0] != '/') return;
  snprintf(full, sizeof full, "%s%s%s", base, path[0] && strcmp(base, "/") ? "/" : "", path);
  record(call->kind, full);
}

static void on_alarm(int sig) {
  (void)sig;
  alarm_rang = 1;
}

/* Which pids have been seen: a new tracee's first stop is the SIGSTOP of its attachment. */
static unsigned char *seen;
static size_t seen_size;

static int first_stop(pid_t pid) {
  size_t byte = (size_t)pid / 8;
  unsigned char bit = (unsigned char)(1u << (pid % 8));
  if (byte >= seen_size) {
    size_t size = (byte + 1) * 2;
    unsigned char *grown = realloc(seen, size);
    if (!grown) die("remember traced pids");
    memset(grown + seen_size, 0, size - seen_size);
    seen = grown;
    seen_size = size;
  }
  if (seen[byte] & bit) return 0;
  seen[byte] |= bit;
  return 1;
}

/* Where the stop came from, and how to let the tracee go on: a path syscall is recorded, the
 * events (fork, vfork, clone, exec) and a new tracee's attaching SIGSTOP are swallowed, a
 * group-stop (no siginfo) is resumed, any other signal is delivered. */
static void resume(pid_t pid, int status) {
  int sig = WSTOPSIG(status), event = status >> 16, deliver = 0;
  siginfo_t si;
  if (sig == SIGTRAP && event == PTRACE_EVENT_SECCOMP) record_call(pid);
  else if (!(sig == SIGTRAP && event) && !(sig == SIGSTOP && first_stop(pid)) && ptrace(PTRACE_GETSIGINFO, pid, NULL, &si) == 0) deliver = sig;
  ptrace(PTRACE_CONT, pid, NULL, (void *)(long)deliver);
}

static void finish(const char *kind, int value, int exit_status) {
  char number[16];
  snprintf(number, sizeof number, "%d", value);
  record(kind, number);
  flush_records();
  kill(-1, SIGKILL);
  _exit(exit_status);
}

/* PID 1 of the sandbox: COMMAND is its traced child; when COMMAND ends (or the time is up) what
 * it left running is killed with the namespace. */
void trace_command(int pty_sock) {
  struct sigaction sa;
  int status;
  pid_t pid;
  trace_fd = opt.trace_fd;
  child_pid = fork();
  if (child_pid < 0) die("fork the traced command");
  if (child_pid == 0) {
    if (ptrace(PTRACE_TRACEME, 0, NULL, NULL) < 0) die("ptrace the traced command");
    raise(SIGSTOP);
    install_filter();
    exec_command(pty_sock);
  }
  if (waitpid(child_pid, &status, 0) < 0 || !WIFSTOPPED(status)) die("start the traced command");
  first_stop(child_pid);
  if (ptrace(PTRACE_SETOPTIONS, child_pid, NULL, (void *)(long)(PTRACE_O_TRACESECCOMP | PTRACE_O_TRACEFORK | PTRACE_O_TRACEVFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC | PTRACE_O_EXITKILL)) < 0) die("ptrace options");
  if (ptrace(PTRACE_CONT, child_pid, NULL, NULL) < 0) die("resume the traced command");
  install_forwarding();
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_alarm; /* no SA_RESTART: waitpid returns EINTR when the time is up */
  sigaction(SIGALRM, &sa, NULL);
  if (opt.trace_timeout > 0) alarm((unsigned)opt.trace_timeout);
  for (;;) {
    pid = waitpid(-1, &status, __WALL);
    if (alarm_rang) {
      fprintf(stderr, "ns-tool-helper: the traced command was still running after %d s: killed\n", opt.trace_timeout);
      finish("timeout", opt.trace_timeout, EXIT_TIMEOUT);
    }
    if (pid < 0) {
      if (errno == EINTR) continue;
      die("wait for the traced command");
    }
    if (WIFSTOPPED(status)) resume(pid, status);
    else if (pid == child_pid) finish("exit", status_of(status), status_of(status));
  }
}
