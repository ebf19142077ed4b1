/* --trace FD: COMMAND runs in a read-only copy of ROOTFS (every submount too) under ptrace, it
 * and every process it starts; each path they open, execute, stat, probe, read as a link or list
 * is written to FD as records "KIND\0PATH\0", then "exit\0STATUS\0" (or "timeout\0SECONDS\0").
 * A seccomp filter stops only the path syscalls (SECCOMP_RET_TRACE), of the native entry and, on
 * x86-64, of the i386 one (int 0x80, 32-bit programs), so the rest run at full speed; a stat of a
 * descriptor (AT_EMPTY_PATH: glibc's fstat) names no path and does not stop. Paths are read with
 * process_vm_readv and made absolute through /proc/PID/{cwd,fd}. The time limit is a timerfd
 * polled with a signalfd for SIGCHLD: it cannot land between two waits and be lost. */
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
#include <poll.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/timerfd.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns-tool-defaults.h"
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
 * the cwd), or with path_arg -1 an fd whose file is the subject (getdents: a directory listed);
 * flags_arg: the flags argument whose AT_EMPTY_PATH makes it a call on dirfd itself (no stop). */
struct traced_call {
  long nr;
  int path_arg, dirfd_arg, flags_arg;
  const char *kind;
};

static const struct traced_call native_calls[] = {
#ifdef __NR_open
    {__NR_open, 0, -1, -1, "open"},
#endif
#ifdef __NR_stat
    {__NR_stat, 0, -1, -1, "stat"},
    {__NR_lstat, 0, -1, -1, "stat"},
#endif
#ifdef __NR_access
    {__NR_access, 0, -1, -1, "stat"},
#endif
#ifdef __NR_readlink
    {__NR_readlink, 0, -1, -1, "stat"},
#endif
#ifdef __NR_getdents
    {__NR_getdents, -1, 0, -1, "list"},
#endif
    {__NR_openat, 1, 0, -1, "open"},
    {__NR_openat2, 1, 0, -1, "open"},
    {__NR_execve, 0, -1, -1, "exec"},
    {__NR_execveat, 1, 0, -1, "exec"},
    {__NR_newfstatat, 1, 0, 3, "stat"},
    {__NR_statx, 1, 0, 2, "stat"},
    {__NR_faccessat, 1, 0, -1, "stat"},
    {__NR_faccessat2, 1, 0, 3, "stat"},
    {__NR_readlinkat, 1, 0, -1, "stat"},
    {__NR_statfs, 0, -1, -1, "stat"},
    {__NR_chdir, 0, -1, -1, "list"},
    {__NR_getdents64, -1, 0, -1, "list"},
};
#define NNATIVE (sizeof native_calls / sizeof native_calls[0])

#if defined(__x86_64__) && defined(NS_I386_NR_openat)
/* The i386 entry's (ns-tool-defaults.h has its numbers, read from asm/unistd_32.h at build time). */
static const struct traced_call i386_calls[] = {
    {NS_I386_NR_open, 0, -1, -1, "open"},
    {NS_I386_NR_execve, 0, -1, -1, "exec"},
    {NS_I386_NR_chdir, 0, -1, -1, "list"},
    {NS_I386_NR_oldstat, 0, -1, -1, "stat"},
    {NS_I386_NR_access, 0, -1, -1, "stat"},
    {NS_I386_NR_oldlstat, 0, -1, -1, "stat"},
    {NS_I386_NR_readlink, 0, -1, -1, "stat"},
    {NS_I386_NR_statfs, 0, -1, -1, "stat"},
    {NS_I386_NR_stat, 0, -1, -1, "stat"},
    {NS_I386_NR_lstat, 0, -1, -1, "stat"},
    {NS_I386_NR_getdents, -1, 0, -1, "list"},
    {NS_I386_NR_stat64, 0, -1, -1, "stat"},
    {NS_I386_NR_lstat64, 0, -1, -1, "stat"},
    {NS_I386_NR_getdents64, -1, 0, -1, "list"},
    {NS_I386_NR_statfs64, 0, -1, -1, "stat"},
    {NS_I386_NR_openat, 1, 0, -1, "open"},
    {NS_I386_NR_fstatat64, 1, 0, 3, "stat"},
    {NS_I386_NR_readlinkat, 1, 0, -1, "stat"},
    {NS_I386_NR_faccessat, 1, 0, -1, "stat"},
    {NS_I386_NR_execveat, 1, 0, -1, "exec"},
    {NS_I386_NR_statx, 1, 0, 2, "stat"},
    {NS_I386_NR_openat2, 1, 0, -1, "open"},
    {NS_I386_NR_faccessat2, 1, 0, 3, "stat"},
};
#define NI386 (sizeof i386_calls / sizeof i386_calls[0])
#else
static const struct traced_call *const i386_calls = NULL;
#define NI386 0
#endif

static int trace_fd = -1;
static char out[65536];
static size_t out_len;

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
 * scratch tmpfs of this mount namespace (no writable path of the host is ever reachable). The
 * copy is taken before the scratch tmpfs covers /tmp, so the view has the host's /tmp. */
