/* COMMAND found on PATH and executed, or one line on why not, with the status run's contract gives:
 * 127 when no such file exists, 126 when it exists but the kernel would not execute it (no
 * permission, a format it does not run, an interpreter missing from the rootfs). Unlike execvp,
 * a file the kernel refuses with ENOEXEC is not handed to /bin/sh: as in runc, it is an error. */
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ns-tool-helper.h"

#define HEAD_SIZE 256

/* The first bytes of PATH; their length, or -1. */
static ssize_t read_head(const char *path, unsigned char *head) {
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  ssize_t n;
  if (fd < 0) return -1;
  n = pread(fd, head, HEAD_SIZE, 0);
  close(fd);
  return n;
}

static unsigned long field(const unsigned char *p, int size, int big) {
  unsigned long value = 0;
  int i;
  for (i = 0; i < size; i++) value |= (unsigned long)p[big ? size - 1 - i : i] << (8 * i);
  return value;
}

/* PT_INTERP of the ELF file PATH into OUT, or "" when it has none or cannot be read. */
static void elf_interpreter(const char *path, const unsigned char *head, char *out, size_t size) {
  int is64 = head[EI_CLASS] == ELFCLASS64, big = head[EI_DATA] == ELFDATA2MSB, fd, i;
  unsigned long phoff = field(head + (is64 ? 32 : 28), is64 ? 8 : 4, big);
  int phentsize = (int)field(head + (is64 ? 54 : 42), 2, big), phnum = (int)field(head + (is64 ? 56 : 44), 2, big);
  unsigned char ph[64];
  out[0] = '\0';
  if (phentsize < (is64 ? 56 : 32) || phentsize > (int)sizeof ph || (fd = open(path, O_RDONLY | O_CLOEXEC)) < 0) return;
  for (i = 0; i < phnum && i < 512; i++) {
    if (pread(fd, ph, (size_t)phentsize, (off_t)(phoff + (unsigned long)i * (unsigned long)phentsize)) != phentsize) break;
    if (field(ph, 4, big) != PT_INTERP) continue;
    unsigned long offset = field(ph + (is64 ? 8 : 4), is64 ? 8 : 4, big), length = field(ph + (is64 ? 32 : 16), is64 ? 8 : 4, big);
    ssize_t n = pread(fd, out, length < size ? length : size - 1, (off_t)offset);
    out[n > 0 ? n : 0] = '\0';
    break;
  }
  close(fd);
}

/* The interpreter a file asks the kernel for: its #! line's or its PT_INTERP. */
static void interpreter_of(const char *path, char *out, size_t size) {
  unsigned char head[HEAD_SIZE + 1] = {0};
  ssize_t n = read_head(path, head);
  out[0] = '\0';
  if (n >= 2 && head[0] == '#' && head[1] == '!') {
    char *start = (char *)head + 2 + strspn((char *)head + 2, " \t");
    snprintf(out, size, "%.*s", (int)strcspn(start, " \t\r\n"), start);
  } else if (n >= EI_NIDENT + 40 && memcmp(head, ELFMAG, SELFMAG) == 0) {
    elf_interpreter(path, head, out, size);
  }
}

/* Why the kernel answered ENOEXEC, as far as the file's first bytes tell. */
static void explain_format(const char *path) {
  unsigned char head[HEAD_SIZE] = {0};
  ssize_t n = read_head(path, head);
  if (n >= 20 && memcmp(head, ELFMAG, SELFMAG) == 0) {
    unsigned long machine = field(head + 18, 2, head[EI_DATA] == ELFDATA2MSB);
    fprintf(stderr, "ns-tool-helper: exec format error: %s is ELF %d-bit, e_machine %lu: not a machine this kernel executes\n", path, head[EI_CLASS] == ELFCLASS64 ? 64 : 32, machine);
  } else {
    fprintf(stderr, "ns-tool-helper: exec format error: %s is neither an ELF program nor a #! script\n", path);
  }
}

static void explain(const char *path, int error) __attribute__((noreturn));
static void explain(const char *path, int error) {
  char interpreter[PATH_MAX];
  if (error == ENOENT && access(path, F_OK) == 0) {
    interpreter_of(path, interpreter, sizeof interpreter);
    fprintf(stderr, "ns-tool-helper: %s: its interpreter %s is not in the rootfs\n", path, interpreter[0] ? interpreter : "(unreadable)");
    _exit(EXIT_CANNOT_EXEC);
  }
  if (error == ENOENT || error == ENOTDIR) {
    fprintf(stderr, "ns-tool-helper: %s: command not found in the rootfs\n", path);
    _exit(EXIT_NOT_FOUND);
  }
  if (error == ENOEXEC) explain_format(path);
  else if (error == EACCES) fprintf(stderr, "ns-tool-helper: %s: permission denied (not executable, or on a noexec mount)\n", path);
  else fprintf(stderr, "ns-tool-helper: %s: cannot execute: %s\n", path, strerror(error));
  _exit(EXIT_CANNOT_EXEC);
}

void exec_or_explain(char **argv) {
  const char *name = argv[0], *search = getenv("PATH"), *dir, *denied = NULL;
  static char candidate[PATH_MAX], denied_path[PATH_MAX];
  if (strchr(name, '/')) {
    execv(name, argv);
    explain(name, errno);
  }
  /* execvp's walk: ENOENT/ENOTDIR try the next directory, EACCES is remembered, anything else is
   * the answer. An empty element is the current directory. */
  for (dir = search ? search : ""; ; dir = strchr(dir, ':') + 1) {
    size_t length = strcspn(dir, ":");
    snprintf(candidate, sizeof candidate, "%.*s%s%s", (int)length, length ? dir : ".", "/", name);
    execv(candidate, argv);
    if (errno == EACCES && !denied) denied = strcpy(denied_path, candidate);
    else if (errno != ENOENT && errno != ENOTDIR && errno != EACCES) explain(candidate, errno);
    else if (errno == ENOENT && access(candidate, F_OK) == 0) explain(candidate, errno);
    if (!strchr(dir, ':')) break;
  }
  if (denied) explain(denied, EACCES);
  fprintf(stderr, "ns-tool-helper: %s: not found in the rootfs on PATH (%s)\n", name, search ? search : "");
  _exit(EXIT_NOT_FOUND);
}
