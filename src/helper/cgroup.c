/* Resource limits (--memory, --pids-limit, --cpus) through a cgroup made for this run.
 *
 * The outer process finds, per controller, where it can make a cgroup: cgroup v2 where the
 * controller is enabled there (rootless: only in a cgroup delegated to the user), v1 otherwise
 * (root only). It names the cgroup after its own pid, writes the limits, and removes it when the
 * sandbox has ended: after a normal exit, and when ns-tool dies (the parent-death signal is caught
 * here instead of killing the helper outright). PID 1 of the sandbox joins the cgroup first thing,
 * then takes a cgroup namespace rooted there, so the helper itself is never counted. A cgroup left
 * by a helper that was itself SIGKILLed is swept by the next run with limits: its owner's pid is
 * in its name, and rmdir succeeds only on a cgroup with no process left. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/magic.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <time.h>
#include <unistd.h>

#include "ns-tool-helper.h"

#define CPU_PERIOD_US 100000
#define CGROUP_ROOT "/sys/fs/cgroup"

/* The mount namespace is shared with PID 1, whose pivot_root hides the host's /sys from this
 * process too: every later access goes through fds opened before. */
struct place {
  char parent[PATH_MAX]; /* where the run's cgroup is made */
  char name[32];         /* ns-tool-<pid> */
  int parent_fd, fd;
  int v2;
  int memory, pids, cpu; /* which limits are written here */
};

static long long memory_limit, pids_limit;
static double cpus_limit;
static struct place places[3];
static int nplaces;
static volatile sig_atomic_t parent_gone;

static long long parse_limit(const char *flag, const char *value) {
  char *end;
  long long n;
  if (!value) usage_error("missing value for", flag);
  n = strtoll(value, &end, 10);
  if (*value == '\0' || *end != '\0' || n <= 0) usage_error("expected a positive whole number", value);
  return n;
}

/* --memory BYTES, --pids-limit N, --cpus N (ns-tool turns "64m" into bytes). 0: not ours. */
int cgroup_option(const char *flag, const char *value) {
  char *end;
  if (strcmp(flag, "--memory") == 0) memory_limit = parse_limit(flag, value);
  else if (strcmp(flag, "--pids-limit") == 0) pids_limit = parse_limit(flag, value);
  else if (strcmp(flag, "--cpus") == 0) {
    if (!value) usage_error("missing value for", flag);
    cpus_limit = strtod(value, &end);
    if (*value == '\0' || *end != '\0' || !(cpus_limit > 0)) usage_error("expected a positive number of CPUs", value);
  } else return 0;
  return 1;
}

int cgroup_wanted(void) {
  return memory_limit > 0 || pids_limit > 0 || cpus_limit > 0;
}

/* DIR/NAME into OUT (PATH_MAX bytes); a path that long is no cgroup's. */
static char *path_in(char *out, const char *dir, const char *name) {
  if (snprintf(out, PATH_MAX, "%s/%s", dir, name) >= PATH_MAX) {
    errno = ENAMETOOLONG;
    die("%s/%s", dir, name);
  }
  return out;
}

static int read_text(int dirfd, const char *path, char *buffer, size_t size) {
  int fd = openat(dirfd, path, O_RDONLY | O_CLOEXEC);
  ssize_t n = fd < 0 ? -1 : read(fd, buffer, size - 1);
  if (fd >= 0) close(fd);
  buffer[n > 0 ? n : 0] = '\0';
  return n > 0 ? 0 : -1;
}

static int has_word(const char *list, const char *word, const char *separators) {
  char copy[1024], *saveptr, *token;
  snprintf(copy, sizeof copy, "%s", list);
  for (token = strtok_r(copy, separators, &saveptr); token; token = strtok_r(NULL, separators, &saveptr))
    if (strcmp(token, word) == 0) return 1;
  return 0;
}

/* Our cgroup in the hierarchy of CONTROLLER (v1), or in the unified one (CONTROLLER NULL). */
static int own_cgroup(const char *controller, char *path, size_t size) {
  char text[4096], *line, *saveptr;
  if (read_text(AT_FDCWD, "/proc/self/cgroup", text, sizeof text) < 0) return -1;
  for (line = strtok_r(text, "\n", &saveptr); line; line = strtok_r(NULL, "\n", &saveptr)) {
    char *list = strchr(line, ':'), *cgroup = list ? strchr(list + 1, ':') : NULL;
    if (!cgroup) continue;
    /* "ID:CONTROLLERS:PATH": ID alone in LINE, so that v2's "0::PATH" is recognised. */
    *list = '\0';
    *cgroup++ = '\0';
    if (controller ? has_word(list + 1, controller, ",") : strcmp(line, "0") == 0) {
      snprintf(path, size, "%s", cgroup);
      return 0;
    }
  }
  return -1;
}

