/* Programs of another architecture: qemu's user-mode emulator registered for this sandbox alone.
 * Linux 6.7 and later give each user namespace a binfmt_misc instance of its own: what is
 * registered there belongs to the sandbox and goes with it; the host's registrations are never
 * read or changed. */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <unistd.h>

#include "ns-tool-helper.h"

#define MAX_BINFMT 4

static const char *registrations[MAX_BINFMT];
static int nregistrations;

/* --binfmt LINE: a binfmt_misc registration, ":name:M::magic:mask:interpreter:F" (ns-tool
 * writes it from the command's ELF identity). Returns whether FLAG was this option. */
int binfmt_option(const char *flag, const char *value) {
  if (strcmp(flag, "--binfmt") != 0) return 0;
  if (!value) usage_error("missing value for", flag);
  if (nregistrations == MAX_BINFMT) usage_error("too many", flag);
  registrations[nregistrations++] = value;
  return 1;
}

int emulating(void) {
  return nregistrations > 0;
}

/* Root without --userns still needs a user namespace to own a binfmt_misc instance: one that maps
 * every id to itself, so that files keep their owners and root stays root. A map wider than the
 * writer's own ids must be written from the parent namespace with CAP_SETUID there, which this
 * process loses by unsharing: a child that stays behind writes it. */
void enter_emulation_namespace(void) {
  int ready[2], status;
  char c = 0, path[64];
  pid_t parent = getpid(), writer;
  if (pipe2(ready, O_CLOEXEC) < 0) die("pipe");
  writer = fork();
  if (writer < 0) die("fork");
  if (writer == 0) {
    if (read(ready[0], &c, 1) != 1) _exit(1);
    snprintf(path, sizeof path, "/proc/%d/uid_map", parent);
    write_file(path, "0 0 4294967295\n");
    snprintf(path, sizeof path, "/proc/%d/gid_map", parent);
    write_file(path, "0 0 4294967295\n");
    _exit(0);
  }
  close(ready[0]);
  if (unshare(CLONE_NEWUSER) < 0) die("unshare(CLONE_NEWUSER) for the sandbox's own binfmt_misc");
  if (write(ready[1], &c, 1) != 1) die("signal the id map writer");
  close(ready[1]);
  while (waitpid(writer, &status, 0) < 0)
    if (errno != EINTR) die("waitpid");
  errno = 0;
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) die("map the ids of the sandbox's user namespace");
}

/* After /proc is mounted: binfmt_misc on /proc/sys/fs/binfmt_misc (where programs look for it),
 * each registration written while the host's files are still in view — the fix-binary flag (F)
 * makes the kernel open the emulator now, so the rootfs need not hold it — then the instance made
 * read-only. It must stay mounted: its registrations end with its last mount. */
void setup_binfmt(int rootfd) {
  int dir, reg, i;
  if (!nregistrations) return;
  dir = ensure_beneath(rootfd, "proc/sys/fs/binfmt_misc", MAKE_NOTHING);
  if (mount("binfmt_misc", fd_path(dir), "binfmt_misc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0)
    die("mount binfmt_misc for the sandbox (a user namespace has its own only since Linux 6.7)");
  close(dir);
  dir = ensure_beneath(rootfd, "proc/sys/fs/binfmt_misc", MAKE_NOTHING);
  reg = openat(dir, "register", O_WRONLY | O_CLOEXEC);
  if (reg < 0) die("open binfmt_misc/register");
  for (i = 0; i < nregistrations; i++)
    if (write(reg, registrations[i], strlen(registrations[i])) < 0) die("register %s with binfmt_misc", registrations[i]);
  close(reg);
  if (mount(NULL, fd_path(dir), NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) < 0) die("remount binfmt_misc read-only");
  close(dir);
}
