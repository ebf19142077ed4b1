/* The helper's command line -> opt. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ns-tool-helper.h"

struct options opt = {.hostname = "ns-tool", .chdir = "/", .pty = -1, .trace_fd = -1};

static void print_help(void) {
  puts("usage: ns-tool-helper [OPTION...] [--] ROOTFS COMMAND [ARG...]\n"
       "  --userns            new user namespace (rootless); map --uid/--gid to the caller\n"
       "  --uid N --gid N     ids inside (default 0 0)\n"
       "  --hostname NAME     (default ns-tool)\n"
       "  --net-host          keep the host network (default: own namespace, lo up)\n"
       "  --net-private       own namespace with outbound access through slirp4netns (run as the caller)\n"
       "  --publish IP:HOSTPORT:PORT/tcp|udp   forward a host port to the sandbox (implies --net-private;\n"
       "                      HOSTPORT 0: a free one, printed)\n"
       "  --host-loopback     --net-private: 10.0.2.2 reaches the host's 127.0.0.1\n"
       "  --etc-file NAME=CONTENT   /etc/NAME shows CONTENT for the run (mounted; ROOTFS is not written)\n"
       "  --setenv KEY VALUE  --clearenv\n"
       "  --term VALUE        TERM for COMMAND when its stdout is a terminal (unless --setenv sets it)\n"
       "  --chdir DIR         working directory inside (default /)\n"
       "  --bind SRC DEST  --ro-bind SRC DEST  --tmpfs DEST\n"
       "  --hide DEST         an empty read-only tmpfs over the directory DEST, if there is one\n"
       "  --overlay DEST      DEST as it is, writable; the writes go to a throw-away layer\n"
       "  --read-only         root mounted read-only\n"
       "  --ephemeral         writes go to a throw-away overlay\n"
       "  --init              a reaper is PID 1, COMMAND is PID 2\n"
       "  --pty / --no-pty    own pseudo-terminal (default: when stdin and stdout are terminals)\n"
       "  --binfmt LINE       register LINE (fix-binary) in the sandbox's own binfmt_misc\n"
       "  --cap-add CAP  --cap-drop CAP|ALL   over Docker's default capability set\n"
       "  --seccomp default|unconfined        the built-in filter is the default capability set's\n"
       "  --seccomp-bpf FD    a compiled filter (struct sock_filter[]) read from FD\n"
       "  --memory BYTES  --pids-limit N  --cpus N   limits, in a cgroup made for the run\n"
       "  --trace FD          ROOTFS seen read-only (every submount); the paths COMMAND and its\n"
       "                      descendants open, exec, stat or list are written to FD\n"
       "  --trace-timeout S   kill the traced command after S seconds (exit 124)\n"
       "exit: COMMAND's status, 128+N for signal N, 125 setup failed, 126 cannot execute, 127 not found");
}

static int parse_int(const char *value, const char *name) {
  char *end;
  long n;
  if (!value) usage_error("missing value for", name);
  n = strtol(value, &end, 10);
  if (*value == '\0' || *end != '\0' || n < 0 || n > 0x7fffffff) usage_error("not a number", value);
  return (int)n;
}

/* The defence options (caps.c, seccomp.c, cgroup.c) each take one value. */
static int defence_option(const char *flag, const char *value) {
  return capability_option(flag, value) || seccomp_option(flag, value) || cgroup_option(flag, value);
}

void parse_args(int argc, char **argv) {
  int i = 1, taken;
  for (; i < argc; i++) {
    const char *a = argv[i];
#define NEED(n) do { if (i + (n) >= argc) usage_error("missing value for", a); } while (0)
    if (strcmp(a, "--") == 0) { i++; break; }
    else if (strcmp(a, "--help") == 0) { print_help(); exit(0); }
    else if (strcmp(a, "--version") == 0) { puts("ns-tool-helper " VERSION); exit(0); }
    else if (strcmp(a, "--userns") == 0) opt.userns = 1;
    else if (strcmp(a, "--uid") == 0) { NEED(1); opt.uid = parse_int(argv[++i], a); }
    else if (strcmp(a, "--gid") == 0) { NEED(1); opt.gid = parse_int(argv[++i], a); }
    else if (strcmp(a, "--hostname") == 0) { NEED(1); opt.hostname = argv[++i]; }
    else if (strcmp(a, "--net-host") == 0) opt.net_host = 1;
    else if (strcmp(a, "--clearenv") == 0) opt.clearenv = 1;
    else if (strcmp(a, "--term") == 0) { NEED(1); opt.term = argv[++i]; }
    else if (strcmp(a, "--setenv") == 0) {
      NEED(2);
      if (opt.nsetenv == MAX_SETENV) usage_error("too many", a);
      opt.setenv_keys[opt.nsetenv] = argv[++i];
      opt.setenv_values[opt.nsetenv++] = argv[++i];
    } else if (strcmp(a, "--chdir") == 0) { NEED(1); opt.chdir = argv[++i]; }
    else if (strcmp(a, "--bind") == 0 || strcmp(a, "--ro-bind") == 0 || strcmp(a, "--tmpfs") == 0 || strcmp(a, "--hide") == 0 || strcmp(a, "--overlay") == 0) {
      int bind = strcmp(a, "--bind") == 0 || strcmp(a, "--ro-bind") == 0;
      NEED(bind ? 2 : 1);
      if (opt.nmounts == MAX_MOUNTS) usage_error("too many mounts", a);
      opt.mounts[opt.nmounts].kind = a + 2;
      opt.mounts[opt.nmounts].source = bind ? argv[++i] : NULL;
      opt.mounts[opt.nmounts++].dest = argv[++i];
    } else if (strcmp(a, "--read-only") == 0) opt.read_only = 1;
    else if (strcmp(a, "--ephemeral") == 0) opt.ephemeral = 1;
    else if (strcmp(a, "--init") == 0) opt.init = 1;
    else if (strcmp(a, "--pty") == 0) opt.pty = 1;
    else if (strcmp(a, "--no-pty") == 0) opt.pty = 0;
    else if (binfmt_option(a, i + 1 < argc ? argv[i + 1] : NULL)) i++;
    else if (defence_option(a, i + 1 < argc ? argv[i + 1] : NULL)) i++;
    else if ((taken = net_option(a, i + 1 < argc ? argv[i + 1] : NULL)) > 0) i += taken - 1;
    /* The tracer is PID 1 with COMMAND its child, as --init's reaper is. */
    else if (strcmp(a, "--trace") == 0) { NEED(1); opt.trace_fd = parse_int(argv[++i], a); opt.read_only = 1; opt.init = 1; }
    else if (strcmp(a, "--trace-timeout") == 0) { NEED(1); opt.trace_timeout = parse_int(argv[++i], a); }
    else if (a[0] == '-' && a[1] == '-') usage_error("unknown option", a);
    else break;
#undef NEED
  }
  if (i + 2 > argc) usage_error("expected ROOTFS COMMAND [ARG...]", NULL);
  opt.rootfs = argv[i];
  opt.command = &argv[i + 1];
}