/* A cgroup v2 host, tested as crun does: /sys/fs/cgroup itself is the unified hierarchy (on a
 * hybrid host it is a tmpfs of v1 hierarchies, with cgroup2 mounted below it). */
static int unified_host(void) {
  struct statfs st;
  return statfs(CGROUP_ROOT, &st) == 0 && st.f_type == CGROUP2_SUPER_MAGIC;
}

/* The directory of our cgroup in the hierarchy mounted with CONTROLLER (v1), or in cgroup2; TOP
 * gets the hierarchy's mount point. */
static int hierarchy_dir(const char *controller, char *dir, char *top, size_t size) {
  char line[4096], own[PATH_MAX];
  FILE *mounts;
  int found = -1;
  if (!controller && unified_host()) {
    /* /proc/self/cgroup's path is relative to our cgroup namespace's root, which is what is
     * mounted there. */
    if (own_cgroup(NULL, own, sizeof own) < 0) return -1;
    if (snprintf(dir, size, "%s%s", CGROUP_ROOT, strcmp(own, "/") == 0 ? "" : own) >= (int)size) return -1;
    snprintf(top, size, "%s", CGROUP_ROOT);
    return 0;
  }
  mounts = fopen("/proc/self/mountinfo", "re");
  if (!mounts || own_cgroup(controller, own, sizeof own) < 0) {
    if (mounts) fclose(mounts);
    return -1;
  }
  while (found < 0 && fgets(line, sizeof line, mounts)) {
    char root[PATH_MAX], point[PATH_MAX], type[64], super[1024], *dash = strstr(line, " - ");
    size_t rootlen;
    if (!dash || sscanf(line, "%*s %*s %*s %4095s %4095s", root, point) != 2 || sscanf(dash + 3, "%63s %*s %1023s", type, super) != 2) continue;
    if (controller ? strcmp(type, "cgroup") != 0 || !has_word(super, controller, ",") : strcmp(type, "cgroup2") != 0) continue;
    rootlen = strcmp(root, "/") == 0 ? 0 : strlen(root);
    if (strncmp(own, root, rootlen) != 0) continue;
    if (snprintf(dir, size, "%s%s", point, strcmp(own + rootlen, "/") == 0 ? "" : own + rootlen) >= (int)size || snprintf(top, size, "%s", point) >= (int)size) continue;
    found = 0;
  }
  fclose(mounts);
  return found;
}

/* The pid in NAME ("ns-tool-<pid>") is gone: its cgroup is a leftover. rmdir refuses a cgroup
 * that still holds a process, so a live run's cgroup is never taken. */
static void sweep(const char *parent) {
  DIR *dir = opendir(parent);
  struct dirent *entry;
  if (!dir) return;
  while ((entry = readdir(dir)) != NULL) {
    char path[PATH_MAX], *end;
    long pid;
    if (strncmp(entry->d_name, "ns-tool-", 8) != 0) continue;
    pid = strtol(entry->d_name + 8, &end, 10);
    if (*end != '\0' || pid <= 0) continue;
    if (pid != (long)getpid() && (kill((pid_t)pid, 0) == 0 || errno != ESRCH)) continue;
    rmdir(path_in(path, parent, entry->d_name));
  }
  closedir(dir);
}

static const char *limit_flag(const char *controller) {
  return strcmp(controller, "memory") == 0 ? "--memory" : strcmp(controller, "pids") == 0 ? "--pids-limit" : "--cpus";
}

static void cannot_apply(const char *controller, const char *why) __attribute__((noreturn));
static void cannot_apply(const char *controller, const char *why) {
  fprintf(stderr, "ns-tool-helper: cannot apply %s: %s\n", limit_flag(controller), why);
  _exit(EXIT_SETUP);
}

/* cgroup v2: the nearest cgroup at or above ours that we may write and whose children get
 * CONTROLLER (systemd delegates user@UID.service to its user this way). Controllers are not
 * switched on here: that would change cgroups ns-tool does not own. */
