/* --net-private: the sandbox's own network namespace, with outbound access through slirp4netns, a
 * user-mode network stack that runs as the caller (as rootless podman does), and --publish'ed
 * ports forwarded from the host to it. --etc-file: /etc/resolv.conf and /etc/hosts for the run.
 *
 * slirp4netns must live in the host's network namespace (its sockets are the sandbox's outbound
 * connections) and in the caller's user namespace (which owns the sandbox's, so it may join it to
 * open the tap device). So the forwarder is forked before the namespaces exist, waits until this
 * process has made them, then execs slirp4netns with our pid as the namespace to serve. It dies
 * with the sandbox: this process kills it when COMMAND ends, its parent-death signal ends it when
 * this process is killed, and slirp4netns itself exits when its --exit-fd pipe closes. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <linux/close_range.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns-tool-helper.h"

#define MAX_PUBLISH 64
#define MAX_ETC_FILES 4
/* podman's choice: large frames make the user-mode stack much faster than the default 1500. */
#define SLIRP_MTU "65520"
/* The sandbox's address on slirp4netns's network (--configure). */
#define SLIRP_GUEST "10.0.2.100"

struct publish {
  const char *spec; /* as given: IP:HOSTPORT:PORT/PROTO */
  char ip[INET_ADDRSTRLEN], proto[4];
  int host_port, port, picked;
};

static struct {
  int private_net, host_loopback;
  struct publish ports[MAX_PUBLISH];
  int nports;
  const char *etc_names[MAX_ETC_FILES], *etc_contents[MAX_ETC_FILES];
  int netc;
} net;

static struct {
  pid_t pid;
  int pidfd, go_fd, ready_fd, exit_fd, log_fd;
  char api_dir[64], api_socket[96];
} forwarder = {-1, -1, -1, -1, -1, -1, "", ""};

/* IP:HOSTPORT:PORT/tcp|udp, as ns-tool normalizes -p (IPv4 only, as slirp4netns forwards). */
static void parse_publish(const char *value) {
  struct publish *p = &net.ports[net.nports];
  struct in_addr addr;
  char ip[64], proto[8];
  int n = 0;
  if (net.nports == MAX_PUBLISH) usage_error("too many", "--publish");
  if (sscanf(value, "%63[0-9.]:%d:%d/%7[a-z]%n", ip, &p->host_port, &p->port, proto, &n) != 4 || value[n] != '\0' || inet_pton(AF_INET, ip, &addr) != 1 ||
      p->host_port < 0 || p->host_port > 65535 || p->port < 1 || p->port > 65535 || (strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0))
    usage_error("expected --publish IP:HOSTPORT:PORT/tcp|udp", value);
  p->spec = value;
  strcpy(p->ip, ip);
  strcpy(p->proto, proto);
  net.nports++;
  net.private_net = 1;
}

/* NAME=CONTENT: /etc/NAME shows CONTENT for the run. */
static void parse_etc_file(const char *value) {
  const char *eq = strchr(value, '=');
  if (!eq || eq == value || memchr(value, '/', (size_t)(eq - value))) usage_error("expected --etc-file NAME=CONTENT (NAME a file of /etc)", value);
  if (net.netc == MAX_ETC_FILES) usage_error("too many", "--etc-file");
  net.etc_names[net.netc] = strndup(value, (size_t)(eq - value));
  net.etc_contents[net.netc++] = eq + 1;
}

/* The network options: 0 not ours, 1 a switch, 2 a switch and its value. */
int net_option(const char *flag, const char *value) {
  int takes_value = strcmp(flag, "--publish") == 0 || strcmp(flag, "--etc-file") == 0;
  if (strcmp(flag, "--net-private") == 0) net.private_net = 1;
  else if (strcmp(flag, "--host-loopback") == 0) net.host_loopback = 1;
  else if (!takes_value) return 0;
  else if (!value) usage_error("missing value for", flag);
  else if (flag[2] == 'p') parse_publish(value);
  else parse_etc_file(value);
  return takes_value ? 2 : 1;
}

int net_private(void) {
  return net.private_net;
}

/* The forwarder's path: the first slirp4netns on PATH, as execvp would find it. */
static char *find_slirp4netns(void) {
  static char path[PATH_MAX];
  const char *dirs = getenv("PATH"), *p;
  if (!dirs || !*dirs) dirs = "/usr/local/bin:/usr/bin:/bin";
  for (p = dirs; *p; p = *p == ':' ? p + 1 : p) {
    size_t length = strcspn(p, ":");
    if (length && snprintf(path, sizeof path, "%.*s/slirp4netns", (int)length, p) < (int)sizeof path && access(path, X_OK) == 0) return path;
    p += length;
  }
  errno = 0;
  die("--net private needs slirp4netns, which is not on PATH: install it (Debian/Ubuntu: apt-get install slirp4netns; Fedora: dnf install slirp4netns)");
}

