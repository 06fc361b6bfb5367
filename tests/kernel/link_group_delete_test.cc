// delete_link_group_unlisted against the real kernel, in a network namespace of the test's own:
// the thread that runs a case unshares one and everything it makes dies with it.
#include "applier/link_group_delete.h"

#include <sched.h>

#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include "applier/netlink.h"
#include "tests/kernel/kernel_test_env.h"

namespace nsplan::applier {
namespace {

// Runs `body` on a thread of its own inside a new, anonymous network namespace.
void in_own_netns(const std::function<void(NetlinkClient&)>& body) {
  std::thread t([&] {
    ASSERT_EQ(unshare(CLONE_NEWNET), 0) << "unshare(CLONE_NEWNET): " << std::strerror(errno);
    auto c = NetlinkClient::open();
    ASSERT_TRUE(c.ok()) << c.message();
    body(*c.value());
  });
  t.join();
}

std::vector<std::string> names_in_group(NetlinkClient& nl, uint32_t group) {
  std::vector<std::string> names;
  auto links = nl.list_links("");
  EXPECT_TRUE(links.ok()) << links.message();
  if (links.ok())
    for (const auto& l : links.value())
      if (l.group == group) names.push_back(l.name);
  std::sort(names.begin(), names.end());
  return names;
}

// The group's interface indexes, as linux_kernel.cc gathers them.
std::set<int> members_of(NetlinkClient& nl, uint32_t group) {
  std::set<int> members;
  auto links = nl.list_links("");
  EXPECT_TRUE(links.ok()) << links.message();
  if (links.ok())
    for (const auto& l : links.value())
      if (l.group == group) members.insert(l.ifindex);
  return members;
}

Status delete_group(NetlinkClient& nl, uint32_t group) { return delete_link_group_unlisted(group, members_of(nl, group)); }

TEST(LinkGroupDelete, MembersAreGoneAndTheirNamesFreeWhenItReturns) {
  NSPLAN_REQUIRE_ROOT();
  in_own_netns([](NetlinkClient& nl) {
    ASSERT_TRUE(nl.create_bridge("", "nspt-br", 4242).ok());
    ASSERT_TRUE(nl.create_veth("", "nspt-h0", "nspt-p0", "", 4242).ok());
    ASSERT_TRUE(nl.set_master("", "nspt-h0", "nspt-br").ok());
    ASSERT_TRUE(nl.set_up("", "nspt-br").ok());
    ASSERT_TRUE(nl.set_up("", "nspt-h0").ok());
    ASSERT_TRUE(nl.create_veth("", "nspt-other", "nspt-otherp", "", 77).ok());
    ASSERT_EQ(names_in_group(nl, 4242), (std::vector<std::string>{"nspt-br", "nspt-h0"}));

    Status s = delete_group(nl, 4242);
    ASSERT_TRUE(s.ok()) << s.message();
    EXPECT_TRUE(names_in_group(nl, 4242).empty());
    auto links = nl.list_links("");
    ASSERT_TRUE(links.ok());
    auto named = [&](const std::string& n) {
      return std::any_of(links.value().begin(), links.value().end(), [&](const LinkInfo& l) { return l.name == n; });
    };
    EXPECT_FALSE(named("nspt-p0")) << "a veth's peer goes with it";
    EXPECT_TRUE(named("nspt-other")) << "another group is left alone";
    EXPECT_TRUE(named("nspt-otherp"));
    // The kernel may still be freeing them, but the names are free already.
    Status again = nl.create_bridge("", "nspt-br", 4242);
    EXPECT_TRUE(again.ok()) << again.message();
    EXPECT_TRUE(delete_group(nl, 4242).ok());
  });
}

TEST(LinkGroupDelete, ARefusalIsReportedAndDeletesNothing) {
  NSPLAN_REQUIRE_ROOT();
  in_own_netns([](NetlinkClient& nl) {
    ASSERT_TRUE(nl.create_veth("", "nspt-h1", "nspt-p1", "", 4343).ok());
    // The loopback device cannot be deleted: the kernel refuses the whole group.
    // (ip(8) runs in this thread's namespace: a child inherits it.)
    ASSERT_EQ(std::system("ip link set lo group 4343"), 0);
    Status s = delete_group(nl, 4343);
    EXPECT_EQ(s.err(), EOPNOTSUPP) << s.message();
    EXPECT_NE(s.message().find("delete link group 4343"), std::string::npos) << s.message();
    EXPECT_EQ(names_in_group(nl, 4343), (std::vector<std::string>{"lo", "nspt-h1"}));
  });
}

TEST(LinkGroupDelete, AnEmptyGroupIsENODEVAndGroupZeroIsRefused) {
  NSPLAN_REQUIRE_ROOT();
  in_own_netns([](NetlinkClient& nl) {
    EXPECT_EQ(delete_group(nl, 4444).err(), ENODEV);
    EXPECT_EQ(delete_link_group_unlisted(0, {1}).err(), EINVAL);
  });
}

}  // namespace
}  // namespace nsplan::applier
