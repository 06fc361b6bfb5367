// LiveView: links are found through a name index per namespace; every change the view makes to
// its links (add, replace, remove, rename, forget and reload) must leave the index right.
#include "applier/live_view.h"

#include <gtest/gtest.h>

#include <string>

#include "tests/unit/fake_kernel.h"

namespace nsplan {
namespace {

using applier::LinkInfo;
using applier::LiveView;
using testing::FakeKernel;
using testing::FakeLink;

// Every name in NAMES is found, with that name, and nothing else of the namespace is.
void expect_links(LiveView& view, const std::string& netns, const std::vector<std::string>& names,
                  const std::vector<std::string>& absent) {
  for (const auto& n : names) {
    const LinkInfo* l = view.link(netns, n);
    ASSERT_NE(l, nullptr) << n;
    EXPECT_EQ(l->name, n);
  }
  for (const auto& n : absent) EXPECT_EQ(view.link(netns, n), nullptr) << n;
}

TEST(LiveView, FindsDumpedAndAddedLinksByName) {
  FakeKernel k;
  LiveView view(k);
  expect_links(view, "", {"lo", "eth0", "eth1", "eth2"}, {"br0", "nothing"});
  EXPECT_TRUE(view.link("", "eth0")->up);
  EXPECT_FALSE(view.link("", "eth2")->up);

  view.link_added("", "br0", "bridge", 7);
  ASSERT_NE(view.link("", "br0"), nullptr);
  EXPECT_EQ(view.link("", "br0")->kind, "bridge");
  EXPECT_EQ(view.link("", "br0")->group, 7u);
  // A namespace that does not exist holds nothing, until the apply adds to it.
  EXPECT_EQ(view.link("nowhere", "lo"), nullptr);
  view.link_added("nowhere", "p0", "veth", 0);
  expect_links(view, "nowhere", {"p0"}, {"lo"});
  expect_links(view, "", {"lo", "eth0", "eth1", "eth2", "br0"}, {"p0"});
}

TEST(LiveView, AddingAKnownNameReplacesTheEntry) {
  FakeKernel k;
  LiveView view(k);
  view.link_added("", "eth2", "veth", 3);
  EXPECT_EQ(view.link("", "eth2")->kind, "veth");
  EXPECT_EQ(view.link("", "eth2")->group, 3u);
  view.link_removed("", "eth2");
  EXPECT_EQ(view.link("", "eth2"), nullptr) << "a second entry of the same name survived";
}

TEST(LiveView, RemovingKeepsEveryOtherLinkFindable) {
  FakeKernel k;
  LiveView view(k);
  std::vector<std::string> names = {"lo", "eth0", "eth1", "eth2"};
  for (int i = 0; i < 50; ++i) {
    names.push_back("v" + std::to_string(i));
    view.link_added("", names.back(), "veth", 0);
  }
  view.address_added("", "v3", "10.0.0.1/24");
  // From the front, the middle and the end, so that every position gets refilled.
  for (const std::string gone : {"lo", "v3", "v49", "eth1", "v20", "v48"}) {
    view.link_removed("", gone);
    names.erase(std::find(names.begin(), names.end(), gone));
    expect_links(view, "", names, {gone});
  }
  EXPECT_FALSE(view.has_address("", "v3", "10.0.0.1/24"));
  // A name the view does not hold: nothing changes.
  view.link_removed("", "nothing");
  expect_links(view, "", names, {});
}

TEST(LiveView, RemovingByANameHeldInTheViewItself) {
  FakeKernel k;
  LiveView view(k);
  view.link_added("", "a0", "veth", 0);
  view.link_added("", "a1", "veth", 0);
  view.address_added("", "eth0", "10.0.0.9/24");
  view.link_removed("", view.link("", "eth0")->name);
  expect_links(view, "", {"lo", "eth1", "eth2", "a0", "a1"}, {"eth0"});
  EXPECT_FALSE(view.has_address("", "eth0", "10.0.0.9/24"));
}

TEST(LiveView, RenamingMovesTheIndexAndTheAddresses) {
  FakeKernel k;
  LiveView view(k);
  view.address_added("", "eth2", "10.0.0.2/24");
  view.mutable_link("", "eth2")->mtu = 9000;
  view.link_renamed("", "eth2", "uplink");
  expect_links(view, "", {"lo", "eth0", "eth1", "uplink"}, {"eth2"});
  EXPECT_EQ(view.link("", "uplink")->mtu, 9000u);
  EXPECT_TRUE(view.has_address("", "uplink", "10.0.0.2/24"));
  EXPECT_FALSE(view.has_address("", "eth2", "10.0.0.2/24"));
  // Renaming by the link's own name, and renaming what is not there.
  view.link_renamed("", view.link("", "eth0")->name, "wan");
  view.link_renamed("", "nothing", "something");
  expect_links(view, "", {"lo", "wan", "eth1", "uplink"}, {"eth0", "nothing", "something"});
}

TEST(LiveView, MutableLinkChangesWhatLinkSees) {
  FakeKernel k;
  LiveView view(k);
  LinkInfo* l = view.mutable_link("", "eth2");
  ASSERT_NE(l, nullptr);
  l->up = true;
  l->master = "br0";
  EXPECT_TRUE(view.link("", "eth2")->up);
  EXPECT_EQ(view.link("", "eth2")->master, "br0");
  EXPECT_EQ(view.mutable_link("", "nothing"), nullptr);
}

TEST(LiveView, AMoveIsForgottenAndReloadedFromTheKernel) {
  FakeKernel k;
  k.mutable_state().netns["other"] = {};
  k.mutable_state().netns["other"].links["lo"] = FakeLink{"", 65536, "", false, 0, "", "", "", ""};
  LiveView view(k);
  expect_links(view, "", {"eth2"}, {});
  expect_links(view, "other", {"lo"}, {"eth2"});
  ASSERT_TRUE(k.link_move("", "eth2", "other", "").ok());
  view.forget("");
  view.forget("other");
  expect_links(view, "", {"lo", "eth0", "eth1"}, {"eth2"});
  expect_links(view, "other", {"lo", "eth2"}, {});
}

TEST(LiveView, ThousandsOfLinksAreFoundByName) {
  FakeKernel k;
  LiveView view(k);
  const int n = 5000;
  for (int i = 0; i < n; ++i) view.link_added("", "h" + std::to_string(i), "veth", 1);
  for (int i = 0; i < n; ++i) {
    const LinkInfo* l = view.link("", "h" + std::to_string(i));
    ASSERT_NE(l, nullptr) << i;
    ASSERT_EQ(l->name, "h" + std::to_string(i));
  }
}

}  // namespace
}  // namespace nsplan