const char *setup_traced_view(void) {
  int fd, tree = clone_tree(opt.rootfs, opt.rootfs, 1);
  if (mount("tmpfs", "/tmp", "tmpfs", MS_NOSUID | MS_NODEV, "mode=700") < 0) die("mount a tmpfs for the traced view");
  if (mkdir("/tmp/view", 0755) < 0) die("mkdir the traced view");
  fd = open("/tmp/view", O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) die("open the traced view");
  attach_tree(tree, fd, opt.rootfs);
  close(fd);
  return "/tmp/view";
}

#define MAX_TRACE_INSNS (4 + 5 * (NNATIVE + NI386 + 2))

/* One architecture's part of the filter (the accumulator holds the arch): its calls stop the
 * tracee, unless their flags say AT_EMPTY_PATH; its other calls, and other architectures' when
 * this is the last part, are allowed. */
static size_t filter_section(struct sock_filter *code, size_t n, unsigned arch, const struct traced_call *calls, size_t ncalls) {
  size_t i, start = n;
  n++; /* the arch test, filled in below once the section's length is known */
  code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr));
  for (i = 0; i < ncalls; i++) {
    int flags = calls[i].flags_arg;
    code[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (unsigned)calls[i].nr, 0, flags < 0 ? 1 : 4);
    if (flags >= 0) {
      /* The low word of the flags argument (little-endian: the first). */
      code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (unsigned)(offsetof(struct seccomp_data, args) + 8 * (size_t)flags));
      code[n++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, AT_EMPTY_PATH, 0, 1);
      code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
    }
    code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_TRACE);
  }
  code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
  code[start] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, arch, 0, (unsigned char)(n - start - 1));
  return n;
}

/* Only the path syscalls stop the tracee, on the native entry and the i386 one. */
static void install_filter(void) {
  struct sock_filter code[MAX_TRACE_INSNS];
  struct sock_fprog prog;
  size_t n = 0;
  code[n++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch));
  n = filter_section(code, n, NATIVE_ARCH, native_calls, NNATIVE);
  if (NI386 > 0) n = filter_section(code, n, AUDIT_ARCH_I386, i386_calls, NI386);
  code[n++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
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
  const struct traced_call *call = NULL, *calls = native_calls;
  size_t i, ncalls = NNATIVE;
  if (ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof info, &info) <= 0 || info.op != PTRACE_SYSCALL_INFO_SECCOMP) return;
  /* An i386 call's arguments come zero-extended: its pointers read as they are, its fds as int. */
  if (info.arch != NATIVE_ARCH) {
    calls = i386_calls;
    ncalls = NI386;
  }
  for (i = 0; i < ncalls && !call; i++)
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

/* The stops and ends of every tracee that are waiting, handled; COMMAND's end finishes the trace. */
static void reap_tracees(void) {
  int status;
  pid_t pid;
  while ((pid = waitpid(-1, &status, WNOHANG | __WALL)) != 0) {
    if (pid < 0) {
      if (errno == EINTR) continue;
      if (errno == ECHILD) return;
      die("wait for the traced command");
    }
    if (WIFSTOPPED(status)) resume(pid, status);
    else if (pid == child_pid) finish("exit", status_of(status), status_of(status));
  }
}

/* SIGCHLD, blocked, read from a signalfd: a child that changes state while we handle another is
 * still pending there, so no poll misses it. */
static int child_events(void) {
  sigset_t mask;
  int fd;
  sigemptyset(&mask);
  sigaddset(&mask, SIGCHLD);
  if (sigprocmask(SIG_BLOCK, &mask, NULL) < 0) die("block SIGCHLD for the tracer");
  fd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
  if (fd < 0) die("signalfd for the tracer");
  return fd;
}

/* A timerfd that becomes readable when the time is up (-1: no limit). */
static int time_limit(void) {
  struct itimerspec limit;
  int fd;
  if (opt.trace_timeout <= 0) return -1;
  fd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
  if (fd < 0) die("timerfd for --trace-timeout");
  memset(&limit, 0, sizeof limit);
  limit.it_value.tv_sec = opt.trace_timeout;
  if (timerfd_settime(fd, 0, &limit, NULL) < 0) die("set the --trace-timeout timer");
  return fd;
}

/* PID 1 of the sandbox: COMMAND is its traced child; when COMMAND ends (or the time is up) what
 * it left running is killed with the namespace. */
void trace_command(int pty_sock) {
  struct pollfd fds[2];
  struct signalfd_siginfo si;
  int status;
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
  fds[0].fd = child_events();
  fds[0].events = POLLIN;
  fds[1].fd = time_limit();
  fds[1].events = POLLIN;
  if (ptrace(PTRACE_CONT, child_pid, NULL, NULL) < 0) die("resume the traced command");
  install_forwarding();
  for (;;) {
    reap_tracees();
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      die("poll the traced command");
    }
    if (fds[1].revents & POLLIN) {
      fprintf(stderr, "ns-tool-helper: the traced command was still running after %d s: killed\n", opt.trace_timeout);
      finish("timeout", opt.trace_timeout, EXIT_TIMEOUT);
    }
    while (read(fds[0].fd, &si, sizeof si) > 0) continue;
  }
}
