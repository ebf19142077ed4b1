/* COMMAND's own pseudo-terminal: PID 1's side opens it in the sandbox's devpts and passes the
 * master out; the outer process relays bytes and window size, with the caller's terminal raw. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <termios.h>
#include <unistd.h>

#include "ns-tool-helper.h"

int pty_master = -1;
volatile sig_atomic_t winch_pending;
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

static void copy_window_size(void) {
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

/* The outer side of the pty: raw caller terminal, bytes both ways, window size forwarded. */
void relay_pty(void) {
  struct termios raw;
  char buffer[8192];
  struct pollfd fds[2];
  int stdin_open = 1;
  if (tcgetattr(0, &saved_termios) == 0) {
    termios_saved = 1;
    atexit(restore_terminal);
    raw = saved_termios;
    cfmakeraw(&raw);
    tcsetattr(0, TCSAFLUSH, &raw);
  }
  copy_window_size();
  for (;;) {
    ssize_t n;
    if (winch_pending) {
      winch_pending = 0;
      copy_window_size();
    }
    fds[0].fd = stdin_open ? 0 : -1;
    fds[0].events = POLLIN;
    fds[1].fd = pty_master;
    fds[1].events = POLLIN;
    if (poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      break;
    }
    if (fds[1].revents & (POLLIN | POLLHUP | POLLERR)) {
      n = read(pty_master, buffer, sizeof buffer);
      if (n <= 0) break; /* EIO: every process holding the slave is gone */
      if (write_all(1, buffer, n) < 0) break;
    }
    if (stdin_open && (fds[0].revents & (POLLIN | POLLHUP | POLLERR))) {
      n = read(0, buffer, sizeof buffer);
      if (n <= 0) stdin_open = 0;
      else write_all(pty_master, buffer, n);
    }
  }
}