/* The kernel checks the device's mode as the caller: no user namespace lifts it. */
static void check_tun(void) {
  if (access("/dev/net/tun", R_OK | W_OK) == 0) return;
  if (errno == EACCES) {
    struct stat st;
    errno = 0;
    die("--net private: /dev/net/tun is not readable and writable by uid %d (mode %04o): slirp4netns opens it as you; make it mode 0666, as udev does on desktop and server distributions (chmod 0666 /dev/net/tun)", (int)getuid(),
        stat("/dev/net/tun", &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0);
  }
  die("--net private: /dev/net/tun (the tun module: modprobe tun)");
}

/* Whether the host port is free, as slirp4netns will bind it (TCP with SO_REUSEADDR, which fails
 * only on a listener; UDP without, which fails on any holder). HOSTPORT 0: pick a free one. */
static void claim_host_port(struct publish *p) {
  struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)p->host_port)};
  socklen_t length = sizeof addr;
  int tcp = strcmp(p->proto, "tcp") == 0, one = 1;
  int fd = socket(AF_INET, (tcp ? SOCK_STREAM : SOCK_DGRAM) | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket for --publish %s", p->spec);
  inet_pton(AF_INET, p->ip, &addr.sin_addr);
  if (tcp) setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    if (errno == EADDRINUSE) {
      errno = 0;
      die("--publish %s: port %d/%s of %s is already in use on the host: choose another HOSTPORT, or 0 for a free one", p->spec, p->host_port, p->proto, p->ip);
    }
    if (errno == EACCES) {
      errno = 0;
      die("--publish %s: port %d is below net.ipv4.ip_unprivileged_port_start: only root may bind it; choose a higher HOSTPORT", p->spec, p->host_port);
    }
    if (errno == EADDRNOTAVAIL) {
      errno = 0;
      die("--publish %s: %s is not an address of this host", p->spec, p->ip);
    }
    die("--publish %s: bind %s:%d", p->spec, p->ip, p->host_port);
  }
  if (p->host_port == 0) {
    if (getsockname(fd, (struct sockaddr *)&addr, &length) < 0) die("getsockname for --publish %s", p->spec);
    p->host_port = ntohs(addr.sin_port);
    p->picked = 1;
  }
  close(fd);
}

/* In the forked child: wait for the namespaces, then become slirp4netns serving PARENT's. */
static void exec_forwarder(const char *path, pid_t parent, int go, int ready, int exit_fd, int log_fd) {
  char target[16], exit_arg[24], ready_arg[24], api_arg[128], go_byte;
  const char *argv[16];
  int n = 0, devnull;
  if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0 || getppid() != parent) _exit(EXIT_SETUP);
  if (read(go, &go_byte, 1) != 1) _exit(EXIT_SETUP);
  /* Its chatter (the interface's settings) is not the user's; its errors are kept for the message. */
  devnull = open("/dev/null", O_RDWR | O_CLOEXEC);
  if (devnull < 0 || dup2(devnull, 0) < 0 || dup2(devnull, 1) < 0 || dup2(log_fd, 2) < 0) _exit(EXIT_SETUP);
  snprintf(target, sizeof target, "%d", (int)parent);
  snprintf(exit_arg, sizeof exit_arg, "--exit-fd=%d", exit_fd);
  snprintf(ready_arg, sizeof ready_arg, "--ready-fd=%d", ready);
  argv[n++] = "slirp4netns";
  /* It parses the sandbox's packets: in a mount namespace of its own, with only
   * CAP_NET_BIND_SERVICE left (when root) and a seccomp filter, as podman runs it. */
  argv[n++] = "--enable-sandbox";
  argv[n++] = "--enable-seccomp";
  argv[n++] = "--configure";
  argv[n++] = "--mtu=" SLIRP_MTU;
  /* 10.0.2.2 reaches the host's 127.0.0.1 only when asked: services there often trust any local caller. */
  if (!net.host_loopback) argv[n++] = "--disable-host-loopback";
  argv[n++] = exit_arg;
  argv[n++] = ready_arg;
  if (forwarder.api_socket[0]) {
    snprintf(api_arg, sizeof api_arg, "--api-socket=%s", forwarder.api_socket);
    argv[n++] = api_arg;
  }
  argv[n++] = target;
  argv[n++] = "tap0";
  argv[n] = NULL;
  execv(path, (char **)argv);
  _exit(EXIT_SETUP);
}