static void v2_parent(const char *controller, char *dir, const char *top) {
  char path[PATH_MAX], enabled[1024];
  for (;;) {
    if (read_text(AT_FDCWD, path_in(path, dir, "cgroup.subtree_control"), enabled, sizeof enabled) == 0 && has_word(enabled, controller, " \n") && access(dir, W_OK) == 0 &&
        access(path_in(path, dir, "cgroup.procs"), W_OK) == 0)
      return;
    if (strcmp(dir, top) == 0 || !strrchr(dir, '/')) break;
    *strrchr(dir, '/') = '\0';
  }
  if (geteuid() == 0) cannot_apply(controller, "no cgroup at or above this one has the controller enabled for its children (cgroup.subtree_control)");
  fprintf(stderr, "ns-tool-helper: cannot apply %s: no cgroup v2 delegated to uid %u has the %s controller; start ns-tool in one (systemd-run --user --scope -p Delegate=yes ns-tool run ...), or run as root\n",
          limit_flag(controller), (unsigned)getuid(), controller);
  _exit(EXIT_SETUP);
}

/* Where CONTROLLER's cgroup for this run goes: v2 when the unified hierarchy has it, else v1. */
static struct place *place_for(const char *controller) {
  char dir[PATH_MAX], top[PATH_MAX], available[1024], path[PATH_MAX];
  int v2 = 0, i;
  if (hierarchy_dir(NULL, dir, top, sizeof dir) == 0) v2 = read_text(AT_FDCWD, path_in(path, top, "cgroup.controllers"), available, sizeof available) == 0 && has_word(available, controller, " \n");
  if (v2) v2_parent(controller, dir, top);
  else if (hierarchy_dir(controller, dir, top, sizeof dir) < 0) cannot_apply(controller, "this kernel has no such cgroup controller mounted");
  else if (access(dir, W_OK) < 0) {
    if (geteuid() == 0) cannot_apply(controller, "the cgroup is not writable");
    fprintf(stderr, "ns-tool-helper: cannot apply %s: the %s controller is on cgroup v1 here, which is never delegated to unprivileged users (uid %u); run as root, or on a cgroup v2 host\n",
            limit_flag(controller), controller, (unsigned)getuid());
    _exit(EXIT_SETUP);
  }
  for (i = 0; i < nplaces; i++)
    if (strcmp(places[i].parent, dir) == 0) return &places[i];
  sweep(dir);
  memcpy(places[nplaces].parent, dir, sizeof dir);
  snprintf(places[nplaces].name, sizeof places[nplaces].name, "ns-tool-%ld", (long)getpid());
  places[nplaces].v2 = v2;
  return &places[nplaces++];
}

static void write_limit(const struct place *place, const char *file, const char *value, int optional) {
  int fd = openat(place->fd, file, O_WRONLY | O_CLOEXEC);
  if (fd < 0 && optional && errno == ENOENT) return;
  if (fd < 0 || write(fd, value, strlen(value)) != (ssize_t)strlen(value)) die("write %s to %s/%s/%s", value, place->parent, place->name, file);
  close(fd);
}

static void write_limits(const struct place *place) {
  char value[64];
  if (place->memory) {
    snprintf(value, sizeof value, "%lld", memory_limit);
    write_limit(place, place->v2 ? "memory.max" : "memory.limit_in_bytes", value, 0);
    /* Memory and swap together, as docker's default: a limit that swap can stretch holds nothing. */
    if (place->v2) write_limit(place, "memory.swap.max", "0", 1);
    else write_limit(place, "memory.memsw.limit_in_bytes", value, 1);
  }
  if (place->pids) {
    snprintf(value, sizeof value, "%lld", pids_limit);
    write_limit(place, "pids.max", value, 0);
  }
  if (place->cpu) {
    long quota = (long)(cpus_limit * CPU_PERIOD_US);
    if (quota < 1000) quota = 1000; /* the kernel's minimum: 1 ms per period */
    if (place->v2) {
      snprintf(value, sizeof value, "%ld %d", quota, CPU_PERIOD_US);
      write_limit(place, "cpu.max", value, 0);
    } else {
      snprintf(value, sizeof value, "%d", CPU_PERIOD_US);
      write_limit(place, "cpu.cfs_period_us", value, 0);
      snprintf(value, sizeof value, "%ld", quota);
      write_limit(place, "cpu.cfs_quota_us", value, 0);
    }
  }
}

