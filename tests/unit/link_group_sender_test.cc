// The child that sends destroy's group RTM_DELLINK (applier/link_group_delete.cc) shares the
// caller's memory and thread pointer. These run it on sockets that are not netlink, so that no
// kernel object is touched: what it sends, what it reports, and that the caller's errno is left
// as it was.
#include <gtest/gtest.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "applier/link_group_delete.h"

namespace nsplan::applier {
namespace {

TEST(LinkGroupSender, LeavesTheCallersErrnoAlone) {
  int pipe_fds[2];
  ASSERT_EQ(::pipe(pipe_fds), 0);
  // A send on a pipe fails in the child: libc's send would have written ENOTSOCK to the errno
  // the child shares with this thread.
  errno = 12345;
  EXPECT_EQ(delete_link_group_by_child(pipe_fds[1], 7), ENOTSOCK);
  EXPECT_EQ(errno, 12345);
  ::close(pipe_fds[0]);
  ::close(pipe_fds[1]);
}

TEST(LinkGroupSender, SendsTheGroupsDeleteAndReportsTheAnswer) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair), 0);
  // The "kernel's" answer, queued before the child asks: EPERM.
  struct {
    nlmsghdr header;
    nlmsgerr error;
  } answer{};
  answer.header.nlmsg_len = sizeof answer;
  answer.header.nlmsg_type = NLMSG_ERROR;
  answer.error.error = -EPERM;
  ASSERT_EQ(::send(pair[1], &answer, sizeof answer, 0), static_cast<ssize_t>(sizeof answer));

  errno = 0;
  EXPECT_EQ(delete_link_group_by_child(pair[0], 1650561780), EPERM);
  EXPECT_EQ(errno, 0);

  alignas(nlmsghdr) char request[256];
  ssize_t n = ::recv(pair[1], request, sizeof request, MSG_DONTWAIT);
  ASSERT_GE(n, static_cast<ssize_t>(NLMSG_LENGTH(sizeof(ifinfomsg)) + RTA_LENGTH(sizeof(uint32_t))));
  const auto* h = reinterpret_cast<const nlmsghdr*>(request);
  EXPECT_EQ(h->nlmsg_type, RTM_DELLINK);
  EXPECT_EQ(h->nlmsg_len, static_cast<uint32_t>(n));
  EXPECT_EQ(h->nlmsg_flags, NLM_F_REQUEST | NLM_F_ACK);
  const auto* info = static_cast<const ifinfomsg*>(NLMSG_DATA(h));
  EXPECT_EQ(info->ifi_index, 0);  // no link named: the group says which
  const auto* attr = reinterpret_cast<const rtattr*>(reinterpret_cast<const char*>(info) + NLMSG_ALIGN(sizeof(ifinfomsg)));
  EXPECT_EQ(attr->rta_type, IFLA_GROUP);
  uint32_t group = 0;
  std::memcpy(&group, RTA_DATA(attr), sizeof group);
  EXPECT_EQ(group, 1650561780u);
  ::close(pair[0]);
  ::close(pair[1]);
}

TEST(LinkGroupSender, AShortAnswerIsAProtocolError) {
  int pair[2];
  ASSERT_EQ(::socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0, pair), 0);
  const char truncated[4] = {1, 2, 3, 4};
  ASSERT_EQ(::send(pair[1], truncated, sizeof truncated, 0), 4);
  EXPECT_EQ(delete_link_group_by_child(pair[0], 9), EPROTO);
  ::close(pair[0]);
  ::close(pair[1]);
}

}  // namespace
}  // namespace nsplan::applier
