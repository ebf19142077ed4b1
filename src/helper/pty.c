/* COMMAND's own pseudo-terminal: PID 1's side opens it in the sandbox's devpts and passes the
 * master out; the outer process relays bytes and window size, with the caller's terminal raw. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "ns-tool-helper.h"

int pty_master = -1;
static struct termios saved_termios;
static int termios_saved;

static void send_fd(int sock, int fd) {
  char byte = 0, control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *cmsg = CMSG_FIRSTHDR(&msg);
  cmsg->cmsg_level = SOL_SOCKET;
  cmsg->cmsg_type = SCM_RIGHTS;
  cmsg->cmsg_len = CMSG_LEN(sizeof(int));
  memcpy(CMSG_DATA(cmsg), &fd, sizeof(int));
  if (sendmsg(sock, &msg, 0) < 0) die("send the pty to the outer process");
}

int receive_fd(int sock) {
  char byte, control[CMSG_SPACE(sizeof(int))];
  struct iovec iov = {.iov_base = &byte, .iov_len = 1};
  struct msghdr msg = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = control, .msg_controllen = sizeof control};
  struct cmsghdr *cmsg;
  int fd;
  if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) <= 0) return -1;
  cmsg = CMSG_FIRSTHDR(&msg);
  if (!cmsg || cmsg->cmsg_type != SCM_RIGHTS) return -1;
  memcpy(&fd, CMSG_DATA(cmsg), sizeof(int));
  return fd;
}

/* In COMMAND's process (after setsid): a new pty of the sandbox's devpts becomes its controlling
 * terminal and stdio; the master goes out to the relay. */
void attach_new_pty(int pty_sock) {
  int master = open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC), slave, number, unlock = 0;
  char name[32];
  if (master < 0) die("open /dev/ptmx");
  if (ioctl(master, TIOCSPTLCK, &unlock) < 0 || ioctl(master, TIOCGPTN, &number) < 0) die("unlock the pty");
  snprintf(name, sizeof name, "/dev/pts/%d", number);
  slave = open(name, O_RDWR | O_CLOEXEC);
  if (slave < 0) die("open %s", name);
  send_fd(pty_sock, master);
  close(master);
  if (ioctl(slave, TIOCSCTTY, 0) < 0) die("make %s the controlling terminal", name);
  if (dup2(slave, 0) < 0 || dup2(slave, 1) < 0 || dup2(slave, 2) < 0) die("dup2 the pty");
}

void restore_terminal(void) {
  if (termios_saved) tcsetattr(0, TCSAFLUSH, &saved_termios);
  termios_saved = 0;
}

void copy_window_size(void) {
  struct winsize ws;
  if (ioctl(0, TIOCGWINSZ, &ws) == 0) ioctl(pty_master, TIOCSWINSZ, &ws);
}

static int write_all(int fd, const char *buffer, ssize_t length) {
  while (length > 0) {
    ssize_t n = write(fd, buffer, (size_t)length);
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    buffer += n;
    length -= n;
  }
  return 0;
}

/* The outer side of the pty, once the master has arrived: the caller's terminal raw (restored at
 * exit), the window size copied. The bytes are relayed by the supervisor's loop (supervise.c). */
void start_relay(void) {
  struct termios raw;
  if (tcgetattr(0, &saved_termios) == 0) {
    termios_saved = 1;
    atexit(restore_terminal);
    raw = saved_termios;
    cfmakeraw(&raw);
    tcsetattr(0, TCSAFLUSH, &raw);
  }
  copy_window_size();
}

/* COMMAND's output to ours; 0 once every process holding the slave is gone (EIO). */
int relay_output(void) {
  char buffer[8192];
  ssize_t n = read(pty_master, buffer, sizeof buffer);
  if (n < 0 && errno == EINTR) return 1;
  return n > 0 && write_all(1, buffer, n) == 0;
}

/* Our input to COMMAND; 0 at the end of our stdin. */
int relay_input(void) {
  char buffer[8192];
  ssize_t n = read(0, buffer, sizeof buffer);
  if (n < 0 && errno == EINTR) return 1;
  if (n <= 0) return 0;
  write_all(pty_master, buffer, n);
  return 1;
}