/* The API socket's directory, the caller's own; it lives only while the ports are added. */
static void make_api_dir(void) {
  const char *base = getenv("XDG_RUNTIME_DIR");
  if (!base || access(base, W_OK) != 0 || strlen(base) > 40) base = "/tmp";
  snprintf(forwarder.api_dir, sizeof forwarder.api_dir, "%s/ns-tool-net-XXXXXX", base);
  if (!mkdtemp(forwarder.api_dir)) die("mkdtemp %s", forwarder.api_dir);
  snprintf(forwarder.api_socket, sizeof forwarder.api_socket, "%s/api.sock", forwarder.api_dir);
}

static void remove_api_dir(void) {
  if (!forwarder.api_dir[0]) return;
  unlink(forwarder.api_socket);
  rmdir(forwarder.api_dir);
  forwarder.api_dir[0] = '\0';
}

/* The forwarder's process, forked now (in the caller's namespaces) and exec'd by net_start(). */
static void fork_forwarder(const char *path) {
  int go[2], ready[2], exit_pipe[2];
  pid_t self = getpid();
  forwarder.log_fd = (int)syscall(SYS_memfd_create, "slirp4netns-errors", MFD_CLOEXEC);
  if (forwarder.log_fd < 0) die("memfd_create for slirp4netns");
  if (pipe2(go, O_CLOEXEC) < 0 || pipe2(ready, O_CLOEXEC) < 0 || pipe2(exit_pipe, O_CLOEXEC) < 0) die("pipe for slirp4netns");
  forwarder.pid = fork();
  if (forwarder.pid < 0) die("fork slirp4netns");
  if (forwarder.pid == 0) {
    /* slirp4netns gets none of the helper's fds (ns-tool's seccomp pipe among them) but the two
     * it is told about. */
    if (syscall(SYS_close_range, 3, ~0U, CLOSE_RANGE_CLOEXEC) < 0) {
      int fd;
      for (fd = 3; fd < 1024; fd++) fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    if (fcntl(ready[1], F_SETFD, 0) < 0 || fcntl(exit_pipe[0], F_SETFD, 0) < 0) _exit(EXIT_SETUP);
    exec_forwarder(path, self, go[0], ready[1], exit_pipe[0], forwarder.log_fd);
  }
  forwarder.pidfd = (int)syscall(SYS_pidfd_open, forwarder.pid, 0);
  close(go[0]);
  close(ready[1]);
  close(exit_pipe[0]);
  forwarder.go_fd = go[1];
  forwarder.ready_fd = ready[0];
  forwarder.exit_fd = exit_pipe[1];
}

/* Before the namespaces: the checks that need the host's network (the ports, the device), and the
 * forwarder, forked while this process is still in the caller's namespaces. */
void net_prepare(void) {
  const char *path;
  int i;
  if (!net.private_net) return;
  if (opt.net_host) usage_error("--net-private and --net-host exclude each other", NULL);
  path = find_slirp4netns();
  check_tun();
  for (i = 0; i < net.nports; i++) claim_host_port(&net.ports[i]);
  if (net.nports > 0) make_api_dir();
  fork_forwarder(path);
}

/* slirp4netns's last words (the end of what it wrote), for the one line that says it failed. */
static const char *forwarder_said(void) {
  static char text[1024];
  struct stat st;
  char *line, *end;
  off_t from = fstat(forwarder.log_fd, &st) == 0 && st.st_size > (off_t)sizeof text - 1 ? st.st_size - (off_t)sizeof text + 1 : 0;
  ssize_t n = pread(forwarder.log_fd, text, sizeof text - 1, from);
  text[n > 0 ? n : 0] = '\0';
  for (end = text + strlen(text); end > text && (end[-1] == '\n' || end[-1] == ' '); end--) *(end - 1) = '\0';
  line = strrchr(text, '\n');
  return line ? line + 1 : text[0] ? text : "no message";
}

/* One request on the API socket (one connection each); dies with slirp4netns's answer on error. */
static void add_host_forward(const struct publish *p) {
  struct sockaddr_un addr = {.sun_family = AF_UNIX};
  char request[256], reply[1024];
  ssize_t n, got = 0;
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) die("socket for the slirp4netns API");
  strncpy(addr.sun_path, forwarder.api_socket, sizeof addr.sun_path - 1);
  if (connect(fd, (struct sockaddr *)&addr, sizeof addr) < 0) {
    int saved = errno;
    net_finish(0);
    errno = saved;
    die("connect to slirp4netns's API socket %s", forwarder.api_socket);
  }
  n = snprintf(request, sizeof request, "{\"execute\": \"add_hostfwd\", \"arguments\": {\"proto\": \"%s\", \"host_addr\": \"%s\", \"host_port\": %d, \"guest_addr\": \"" SLIRP_GUEST "\", \"guest_port\": %d}}", p->proto, p->ip,
               p->host_port, p->port);
  if (write(fd, request, (size_t)n) != n) die("write to slirp4netns's API socket");
  shutdown(fd, SHUT_WR);
  while ((n = read(fd, reply + got, sizeof reply - 1 - (size_t)got)) > 0) got += n;
  reply[got] = '\0';
  close(fd);
  if (!strstr(reply, "\"return\"")) {
    net_finish(0);
    errno = 0;
    die("--publish %s: slirp4netns could not forward %s:%d/%s (is the port taken?): %s", p->spec, p->ip, p->host_port, p->proto, reply[0] ? reply : "no answer");
  }
  if (p->picked) fprintf(stderr, "ns-tool-helper: --publish %s: published on %s:%d/%s\n", p->spec, p->ip, p->host_port, p->proto);
}

