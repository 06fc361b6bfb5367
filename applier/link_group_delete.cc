#include "applier/link_group_delete.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstring>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "applier/fd.h"
#include "applier/raw_syscall.h"
#include "applier/receive_buffer.h"

namespace nsplan::applier {
namespace {

int route_socket() { return ::socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE); }

struct GroupRequest {
  nlmsghdr header;
  ifinfomsg info;
  rtattr group_attr;
  uint32_t group;
};

GroupRequest dellink_request(uint32_t group) {
  GroupRequest r{};
  r.header.nlmsg_len = sizeof r;
  r.header.nlmsg_type = RTM_DELLINK;
  r.header.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
  r.header.nlmsg_seq = 1;
  r.info.ifi_family = AF_UNSPEC;
  r.group_attr.rta_type = IFLA_GROUP;
  r.group_attr.rta_len = RTA_LENGTH(sizeof(uint32_t));
  r.group = group;
  return r;
}

// The child: sends the request, passes the kernel's answer (an errno, 0 for success) up the
// pipe, exits. It holds no other descriptor: not the caller's lock, not its stdout.
//
// It shares the caller's memory (clone with CLONE_VM, see start_sender): a fork copied the
// caller's page tables and made every page of its heap copy-on-write, so that the caller's next
// write to each one faulted (~50 faults in a destroy, docs/performance.md). So it touches only
// its own stack and the request, never the heap (no allocation). It also shares the caller's
// thread pointer, hence errno: it makes its system calls through raw_syscall, which leaves errno
// alone. Its descriptor table and signal handlers are copies, and every signal is blocked in
// it (start_sender): no handler of the caller's runs on the caller's memory from here, and a
// write to a pipe whose reader has gone fails with EPIPE.
[[noreturn]] void send_from_child(int sock, int answer_fd, const GroupRequest& request) {
  int low = std::min(sock, answer_fd), high = std::max(sock, answer_fd);
  if (low > 0) raw_syscall(SYS_close_range, 0, low - 1, 0);
  if (high > low + 1) raw_syscall(SYS_close_range, low + 1, high - 1, 0);
  raw_syscall(SYS_close_range, high + 1, ~0U, 0);
  long err = 0;
  long sent = raw_syscall(SYS_sendto, sock, reinterpret_cast<long>(&request), sizeof request, 0, 0, 0);
  if (sent < 0) {
    err = -sent;
  } else {
    char buf[8192];
    long n;
    while ((n = raw_syscall(SYS_recvfrom, sock, reinterpret_cast<long>(buf), sizeof buf, 0, 0, 0)) == -EINTR) {
    }
    if (n < 0) err = -n;
    else if (n >= static_cast<long>(NLMSG_LENGTH(sizeof(nlmsgerr)))) {
      const auto* h = reinterpret_cast<const nlmsghdr*>(buf);
      if (h->nlmsg_type == NLMSG_ERROR) err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
    } else {
      err = EPROTO;
    }
  }
  int answer = static_cast<int>(err);
  raw_syscall(SYS_write, answer_fd, reinterpret_cast<long>(&answer), sizeof answer);
  raw_syscall(SYS_exit, 0);
  __builtin_unreachable();
}

struct Sender {
  pid_t pid = -1;
  void* stack = nullptr;  // the child's own, unmapped once it is reaped
  int sock, answer_fd;
  GroupRequest request;
};
constexpr size_t kSenderStack = 64 * 1024;

int sender_main(void* arg) {
  const auto* s = static_cast<const Sender*>(arg);
  send_from_child(s->sock, s->answer_fd, s->request);
}

// Starts the child on a stack of its own (mapped here, never part of the heap). The Sender
// stays where it is until the child is reaped: the child reads it.
bool start_sender(Sender& s) {
  s.stack = ::mmap(nullptr, kSenderStack, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_STACK, -1, 0);
  if (s.stack == MAP_FAILED) {
    s.stack = nullptr;
    return false;
  }
  // The child starts with every signal blocked (it inherits the mask) and never unblocks one.
  sigset_t all, caller;
  sigfillset(&all);
  pthread_sigmask(SIG_SETMASK, &all, &caller);
  s.pid = ::clone(sender_main, static_cast<char*>(s.stack) + kSenderStack, CLONE_VM | SIGCHLD, &s);
  int err = errno;
  pthread_sigmask(SIG_SETMASK, &caller, nullptr);
  if (s.pid < 0) {
    ::munmap(s.stack, kSenderStack);
    s.stack = nullptr;
    errno = err;
    return false;
  }
  return true;
}

// Starts S's child (S.sock and S.request set) with a pipe for its answer. Returns the pipe's read
// end, or -errno when no child runs.
int start_answering_sender(Sender& s) {
  int answer[2];
  if (::pipe2(answer, O_CLOEXEC) != 0) return -errno;
  s.answer_fd = answer[1];  // the child has its own descriptor table (no CLONE_FILES)
  bool started = start_sender(s);
  int err = errno;
  ::close(answer[1]);
  if (!started) {
    ::close(answer[0]);
    return -err;
  }
  return answer[0];
}

// The child's answer: the kernel's errno (0: done), or -1 when the child died without answering.
int read_answer(int answer_fd) {
  int err = -1;
  ssize_t n;
  while ((n = ::read(answer_fd, &err, sizeof err)) < 0 && errno == EINTR) {
  }
  return n == sizeof err ? err : -1;
}

// Children whose answer was not needed are reaped later, so that a long-lived caller (a test)
// collects no zombies (and their stacks are unmapped then).
std::mutex g_pending_mutex;
std::vector<Sender*> g_pending;

bool reaped(Sender* s, int flags) {
  if (::waitpid(s->pid, nullptr, flags) == 0) return false;
  ::munmap(s->stack, kSenderStack);
  delete s;
  return true;
}

void reap_finished_children() {
  std::lock_guard<std::mutex> lock(g_pending_mutex);
  g_pending.erase(std::remove_if(g_pending.begin(), g_pending.end(), [](Sender* s) { return reaped(s, WNOHANG); }),
                  g_pending.end());
}

void reap_later(Sender* s) {
  if (reaped(s, WNOHANG)) return;
  std::lock_guard<std::mutex> lock(g_pending_mutex);
  g_pending.push_back(s);
}

// Waits for the first of: every member announced gone on `monitor`, or the child's answer.
// Returns the kernel's errno (0: deleted), or -1 when the child died without answering.
int wait_for_unlisting(int monitor, int answer_fd, std::set<int>& members) {
  ReceiveBuffer buf(64 * 1024);  // not zeroed: see receive_buffer.h
  bool monitoring = true;
  for (;;) {
    pollfd fds[2] = {{answer_fd, POLLIN, 0}, {monitoring ? monitor : -1, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      monitoring = false;  // poll itself failed: the answer still comes
      continue;
    }
    if (fds[0].revents) return read_answer(answer_fd);
    if (!fds[1].revents) continue;
    ssize_t n = ::recv(monitor, buf.data(), buf.size(), MSG_DONTWAIT);
    if (n < 0) {
      // ENOBUFS: notifications were dropped, so some announcements may be lost; the answer
      // still comes.
      if (errno != EAGAIN && errno != EINTR) monitoring = false;
      continue;
    }
    int left = static_cast<int>(n);
    for (auto* h = reinterpret_cast<nlmsghdr*>(buf.data()); NLMSG_OK(h, left); h = NLMSG_NEXT(h, left))
      if (h->nlmsg_type == RTM_DELLINK) members.erase(static_cast<const ifinfomsg*>(NLMSG_DATA(h))->ifi_index);
    if (members.empty()) return 0;
  }
}

}  // namespace

int delete_link_group_by_child(int sock, uint32_t group) {
  Sender sender{-1, nullptr, sock, -1, dellink_request(group)};
  int answer = start_answering_sender(sender);
  if (answer < 0) return -answer;
  int err = read_answer(answer);
  ::close(answer);
  while (::waitpid(sender.pid, nullptr, 0) < 0 && errno == EINTR) {
  }
  ::munmap(sender.stack, kSenderStack);
  return err < 0 ? EIO : err;
}

Status delete_link_group_unlisted(uint32_t group, std::set<int> members) {
  const std::string what = "delete link group " + std::to_string(group);
  if (group == 0) return SysError{EINVAL, what + ": group 0 is the default group of every link", 0, {}};
  // As the kernel answers a group with no link.
  if (members.empty()) return errno_error(what, ENODEV);
  reap_finished_children();
  Fd monitor(route_socket());
  if (monitor.get() < 0) return errno_error(what + ": netlink socket");
  sockaddr_nl local{};
  local.nl_family = AF_NETLINK;
  local.nl_groups = RTMGRP_LINK;
  if (::bind(monitor.get(), reinterpret_cast<sockaddr*>(&local), sizeof local) != 0)
    return errno_error(what + ": listen for link changes");
  // Room for the announcements of a thousand links; without CAP_NET_ADMIN the usual limit.
  int room = 16 << 20;
  if (::setsockopt(monitor.get(), SOL_SOCKET, SO_RCVBUFFORCE, &room, sizeof room) != 0)
    ::setsockopt(monitor.get(), SOL_SOCKET, SO_RCVBUF, &room, sizeof room);

  Fd request_socket(route_socket());
  if (request_socket.get() < 0) return errno_error(what + ": netlink socket");
  auto* sender = new Sender{-1, nullptr, request_socket.get(), -1, dellink_request(group)};
  int answer = start_answering_sender(*sender);
  if (answer < 0) {
    delete sender;
    return errno_error(what + ": start the request's sender", -answer);
  }
  int err = wait_for_unlisting(monitor.get(), answer, members);
  ::close(answer);
  if (err < 0) {
    reaped(sender, 0);
    return SysError{EIO, what + ": the request's sender died before the kernel answered", 0, {}};
  }
  reap_later(sender);
  if (err > 0) return errno_error(what, err);
  return Status{};
}

}  // namespace nsplan::applier
