// A tiny TCP client/server for the kernel tests of `nsplan run` (tests/kernel/run_test.cc): no
// external tools (nc, socat) needed to show that two network namespaces talk to each other.
//
//   tcp_echo server ADDR PORT            accept one connection on ADDR:PORT, read one line, answer
//                                        "echo LINE from SERVER to CLIENT", print
//                                        "server: CLIENT said LINE", exit 0
//   tcp_echo client ADDR PORT MESSAGE [DEADLINE_MS]
//                                        connect (retrying until DEADLINE_MS, default 10000),
//                                        send MESSAGE, print "client: local ADDR:PORT" and the
//                                        answer, exit 0; exit 3 when no connection was made
//
// IPv4 only; addresses are numeric. Both sides give up after 15 s (alarm), so a broken test
// never hangs. Exit status: 0 ok, 2 usage, 3 connect/accept failed, 4 I/O failed.
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

namespace {

int usage() {
  fprintf(stderr, "usage: tcp_echo server ADDR PORT | tcp_echo client ADDR PORT MESSAGE [DEADLINE_MS]\n");
  return 2;
}

bool parse_addr(const char* addr, const char* port, sockaddr_in& sa) {
  memset(&sa, 0, sizeof sa);
  sa.sin_family = AF_INET;
  char* end = nullptr;
  long p = strtol(port, &end, 10);
  if (!end || *end || p <= 0 || p > 65535) return false;
  sa.sin_port = htons(static_cast<uint16_t>(p));
  return inet_pton(AF_INET, addr, &sa.sin_addr) == 1;
}

const char* show(const sockaddr_in& sa) {
  static char buf[2][64];
  static int which = 0;
  which ^= 1;
  char ip[INET_ADDRSTRLEN] = "?";
  inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
  snprintf(buf[which], sizeof buf[which], "%s:%u", ip, static_cast<unsigned>(ntohs(sa.sin_port)));
  return buf[which];
}

bool write_all(int fd, const char* p, size_t n) {
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= static_cast<size_t>(w);
  }
  return true;
}

// Reads up to a newline or EOF.
bool read_line(int fd, char* buf, size_t cap) {
  size_t n = 0;
  while (n + 1 < cap) {
    ssize_t r = read(fd, buf + n, 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return false;
    if (r == 0 || buf[n] == '\n') break;
    ++n;
  }
  buf[n] = '\0';
  return true;
}

long now_ms() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

int server(const sockaddr_in& sa) {
  int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (s < 0 || bind(s, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) != 0 || listen(s, 1) != 0) {
    fprintf(stderr, "tcp_echo server: listen on %s: %s\n", show(sa), strerror(errno));
    return 3;
  }
  printf("server: listening on %s\n", show(sa));
  fflush(stdout);
  sockaddr_in peer{};
  socklen_t len = sizeof peer;
  int c;
  do c = accept4(s, reinterpret_cast<sockaddr*>(&peer), &len, SOCK_CLOEXEC);
  while (c < 0 && errno == EINTR);
  if (c < 0) {
    fprintf(stderr, "tcp_echo server: accept: %s\n", strerror(errno));
    return 3;
  }
  sockaddr_in local{};
  len = sizeof local;
  getsockname(c, reinterpret_cast<sockaddr*>(&local), &len);
  char line[512];
  if (!read_line(c, line, sizeof line)) {
    fprintf(stderr, "tcp_echo server: read: %s\n", strerror(errno));
    return 4;
  }
  char reply[700];
  int n = snprintf(reply, sizeof reply, "echo %s from %s to %s\n", line, show(local), show(peer));
  if (!write_all(c, reply, static_cast<size_t>(n))) {
    fprintf(stderr, "tcp_echo server: write: %s\n", strerror(errno));
    return 4;
  }
  close(c);
  printf("server: %s said %s\n", show(peer), line);
  return 0;
}

int client(const sockaddr_in& sa, const char* message, long deadline_ms) {
  long deadline = now_ms() + deadline_ms;
  int s = -1, err = 0;
  for (;;) {
    s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s < 0) {
      fprintf(stderr, "tcp_echo client: socket: %s\n", strerror(errno));
      return 3;
    }
    if (connect(s, reinterpret_cast<const sockaddr*>(&sa), sizeof sa) == 0) break;
    err = errno;
    close(s);
    s = -1;
    // Refused: the server is not listening yet. Unreachable: the link may still be coming up.
    bool retry = err == ECONNREFUSED || err == ENETUNREACH || err == EHOSTUNREACH || err == ETIMEDOUT || err == EINTR;
    if (!retry || now_ms() >= deadline) break;
    usleep(20000);
  }
  if (s < 0) {
    fprintf(stderr, "tcp_echo client: connect to %s: %s\n", show(sa), strerror(err));
    return 3;
  }
  sockaddr_in local{};
  socklen_t len = sizeof local;
  getsockname(s, reinterpret_cast<sockaddr*>(&local), &len);
  printf("client: local %s\n", show(local));
  char out[520];
  int n = snprintf(out, sizeof out, "%s\n", message);
  char reply[700];
  if (!write_all(s, out, static_cast<size_t>(n)) || !read_line(s, reply, sizeof reply)) {
    fprintf(stderr, "tcp_echo client: I/O: %s\n", strerror(errno));
    return 4;
  }
  printf("client: %s\n", reply);
  close(s);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  alarm(15);
  if (argc < 4) return usage();
  sockaddr_in sa;
  if (!parse_addr(argv[2], argv[3], sa)) return usage();
  int rc;
  if (strcmp(argv[1], "server") == 0 && argc == 4) rc = server(sa);
  else if (strcmp(argv[1], "client") == 0 && (argc == 5 || argc == 6))
    rc = client(sa, argv[4], argc == 6 ? atol(argv[5]) : 10000);
  else return usage();
  fflush(stdout);
  return rc;
}