/* After the namespaces: start the forwarder on ours, wait until the interface is up, publish. */
void net_start(void) {
  char ready = 0;
  int i;
  if (forwarder.pid < 0) return;
  if (write(forwarder.go_fd, "1", 1) != 1) die("start slirp4netns");
  close(forwarder.go_fd);
  if (read(forwarder.ready_fd, &ready, 1) != 1 || ready != '1') {
    errno = 0;
    net_finish(0);
    die("--net private: slirp4netns could not set up the sandbox's network: %s", forwarder_said());
  }
  close(forwarder.ready_fd);
  for (i = 0; i < net.nports; i++) add_host_forward(&net.ports[i]);
  remove_api_dir();
}

/* When the sandbox has ended: the forwarder too (SIGKILL: it has nothing to clean up, and a stuck
 * one must not hold ns-tool), waited for, so that its ports are free when ns-tool returns. The
 * pidfd cannot hit a recycled pid if supervise() reaped it already. */
int net_finish(int status) {
  if (forwarder.pid < 0) return status;
  if (forwarder.pidfd >= 0) syscall(SYS_pidfd_send_signal, forwarder.pidfd, SIGKILL, NULL, 0);
  close(forwarder.exit_fd);
  waitpid(forwarder.pid, NULL, 0);
  remove_api_dir();
  forwarder.pid = -1;
  return status;
}

/* PID 1, before the pivot: each --etc-file written into the sandbox's /dev tmpfs, bound read-only
 * over the tree's /etc/NAME, then unlinked (the bind keeps it). ROOTFS is never written: a tree
 * without a regular /etc/NAME (none, or a link) gets a warning instead. */
void setup_etc_files(int rootfd) {
  int devfd, i;
  if (net.netc == 0) return;
  devfd = ensure_beneath(rootfd, "dev", MAKE_NOTHING);
  for (i = 0; i < net.netc; i++) {
    char etc_path[PATH_MAX], staged[PATH_MAX];
    size_t length = strlen(net.etc_contents[i]);
    struct stat st;
    int target, fd;
    snprintf(etc_path, sizeof etc_path, "etc/%s", net.etc_names[i]);
    target = walk_beneath(rootfd, etc_path, MAKE_NOTHING);
    if (target < 0 || fstat(target, &st) < 0 || !S_ISREG(st.st_mode)) {
      fprintf(stderr, "ns-tool-helper: warning: %s has no regular file /%s to mount the run's over (it is missing or a link): create an empty one (touch %s/%s)\n", opt.rootfs, etc_path,
              opt.rootfs, etc_path);
      if (target >= 0) close(target);
      continue;
    }
    snprintf(staged, sizeof staged, ".ns-tool-%s", net.etc_names[i]);
    fd = openat(devfd, staged, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || write(fd, net.etc_contents[i], length) != (ssize_t)length) die("write /dev/%s", staged);
    close(fd);
    fd = openat(devfd, staged, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) die("open /dev/%s", staged);
    bind_onto(fd_path(fd), target, etc_path, 1);
    if (unlinkat(devfd, staged, 0) < 0) die("unlink /dev/%s", staged);
    close(fd);
    close(target);
  }
  close(devfd);
}
