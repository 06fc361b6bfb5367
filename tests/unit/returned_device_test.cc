// undo_on_returned_device through the fake kernel: a device the kernel gave back to the host is
// asked for by the ifindex recorded at the move (Kernel::link_by_ifindex), never by a dump of
// the host's links, and a link that merely carries its name is never touched.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "applier/returned_device.h"
#include "fake_kernel.h"

namespace nsplan {
namespace {

using testing::FakeCall;
using testing::FakeKernel;
using testing::fake_state_diff;

applier::Status add_dummy(FakeKernel& k, const std::string& name) {
  plan::CreateLink l;
  l.name = name;
  l.kind = plan::LinkKind::Dummy;
  return k.link_create(l);
}

size_t count_calls(const FakeKernel& k, const std::string& op, const std::string& ns) {
  return std::count_if(k.calls().begin(), k.calls().end(), [&](const FakeCall& c) { return c.op == op && c.ns == ns; });
}

// The host's eth2 moved into mv-a as eth5, then mv-a deleted behind nsplan's back: the kernel
// gives eth5 back to the host (as dev0 when the host has an eth5 by then). ID: eth2's identity
// as recorded at the move; calls are counted from the undo on.
struct GivenBack {
  FakeKernel k;
  applier::KernelId id;
  applier::MoveLinkBack back{"eth5", "mv-a", "", true, "", {"10.97.0.1/24"}, {}, "eth2"};

  explicit GivenBack(bool host_takes_the_inside_name) {
    id = k.link_id("", "eth2").value();
    EXPECT_TRUE(k.netns_create("mv-a").ok());
    EXPECT_TRUE(k.link_move("", "eth2", "mv-a", "eth5").ok());
    EXPECT_TRUE(k.link_mtu("mv-a", "eth5", 1400).ok());
    if (host_takes_the_inside_name) {
      EXPECT_TRUE(add_dummy(k, "eth5").ok());
    }
    EXPECT_TRUE(k.netns_delete("mv-a").ok());
    k.clear_calls();
  }
};

TEST(ReturnedDevice, IsAskedForByItsIfindexAloneAndGivenBack) {
  GivenBack t(true);
  ASSERT_TRUE(t.k.state().netns.at("").links.count("dev0"));
  std::optional<applier::Status> done = applier::undo_on_returned_device(t.back, t.k, t.id);
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->ok()) << done->message();
  EXPECT_EQ(count_calls(t.k, "links", ""), 0u) << t.k.trace();  // no dump of the host's links
  ASSERT_EQ(count_calls(t.k, "link_by_ifindex", ""), 1u) << t.k.trace();
  for (const FakeCall& c : t.k.calls())
    if (c.op == "link_by_ifindex") {
      EXPECT_EQ(c.target, std::to_string(t.id.object));
    }
  const auto& host = t.k.state().netns.at("");
  EXPECT_FALSE(host.links.count("dev0"));
  ASSERT_TRUE(host.links.count("eth2"));
  EXPECT_EQ(t.k.link_id("", "eth2").value().object, t.id.object);  // the same device, renamed
  EXPECT_TRUE(host.links.at("eth2").up);
  EXPECT_TRUE(host.addresses.count({"eth2", "10.97.0.1/24"}));
  EXPECT_EQ(host.links.at("eth5").kind, "dummy");  // carries the inside name: untouched
}

TEST(ReturnedDevice, ItsMtuIsRestoredWhereTheIfindexIsNotWhereTheNameIs) {
  GivenBack t(true);
  const uint32_t dummy_mtu = t.k.state().netns.at("").links.at("eth5").mtu;
  std::optional<applier::Status> done = applier::undo_on_returned_device(applier::RestoreMtu{"mv-a", "eth5", 1500}, t.k, t.id);
  ASSERT_TRUE(done);
  EXPECT_TRUE(done->ok()) << done->message();
  EXPECT_EQ(t.k.state().netns.at("").links.at("dev0").mtu, 1500u);
  EXPECT_EQ(t.k.state().netns.at("").links.at("eth5").mtu, dummy_mtu);
  EXPECT_EQ(count_calls(t.k, "links", ""), 0u) << t.k.trace();
}

// No link has the ifindex (the kernel's ENODEV) and none carries the inside name: nothing of
// the undo's is there.
TEST(ReturnedDevice, NoLinkOfItsIfindexIsNothingToDo) {
  GivenBack t(false);
  ASSERT_TRUE(t.k.link_rename("", "eth5", "wan0").ok());  // no link carries the inside name
  const auto before = t.k.snapshot();
  t.k.clear_calls();
  const applier::KernelId gone{t.id.space, 999999};  // the device went for good
  EXPECT_FALSE(applier::undo_on_returned_device(t.back, t.k, gone));
  EXPECT_EQ(count_calls(t.k, "link_by_ifindex", ""), 1u) << t.k.trace();
  EXPECT_TRUE(t.k.mutations().empty()) << t.k.trace();
  EXPECT_TRUE(before == t.k.snapshot()) << fake_state_diff(before, t.k.snapshot());
}

// The link of the ifindex under a name the kernel never gives a returned device (someone renamed
// it since): not proof that it is ours, so it is left as it is.
TEST(ReturnedDevice, TheIfindexUnderAnotherNameIsLeftAlone) {
  GivenBack t(false);
  ASSERT_TRUE(t.k.link_rename("", "eth5", "wan0").ok());
  const auto before = t.k.snapshot();
  t.k.clear_calls();
  EXPECT_FALSE(applier::undo_on_returned_device(t.back, t.k, t.id));
  EXPECT_TRUE(t.k.mutations().empty()) << t.k.trace();
  EXPECT_TRUE(before == t.k.snapshot()) << fake_state_diff(before, t.k.snapshot());
}

// A failed look-up is the answer, not "not there": nothing is changed.
TEST(ReturnedDevice, AFailedLookupIsReportedAndChangesNothing) {
  GivenBack t(false);
  const auto before = t.k.snapshot();
  t.k.fail_calls_containing("link_by_ifindex", EIO);
  std::optional<applier::Status> done = applier::undo_on_returned_device(t.back, t.k, t.id);
  ASSERT_TRUE(done);
  EXPECT_EQ(done->err(), EIO) << done->message();
  EXPECT_TRUE(t.k.mutations().empty()) << t.k.trace();
  EXPECT_TRUE(before == t.k.snapshot()) << fake_state_diff(before, t.k.snapshot());
}

// The fake answers as NetlinkClient::get_link_by_ifindex: the link whatever its name, nullopt
// for an ifindex no link has, EINVAL for none at all.
TEST(ReturnedDevice, TheFakeFindsALinkByIfindex) {
  FakeKernel k;
  const applier::KernelId id = k.link_id("", "eth1").value();
  auto found = k.link_by_ifindex("", static_cast<int>(id.object));
  ASSERT_TRUE(found.ok());
  ASSERT_TRUE(found.value());
  EXPECT_EQ(found.value()->name, "eth1");
  auto none = k.link_by_ifindex("", 999999);
  ASSERT_TRUE(none.ok());
  EXPECT_FALSE(none.value());
  EXPECT_EQ(k.link_by_ifindex("", 0).err(), EINVAL);
}

}  // namespace
}  // namespace nsplan