/* Outer process, before the user namespace: the cgroups exist and hold the limits. */
void cgroup_prepare(void) {
  int i;
  if (memory_limit > 0) place_for("memory")->memory = 1;
  if (pids_limit > 0) place_for("pids")->pids = 1;
  if (cpus_limit > 0) place_for("cpu")->cpu = 1;
  for (i = 0; i < nplaces; i++) {
    struct place *place = &places[i];
    place->parent_fd = open(place->parent, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (place->parent_fd < 0) die("open %s", place->parent);
    if (mkdirat(place->parent_fd, place->name, 0755) < 0) die("make the cgroup %s/%s", place->parent, place->name);
    place->fd = openat(place->parent_fd, place->name, O_PATH | O_DIRECTORY | O_CLOEXEC);
    if (place->fd < 0) die("open the cgroup %s/%s", place->parent, place->name);
    write_limits(place);
  }
}

/* PID 1, first thing: into the run's cgroups, then a cgroup namespace rooted there. */
void cgroup_enter(void) {
  int i;
  signal(SIGPWR, SIG_DFL);
  for (i = 0; i < nplaces; i++) {
    int fd = openat(places[i].fd, "cgroup.procs", O_WRONLY | O_CLOEXEC);
    if (fd < 0 || write(fd, "0", 1) != 1) die("join the cgroup %s/%s", places[i].parent, places[i].name);
    close(fd);
  }
  if (unshare(CLONE_NEWCGROUP) < 0) die("unshare the cgroup namespace");
}

/* How many processes the OOM killer ended in the run's memory cgroup. */
static long oom_kills(void) {
  char text[4096], *line;
  int i;
  for (i = 0; i < nplaces; i++) {
    if (!places[i].memory) continue;
    if (read_text(places[i].fd, places[i].v2 ? "memory.events" : "memory.oom_control", text, sizeof text) < 0 || !(line = strstr(text, "oom_kill "))) return 0;
    return strtol(line + 9, NULL, 10);
  }
  return 0;
}

/* Processes that just exited may hold a cgroup for a moment after their parent reaped them. */
static void remove_places(void) {
  int i, tries;
  for (i = 0; i < nplaces; i++) {
    struct place *place = &places[i];
    int removed;
    close(place->fd);
    for (tries = 0; (removed = unlinkat(place->parent_fd, place->name, AT_REMOVEDIR)) < 0 && errno == EBUSY && tries < 200; tries++) {
      struct timespec pause = {0, 10 * 1000 * 1000};
      nanosleep(&pause, NULL);
    }
    if (removed < 0) fprintf(stderr, "ns-tool-helper: warning: cannot remove the cgroup %s/%s: %s (the next run with limits removes it)\n", place->parent, place->name, strerror(errno));
    close(place->parent_fd);
  }
  nplaces = 0;
}

/* Outer process, once the sandbox has ended: say so if memory ran out, then remove the cgroups. */
int cgroup_finish(int status) {
  long kills;
  if (nplaces == 0) return status;
  kills = oom_kills();
  if (kills > 0) {
    int mib = memory_limit % (1 << 20) == 0;
    fprintf(stderr, "ns-tool-helper: out of memory: the OOM killer ended %ld process%s of the sandbox (--memory %lld %s)\n", kills, kills == 1 ? "" : "es",
            mib ? memory_limit >> 20 : memory_limit, mib ? "MiB" : "bytes");
  }
  remove_places();
  return status;
}

/* ns-tool died: end the sandbox, so that the cgroups can be removed on the way out. */
static void parent_died(int sig) {
  (void)sig;
  parent_gone = 1;
  if (child_pid > 0) kill(child_pid, SIGKILL);
}

/* The signal the helper asks for when its parent dies: SIGKILL, unless there are cgroups to
 * remove; then one it catches (no signal COMMAND may be sent, so none ns-tool forwards). */
int parent_death_signal(void) {
  struct sigaction sa;
  if (!cgroup_wanted()) return SIGKILL;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = parent_died;
  if (sigaction(SIGPWR, &sa, NULL) < 0) die("sigaction SIGPWR");
  return SIGPWR;
}

/* After the fork: a parent that died before the child existed is noticed now. */
void cgroup_check_parent(void) {
  if (parent_gone && child_pid > 0) kill(child_pid, SIGKILL);
}
