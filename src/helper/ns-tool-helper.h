/* ns-tool-helper: the declarations every file of the helper shares, and nothing else.
 * One file per concern (see main.c for the order of the steps); a new file includes this header,
 * declares here what other files call, and is compiled in by scripts/setup.js (every .c here). */
#ifndef NS_TOOL_HELPER_H
#define NS_TOOL_HELPER_H

#include <signal.h>
#include <sys/types.h>

#include "compat.h"

#define EXIT_SETUP 125
#define EXIT_CANNOT_EXEC 126
#define EXIT_NOT_FOUND 127
#define MAX_MOUNTS 64
#define MAX_SETENV 256
#define VERSION "0.1.0"

struct extra_mount {
  const char *kind; /* "bind", "ro-bind", "tmpfs", "hide", "overlay" */
  const char *source; /* binds only */
  const char *dest;
  int tree;   /* binds: the source's mounts, copied by clone_bind_sources() */
  int is_dir; /* binds: the source is a directory */
};

/* The command line, parsed once (args.c); read everywhere else. */
struct options {
  int userns, uid, gid, net_host, clearenv, read_only, ephemeral, init, pty;
  int trace_fd, trace_timeout; /* --trace: -1 when not tracing; seconds, 0 for no limit */
  const char *hostname, *chdir, *rootfs, *term;
  char **command;
  const char *setenv_keys[MAX_SETENV], *setenv_values[MAX_SETENV];
  int nsetenv;
  struct extra_mount mounts[MAX_MOUNTS];
  int nmounts;
};
extern struct options opt;

/* main.c: failing steps */
void die(const char *step, ...) __attribute__((noreturn, format(printf, 1, 2)));
void usage_error(const char *message, const char *what) __attribute__((noreturn));

/* args.c */
void parse_args(int argc, char **argv);

/* userns.c */
void write_file(const char *path, const char *content);
void enter_user_namespace(void);

/* beneath.c: every path inside the rootfs goes through walk_beneath (no symlink, no "..") */
enum make { MAKE_NOTHING, MAKE_DIR, MAKE_FILE };
int walk_beneath(int dirfd, const char *path, enum make make);
int ensure_beneath(int dirfd, const char *path, enum make make);
const char *fd_path(int fd);

/* mounts.c */
unsigned long locked_flags(const char *path);
void remount_read_only(const char *path, const char *what);
int clone_tree(const char *source, const char *what, int read_only);
void attach_tree(int tree, int target_fd, const char *what);
void bind_onto(const char *source, int target_fd, const char *what, int read_only);
void setup_proc(int rootfd);
void setup_dev(int rootfd);
void setup_sys(int rootfd);
void clone_bind_sources(void);
void setup_extra_mounts(int rootfd);
const char *setup_overlay(void);

/* sandbox.c: PID 1 of the new namespaces */
void sandbox_main(int pty_sock) __attribute__((noreturn));

/* trace.c: --trace */
const char *setup_traced_view(void);
void trace_command(int pty_sock) __attribute__((noreturn));

/* exec.c */
void exec_command(int pty_sock) __attribute__((noreturn));

/* command.c: PATH, exec, and why it failed (126/127) */
void exec_or_explain(char **argv) __attribute__((noreturn));

/* binfmt.c: qemu registered in a binfmt_misc instance of the sandbox's own */
int binfmt_option(const char *flag, const char *value);
int emulating(void);
void enter_emulation_namespace(void);
void setup_binfmt(int rootfd);

/* caps.c: --cap-add / --cap-drop over the default set */
int capability_option(const char *flag, const char *value);
void limit_bounding_set(void);
void set_capabilities(void);

/* seccomp.c: --seccomp default|unconfined, --seccomp-bpf FD */
int seccomp_option(const char *flag, const char *value);
void install_seccomp(void);

/* net.c: --net-private (slirp4netns), --publish, --host-loopback, --etc-file */
int net_option(const char *flag, const char *value);
int net_private(void);
void net_prepare(void);
void net_start(void);
int net_finish(int status);
void setup_etc_files(int rootfd);

/* cgroup.c: --memory, --pids-limit, --cpus in a cgroup made for the run */
int cgroup_option(const char *flag, const char *value);
int cgroup_wanted(void);
void cgroup_prepare(void);
void cgroup_enter(void);
int cgroup_finish(int status);
int parent_death_signal(void);
void cgroup_check_parent(void);

/* signals.c: what a signal does to an ordinary process; the pid signals go to */
extern pid_t child_pid;
void keep_caller_proc(void);
int terminates_by_default(int sig);
int at_default_action(pid_t pid, int sig);
int status_of(int status);

/* pid1.c: COMMAND as PID 1 still dies of the signals it has no handler for */
int trace_pid1(pid_t pid);
int on_trace_stop(pid_t tid, int status);

/* reaper.c: --init (and --trace, whose tracer is PID 1 the same way) */
void install_forwarding(void);
void run_reaper(int pty_sock) __attribute__((noreturn));

/* supervise.c: the outer process's loop */
void block_relayed_signals(void);
void unblock_relayed_signals(void);
int supervise(int pty_sock);

/* pty.c */
extern int pty_master;
void attach_new_pty(int pty_sock);
int receive_fd(int sock);
void start_relay(void);
void copy_window_size(void);
int relay_output(void);
int relay_input(void);
void restore_terminal(void);

#endif
