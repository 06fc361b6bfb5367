#include "applier/link_group_delete.h"

#include <fcntl.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <poll.h>
#include <signal.h>
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
[[noreturn]] void send_from_child(int sock, int answer_fd, const GroupRequest& request) {
  signal(SIGPIPE, SIG_IGN);  // the caller may have gone already
  int low = std::min(sock, answer_fd), high = std::max(sock, answer_fd);
  if (low > 0) close_range(0, low - 1, 0);
  if (high > low + 1) close_range(low + 1, high - 1, 0);
  close_range(high + 1, ~0U, 0);
  int err = 0;
  if (::send(sock, &request, sizeof request, 0) < 0) {
    err = errno;
  } else {
    char buf[8192];
    ssize_t n;
    while ((n = ::recv(sock, buf, sizeof buf, 0)) < 0 && errno == EINTR) {
    }
    if (n < 0) err = errno;
    else if (n >= static_cast<ssize_t>(NLMSG_LENGTH(sizeof(nlmsgerr)))) {
      const auto* h = reinterpret_cast<const nlmsghdr*>(buf);
      if (h->nlmsg_type == NLMSG_ERROR) err = -static_cast<const nlmsgerr*>(NLMSG_DATA(h))->error;
    } else {
      err = EPROTO;
    }
  }
  ssize_t w = ::write(answer_fd, &err, sizeof err);
  (void)w;
  _exit(0);
}

// Children whose answer was not needed are reaped later, so that a long-lived caller (a test)
// collects no zombies.
std::mutex g_pending_mutex;
std::vector<pid_t> g_pending;

void reap_finished_children() {
  std::lock_guard<std::mutex> lock(g_pending_mutex);
  g_pending.erase(std::remove_if(g_pending.begin(), g_pending.end(),
                                 [](pid_t p) { return ::waitpid(p, nullptr, WNOHANG) != 0; }),
                  g_pending.end());
}

void reap_later(pid_t child) {
  if (::waitpid(child, nullptr, WNOHANG) != 0) return;
  std::lock_guard<std::mutex> lock(g_pending_mutex);
  g_pending.push_back(child);
}

// Waits for the first of: every member announced gone on `monitor`, or the child's answer.
// Returns the kernel's errno (0: deleted), or -1 when the child died without answering.
int wait_for_unlisting(int monitor, int answer_fd, std::set<int>& members) {
  std::vector<char> buf(64 * 1024);
  bool monitoring = true;
  for (;;) {
    pollfd fds[2] = {{answer_fd, POLLIN, 0}, {monitoring ? monitor : -1, POLLIN, 0}};
    if (::poll(fds, 2, -1) < 0) {
      if (errno == EINTR) continue;
      monitoring = false;  // poll itself failed: the answer still comes
      continue;
    }
    if (fds[0].revents) {
      int err = -1;
      ssize_t n;
      while ((n = ::read(answer_fd, &err, sizeof err)) < 0 && errno == EINTR) {
      }
      return n == sizeof err ? err : -1;
    }
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
  int answer[2];
  if (request_socket.get() < 0) return errno_error(what + ": netlink socket");
  if (::pipe2(answer, O_CLOEXEC) != 0) return errno_error(what + ": pipe");
  const GroupRequest request = dellink_request(group);
  pid_t child = ::fork();
  if (child == 0) send_from_child(request_socket.get(), answer[1], request);
  ::close(answer[1]);
  if (child < 0) {
    int err = errno;
    ::close(answer[0]);
    return errno_error(what + ": fork", err);
  }
  int err = wait_for_unlisting(monitor.get(), answer[0], members);
  ::close(answer[0]);
  if (err < 0) {
    ::waitpid(child, nullptr, 0);
    return SysError{EIO, what + ": the request's sender died before the kernel answered", 0, {}};
  }
  reap_later(child);
  if (err > 0) return errno_error(what, err);
  return Status{};
}

}  // namespace nsplan::applier
