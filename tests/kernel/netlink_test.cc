// NetlinkClient against the real kernel. Every link, address and route is made inside two network
// namespaces the fixture creates (nsplan-t-<pid>-a and -b); "a" plays the host side. The
// namespace the tests run in is only read (list_links("")), never changed.
#include "applier/netlink.h"

#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <sched.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <vector>

#include "applier/namespaces.h"
#include "tests/kernel/kernel_test_env.h"

namespace nsplan::applier {
namespace {

using kernel_test::ScopedNetns;
using kernel_test::test_ifname;
using kernel_test::test_name;

std::optional<LinkInfo> find_link(const std::vector<LinkInfo>& links, const std::string& name) {
  for (const LinkInfo& l : links)
    if (l.name == name) return l;
  return std::nullopt;
}

bool has_address(const std::vector<AddressInfo>& addrs, const std::string& dev,
                 const std::string& cidr) {
  return std::any_of(addrs.begin(), addrs.end(),
                     [&](const AddressInfo& a) { return a.dev == dev && a.cidr == cidr; });
}

std::optional<RouteInfo> find_route(const std::vector<RouteInfo>& routes, const std::string& to,
                                    int family) {
  for (const RouteInfo& r : routes)
    if (r.to == to && r.family == family) return r;
  return std::nullopt;
}

// Kinds this kernel may lack (module not built): EOPNOTSUPP from RTM_NEWLINK.
bool missing_kind(const Status& st) { return st.err() == EOPNOTSUPP; }

class Netlink : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    a_ = std::make_unique<ScopedNetns>(test_name("a"));
    b_ = std::make_unique<ScopedNetns>(test_name("b"));
    ASSERT_TRUE(a_->status().ok()) << a_->status().message();
    ASSERT_TRUE(b_->status().ok()) << b_->status().message();
    auto c = NetlinkClient::open();
    ASSERT_TRUE(c.ok()) << c.message();
    nl_ = std::move(c).value();
  }
  void TearDown() override {
    nl_.reset();  // sockets keep namespaces alive: close them first
    b_.reset();
    a_.reset();
  }
  std::vector<LinkInfo> links(const std::string& ns) {
    auto l = nl_->list_links(ns);
    EXPECT_TRUE(l.ok()) << l.message();
    return l.ok() ? l.value() : std::vector<LinkInfo>{};
  }
  // A veth pair with both ends in NS, both up: a link with carrier, for the kernel has no dummy
  // everywhere. The peer is NAME + "x".
  Status make_pair(const std::string& ns, const std::string& name) {
    Status st = nl_->create_veth(ns, name, name + "x", ns, 0);
    if (!st) return st;
    if (Status u = nl_->set_up(ns, name + "x"); !u) return u;
    return nl_->set_up(ns, name);
  }
  const std::string& A() const { return a_->name(); }
  const std::string& B() const { return b_->name(); }

  std::unique_ptr<ScopedNetns> a_, b_;
  std::unique_ptr<NetlinkClient> nl_;
};

TEST_F(Netlink, VethPeerIsBornInThePeerNamespace) {
  const std::string host = test_ifname("h"), peer = test_ifname("p");
  Status st = nl_->create_veth(A(), host, peer, B(), 0);
  ASSERT_TRUE(st.ok()) << st.message();

  auto la = links(A());
  auto lb = links(B());
  ASSERT_TRUE(find_link(la, host));
  EXPECT_EQ(find_link(la, host)->kind, "veth");
  EXPECT_FALSE(find_link(la, peer)) << "peer was made in the first namespace";
  ASSERT_TRUE(find_link(lb, peer));
  EXPECT_EQ(find_link(lb, peer)->kind, "veth");
  EXPECT_FALSE(find_link(lb, host));
  auto here = links("");
  EXPECT_FALSE(find_link(here, host));
  EXPECT_FALSE(find_link(here, peer));

  Status again = nl_->create_veth(A(), host, test_ifname("q"), B(), 0);
  EXPECT_EQ(again.err(), EEXIST) << again.message();
  EXPECT_LT(again.error().nl_code, 0);
  Status peer_taken = nl_->create_veth(A(), test_ifname("h2"), peer, B(), 0);
  EXPECT_EQ(peer_taken.err(), EEXIST) << peer_taken.message();
  EXPECT_FALSE(find_link(links(A()), test_ifname("h2"))) << "half-made pair left behind";

  // Both ends in one namespace when peer_netns == netns.
  ASSERT_TRUE(nl_->create_veth(B(), test_ifname("x1"), test_ifname("x2"), B(), 0).ok());
  lb = links(B());
  EXPECT_TRUE(find_link(lb, test_ifname("x1")));
  EXPECT_TRUE(find_link(lb, test_ifname("x2")));

  EXPECT_TRUE(nl_->delete_link(A(), host).ok());
  EXPECT_FALSE(find_link(links(B()), peer)) << "deleting one end keeps the other";
  EXPECT_EQ(nl_->delete_link(A(), host).err(), ENODEV);
}

TEST_F(Netlink, GroupDeleteRemovesEveryPairAndNothingElse) {
  const uint32_t group = 4242;
  std::vector<std::pair<std::string, std::string>> pairs;
  for (int i = 0; i < 3; ++i)
    pairs.emplace_back(test_ifname("g" + std::to_string(i)), test_ifname("r" + std::to_string(i)));
  for (const auto& [h, p] : pairs) {
    Status st = nl_->create_veth(A(), h, p, B(), group);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(nl_->set_up(A(), h).ok());
  }
  const std::string other = test_ifname("keep");
  ASSERT_TRUE(nl_->create_bridge(A(), other, 7).ok());
  auto la = links(A());
  for (const auto& [h, p] : pairs) {
    ASSERT_TRUE(find_link(la, h));
    EXPECT_EQ(find_link(la, h)->group, group);
  }
  EXPECT_EQ(find_link(la, other)->group, 7u);
  EXPECT_EQ(find_link(links(B()), pairs[0].second)->group, 0u);  // peers stay in group 0

  Status del = nl_->delete_group(A(), group);
  ASSERT_TRUE(del.ok()) << del.message();
  la = links(A());
  auto lb = links(B());
  for (const auto& [h, p] : pairs) {
    EXPECT_FALSE(find_link(la, h)) << h;
    EXPECT_FALSE(find_link(lb, p)) << p;
  }
  EXPECT_TRUE(find_link(la, other));
  EXPECT_TRUE(find_link(la, "lo"));

  EXPECT_EQ(nl_->delete_group(A(), 0).err(), EINVAL);
  EXPECT_TRUE(find_link(links(A()), "lo"));
  // No link in the group: the kernel answers ENODEV (so does `ip link del group N`).
  EXPECT_EQ(nl_->delete_group(A(), group).err(), ENODEV);
}

TEST_F(Netlink, BridgeMasterMtuUpDown) {
  const std::string br = test_ifname("br"), d = test_ifname("d");
  ASSERT_TRUE(nl_->create_bridge(A(), br).ok());
  ASSERT_TRUE(nl_->create_veth(A(), d, d + "x", A()).ok());
  Status m = nl_->set_master(A(), d, br);
  ASSERT_TRUE(m.ok()) << m.message();
  ASSERT_TRUE(nl_->set_mtu(A(), d, 1400).ok());
  ASSERT_TRUE(nl_->set_up(A(), d).ok());
  ASSERT_TRUE(nl_->set_up(A(), br).ok());
  auto la = links(A());
  ASSERT_TRUE(find_link(la, d));
  EXPECT_EQ(find_link(la, d)->master, br);
  EXPECT_EQ(find_link(la, d)->mtu, 1400u);
  EXPECT_TRUE(find_link(la, d)->up);
  EXPECT_EQ(find_link(la, d)->kind, "veth");
  EXPECT_EQ(find_link(la, d + "x")->mtu, 1500u);  // the peer keeps its own
  EXPECT_EQ(find_link(la, br)->kind, "bridge");
  EXPECT_TRUE(find_link(la, br)->up);

  Status tiny = nl_->set_mtu(A(), d, 10);
  EXPECT_EQ(tiny.err(), EINVAL) << tiny.message();
  EXPECT_FALSE(tiny.error().detail.empty()) << "no extended ack text";
  EXPECT_EQ(find_link(links(A()), d)->mtu, 1400u);

  ASSERT_TRUE(nl_->set_down(A(), d).ok());
  ASSERT_TRUE(nl_->set_master(A(), d, "").ok());
  la = links(A());
  EXPECT_FALSE(find_link(la, d)->up);
  EXPECT_EQ(find_link(la, d)->master, "");

  EXPECT_EQ(nl_->set_master(A(), d, test_ifname("none")).err(), ENODEV);
  EXPECT_EQ(nl_->set_up(A(), test_ifname("none")).err(), ENODEV);
}

TEST_F(Netlink, AddressOfALinkIsSetAndReadBack) {
  const std::string d = test_ifname("mac");
  ASSERT_TRUE(nl_->create_veth(A(), d, d + "x", A()).ok());
  Status s = nl_->set_mac(A(), d, "02:00:00:00:5e:01");
  ASSERT_TRUE(s.ok()) << s.message();
  auto la = links(A());
  EXPECT_EQ(find_link(la, d)->mac, "02:00:00:00:5e:01");
  EXPECT_NE(find_link(la, d + "x")->mac, "02:00:00:00:5e:01");  // the peer keeps its own
  EXPECT_EQ(find_link(la, d + "x")->mac.size(), 17u);
  // The kernel refuses a multicast address (the profile never asks for one).
  EXPECT_EQ(nl_->set_mac(A(), d, "03:00:00:00:5e:01").err(), EADDRNOTAVAIL);
  EXPECT_EQ(nl_->set_mac(A(), d, "not-a-mac").err(), EINVAL);
  EXPECT_EQ(find_link(links(A()), d)->mac, "02:00:00:00:5e:01");
}

TEST_F(Netlink, MacvlanIsBornInTheTargetNamespace) {
  const std::string p = test_ifname("p1"), mv = test_ifname("mv");
  ASSERT_TRUE(make_pair(A(), p).ok());
  Status st = nl_->create_macvlan(A(), p, B(), mv, "bridge");
  if (missing_kind(st)) NSPLAN_SKIP_OR_FAIL("kernel lacks macvlan: " + st.message());
  ASSERT_TRUE(st.ok()) << st.message();
  auto lb = links(B());
  ASSERT_TRUE(find_link(lb, mv));
  EXPECT_EQ(find_link(lb, mv)->kind, "macvlan");
  EXPECT_FALSE(find_link(links(A()), mv)) << "made in the parent's namespace";
  // In the parent's own namespace, and the errors.
  ASSERT_TRUE(nl_->create_macvlan(A(), p, A(), test_ifname("m1"), "").ok());
  EXPECT_EQ(find_link(links(A()), test_ifname("m1"))->kind, "macvlan");
  EXPECT_EQ(nl_->create_macvlan(A(), p, B(), mv, "bridge").err(), EEXIST);
  EXPECT_EQ(nl_->create_macvlan(A(), p, B(), test_ifname("m2"), "nonsense").err(), EINVAL);
  EXPECT_EQ(nl_->create_macvlan(A(), test_ifname("none"), B(), test_ifname("m3"), "").err(),
            ENODEV);
  EXPECT_EQ(nl_->create_macvlan(A(), p, test_name("missing"), test_ifname("m4"), "").err(), ENOENT);
  EXPECT_FALSE(find_link(links(B()), test_ifname("m3")));
  // Born in a link group (a profile's host-side links share one, deleted with one request).
  ASSERT_TRUE(nl_->create_macvlan(A(), p, B(), test_ifname("m5"), "vepa", 4242).ok());
  ASSERT_TRUE(find_link(links(B()), test_ifname("m5")));
  EXPECT_EQ(find_link(links(B()), test_ifname("m5"))->group, 4242u);
  EXPECT_EQ(find_link(links(B()), mv)->group, 0u);
}

TEST_F(Netlink, IpvlanIsBornInTheTargetNamespace) {
  const std::string p = test_ifname("p2"), iv = test_ifname("iv");
  ASSERT_TRUE(make_pair(A(), p).ok());
  Status st = nl_->create_ipvlan(A(), p, B(), iv, "l2");
  if (missing_kind(st)) NSPLAN_SKIP_OR_FAIL("kernel lacks ipvlan: " + st.message());
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(find_link(links(B()), iv));
  EXPECT_EQ(find_link(links(B()), iv)->kind, "ipvlan");
  EXPECT_FALSE(find_link(links(A()), iv));
  EXPECT_EQ(nl_->create_ipvlan(A(), p, B(), test_ifname("i2"), "l9").err(), EINVAL);
}

TEST_F(Netlink, VlanIsBornInTheTargetNamespace) {
  const std::string p = test_ifname("p3"), vl = test_ifname("vl");
  ASSERT_TRUE(make_pair(A(), p).ok());
  EXPECT_EQ(nl_->create_vlan(A(), p, B(), vl, 0).err(), EINVAL);
  EXPECT_EQ(nl_->create_vlan(A(), p, B(), vl, 4095).err(), EINVAL);
  Status st = nl_->create_vlan(A(), p, B(), vl, 42);
  if (missing_kind(st)) NSPLAN_SKIP_OR_FAIL("kernel lacks 802.1q vlan: " + st.message());
  ASSERT_TRUE(st.ok()) << st.message();
  ASSERT_TRUE(find_link(links(B()), vl));
  EXPECT_EQ(find_link(links(B()), vl)->kind, "vlan");
  EXPECT_FALSE(find_link(links(A()), vl));
}

TEST_F(Netlink, DummyWithGroup) {
  const std::string d = test_ifname("du");
  Status st = nl_->create_dummy(A(), d, 9);
  if (missing_kind(st)) NSPLAN_SKIP_OR_FAIL("kernel lacks dummy: " + st.message());
  ASSERT_TRUE(st.ok()) << st.message();
  auto l = find_link(links(A()), d);
  ASSERT_TRUE(l);
  EXPECT_EQ(l->kind, "dummy");
  EXPECT_EQ(l->group, 9u);
  EXPECT_TRUE(nl_->delete_group(A(), 9).ok());
  EXPECT_FALSE(find_link(links(A()), d));
}

TEST_F(Netlink, MoveLinkBetweenNamespaces) {
  const std::string d = test_ifname("mv");
  ASSERT_TRUE(nl_->create_veth(A(), d, d + "x", A()).ok());
  Status st = nl_->move_link(A(), d, B());
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_FALSE(find_link(links(A()), d));
  EXPECT_TRUE(find_link(links(B()), d));
  EXPECT_EQ(nl_->move_link(A(), d, B()).err(), ENODEV);
  EXPECT_EQ(nl_->move_link(B(), d, B()).err(), EINVAL);
  EXPECT_TRUE(find_link(links(A()), d + "x")) << "the peer stays";
  // Bridges are namespace-local: the kernel refuses, and the error says so.
  const std::string br = test_ifname("mb");
  ASSERT_TRUE(nl_->create_bridge(A(), br).ok());
  Status local = nl_->move_link(A(), br, B());
  EXPECT_EQ(local.err(), EINVAL) << local.message();
  EXPECT_TRUE(find_link(links(A()), br));
}

TEST_F(Netlink, AddressesV4AndV6) {
  const std::string d = test_ifname("ad");
  ASSERT_TRUE(make_pair(A(), d).ok());
  Status v4 = nl_->add_address(A(), d, "10.200.0.1/24");
  ASSERT_TRUE(v4.ok()) << v4.message();
  Status v6 = nl_->add_address(A(), d, "fd00:200::1/64");
  ASSERT_TRUE(v6.ok()) << v6.message();
  ASSERT_TRUE(nl_->add_address(A(), d, "10.200.1.1").ok());  // no prefix: /32

  auto addrs = nl_->list_addresses(A());
  ASSERT_TRUE(addrs.ok()) << addrs.message();
  EXPECT_TRUE(has_address(addrs.value(), d, "10.200.0.1/24"));
  EXPECT_TRUE(has_address(addrs.value(), d, "fd00:200::1/64"));
  EXPECT_TRUE(has_address(addrs.value(), d, "10.200.1.1/32"));
  for (const AddressInfo& a : addrs.value()) {
    if (a.cidr == "fd00:200::1/64") {
      EXPECT_EQ(a.family, 6);
    }
  }

  EXPECT_EQ(nl_->add_address(A(), d, "10.200.0.1/24").err(), EEXIST);
  EXPECT_EQ(nl_->add_address(A(), d, "fd00:200::1/64").err(), EEXIST);
  for (const char* bad :
       {"10.0.0.300/24", "10.0.0.1/33", "fd00::1/129", "10.0.0.1/0", "x", "", "10.0.0.1/"})
    EXPECT_EQ(nl_->add_address(A(), d, bad).err(), EINVAL) << bad;
  EXPECT_EQ(nl_->add_address(A(), test_ifname("none"), "10.200.2.1/24").err(), ENODEV);

  ASSERT_TRUE(nl_->del_address(A(), d, "10.200.0.1/24").ok());
  ASSERT_TRUE(nl_->del_address(A(), d, "fd00:200::1/64").ok());
  addrs = nl_->list_addresses(A());
  ASSERT_TRUE(addrs.ok());
  EXPECT_FALSE(has_address(addrs.value(), d, "10.200.0.1/24"));
  EXPECT_FALSE(has_address(addrs.value(), d, "fd00:200::1/64"));
  EXPECT_TRUE(has_address(addrs.value(), d, "10.200.1.1/32"));
  EXPECT_EQ(nl_->del_address(A(), d, "10.200.0.1/24").err(), EADDRNOTAVAIL);
}

// An IPv6 address added with nodad is usable at once; without, it waits in duplicate address
// detection (tentative) while its link is up: packets to it are lost meanwhile.
TEST_F(Netlink, Ipv6AddressWithNodadIsNotTentative) {
  const std::string d = test_ifname("dad");
  ASSERT_TRUE(make_pair(A(), d).ok());  // both ends up: the link has carrier, so DAD runs
  ASSERT_TRUE(nl_->add_address(A(), d, "fd00:201::1/64", /*nodad=*/true).ok());
  ASSERT_TRUE(nl_->add_address(A(), d, "fd00:202::1/64", /*nodad=*/false).ok());
  auto addrs = nl_->list_addresses(A());
  ASSERT_TRUE(addrs.ok()) << addrs.message();
  int seen = 0;
  for (const AddressInfo& a : addrs.value()) {
    if (a.cidr == "fd00:201::1/64") {
      ++seen;
      EXPECT_TRUE(a.flags & IFA_F_NODAD) << std::hex << a.flags;
      EXPECT_TRUE(a.usable()) << std::hex << a.flags;
    }
    if (a.cidr == "fd00:202::1/64") {
      ++seen;
      EXPECT_FALSE(a.usable()) << "expected tentative right after adding, flags " << std::hex << a.flags;
    }
  }
  EXPECT_EQ(seen, 2);
}

TEST_F(Netlink, RoutesV4AndV6) {
  const std::string d = test_ifname("rt");
  ASSERT_TRUE(make_pair(A(), d).ok());
  ASSERT_TRUE(nl_->add_address(A(), d, "10.210.0.1/24").ok());
  ASSERT_TRUE(nl_->add_address(A(), d, "fd00:210::1/64").ok());

  Status def = nl_->add_route({A(), "default", "10.210.0.254", d, 4, 100u, std::nullopt});
  ASSERT_TRUE(def.ok()) << def.message();
  Status net = nl_->add_route({A(), "10.211.0.0/16", "10.210.0.2", "", 0, std::nullopt, 100u});
  ASSERT_TRUE(net.ok()) << net.message();
  Status six =
      nl_->add_route({A(), "fd00:211::/64", "fd00:210::2", d, 0, std::nullopt, std::nullopt});
  ASSERT_TRUE(six.ok()) << six.message();
  Status six_def =
      nl_->add_route({A(), "default", "fd00:210::fe", "", 6, std::nullopt, std::nullopt});
  ASSERT_TRUE(six_def.ok()) << six_def.message();
  Status devroute = nl_->add_route({A(), "10.212.0.0/24", "", d, 0, 5u, std::nullopt});
  ASSERT_TRUE(devroute.ok()) << devroute.message();

  auto main_routes = nl_->list_routes(A());
  ASSERT_TRUE(main_routes.ok()) << main_routes.message();
  auto r = find_route(main_routes.value(), "default", 4);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->via, "10.210.0.254");
  EXPECT_EQ(r->dev, d);
  EXPECT_EQ(r->metric, 100u);
  EXPECT_EQ(r->table, 254u);
  EXPECT_EQ(r->protocol, RTPROT_BOOT);
  EXPECT_FALSE(r->kernel());
  auto connected = find_route(main_routes.value(), "10.210.0.0/24", 4);
  ASSERT_TRUE(connected);
  EXPECT_TRUE(connected->kernel());
  EXPECT_EQ(connected->dev, d);
  EXPECT_FALSE(find_route(main_routes.value(), "10.211.0.0/16", 4)) << "table 100 leaked into main";
  auto r6 = find_route(main_routes.value(), "fd00:211::/64", 6);
  ASSERT_TRUE(r6);
  EXPECT_EQ(r6->via, "fd00:210::2");
  EXPECT_EQ(r6->dev, d);
  EXPECT_EQ(r6->metric, 1024u);  // the kernel's default for IPv6
  auto d6 = find_route(main_routes.value(), "default", 6);
  ASSERT_TRUE(d6);
  EXPECT_EQ(d6->via, "fd00:210::fe");
  EXPECT_EQ(d6->dev, d);  // found by the kernel from the gateway
  auto dr = find_route(main_routes.value(), "10.212.0.0/24", 4);
  ASSERT_TRUE(dr);
  EXPECT_EQ(dr->via, "");
  EXPECT_EQ(dr->metric, 5u);

  auto t100 = nl_->list_routes(A(), RouteFilter{100u});
  ASSERT_TRUE(t100.ok());
  auto rt = find_route(t100.value(), "10.211.0.0/16", 4);
  ASSERT_TRUE(rt);
  EXPECT_EQ(rt->via, "10.210.0.2");
  EXPECT_EQ(rt->dev, d);
  EXPECT_EQ(rt->table, 100u);
  auto all = nl_->list_routes(A(), RouteFilter{std::nullopt});
  ASSERT_TRUE(all.ok());
  EXPECT_GT(all.value().size(), main_routes.value().size());  // local table included

  Status dup = nl_->add_route({A(), "default", "10.210.0.254", d, 4, 100u, std::nullopt});
  EXPECT_EQ(dup.err(), EEXIST) << dup.message();
  Status unreachable =
      nl_->add_route({A(), "10.213.0.0/16", "10.99.0.1", "", 0, std::nullopt, std::nullopt});
  EXPECT_EQ(unreachable.err(), ENETUNREACH) << unreachable.message();
  EXPECT_EQ(nl_->add_route({A(), "default", "", "", 0, std::nullopt, std::nullopt}).err(), EINVAL);
  EXPECT_EQ(nl_->add_route({A(), "10.0.0.0/8", "fd00::1", "", 0, std::nullopt, std::nullopt}).err(),
            EINVAL);

  ASSERT_TRUE(nl_->del_route({A(), "default", "", "", 4, std::nullopt, std::nullopt}).ok());
  ASSERT_TRUE(nl_->del_route({A(), "10.211.0.0/16", "", "", 0, std::nullopt, 100u}).ok());
  ASSERT_TRUE(
      nl_->del_route({A(), "fd00:211::/64", "fd00:210::2", d, 0, std::nullopt, std::nullopt}).ok());
  main_routes = nl_->list_routes(A());
  ASSERT_TRUE(main_routes.ok());
  EXPECT_FALSE(find_route(main_routes.value(), "default", 4));
  EXPECT_FALSE(find_route(main_routes.value(), "fd00:211::/64", 6));
  EXPECT_TRUE(find_route(main_routes.value(), "default", 6));
  EXPECT_FALSE(find_route(nl_->list_routes(A(), RouteFilter{100u}).value(), "10.211.0.0/16", 4));
  EXPECT_EQ(nl_->del_route({A(), "default", "", "", 4, std::nullopt, std::nullopt}).err(), ESRCH);
}

TEST_F(Netlink, CallerNamespaceNeverChanges) {
  auto before = current_ns_identity(plan::NsKind::Net);
  ASSERT_TRUE(before.ok());
  const std::string d = test_ifname("ns");
  EXPECT_EQ(nl_->create_bridge(test_name("missing"), d).err(), ENOENT);
  EXPECT_EQ(nl_->create_bridge("bad/name", d).err(), EINVAL);
  ASSERT_TRUE(nl_->create_bridge(A(), d).ok());
  EXPECT_EQ(nl_->create_bridge(A(), d).err(), EEXIST);
  EXPECT_EQ(nl_->create_veth(A(), test_ifname("v"), test_ifname("w"), test_name("missing")).err(),
            ENOENT);
  EXPECT_EQ(nl_->set_mtu(B(), d, 1000).err(), ENODEV);
  EXPECT_TRUE(current_ns_identity(plan::NsKind::Net).value() == before.value());
  EXPECT_EQ(nl_->socket_count(), 2u);  // A and B, none for the missing one

  for (const char* bad : {"", "this-is-too-long", "a/b", "a b", "a:b", "..", "."})
    EXPECT_EQ(nl_->create_bridge(A(), bad).err(), EINVAL) << bad;
  EXPECT_FALSE(valid_ifname("0123456789abcdef"));
  EXPECT_TRUE(valid_ifname("0123456789abcde"));
}

TEST_F(Netlink, RecreatedNamespaceGetsANewSocket) {
  const std::string d = test_ifname("re");
  ASSERT_TRUE(nl_->create_bridge(A(), d).ok());
  // Delete and make A again without telling the client: its next observation must notice the
  // new namespace (changes trust the client's sockets; see ForgottenNamespaceMadeAgain...).
  a_.reset();
  a_ = std::make_unique<ScopedNetns>(test_name("a"));
  ASSERT_TRUE(a_->status().ok());
  EXPECT_FALSE(find_link(links(A()), d)) << "still talking to the old namespace";
  EXPECT_TRUE(nl_->create_bridge(A(), d).ok());
  EXPECT_TRUE(find_link(links(A()), d));
  nl_->forget(A());
  nl_->forget(B());
  EXPECT_EQ(nl_->socket_count(), 0u);
  EXPECT_TRUE(find_link(links(A()), d));  // reconnects on demand
}

// The client opens a namespace once: a veth per request into the same peer namespace costs no
// open/close of /run/netns/PEER, and forget() lets go of it.
TEST_F(Netlink, PeerNamespaceIsOpenedOnce) {
  auto open_fds = [] { return kernel_test::list_dir("/proc/self/fd").size(); };
  ASSERT_TRUE(nl_->create_veth(A(), test_ifname("o0"), test_ifname("q0"), B(), 0).ok());
  const size_t after_first = open_fds();
  for (int i = 1; i < 20; ++i) {
    Status st = nl_->create_veth(A(), test_ifname("o" + std::to_string(i)),
                                 test_ifname("q" + std::to_string(i)), B(), 0);
    ASSERT_TRUE(st.ok()) << st.message();
  }
  EXPECT_EQ(open_fds(), after_first);
  EXPECT_EQ(links(B()).size(), 21u);  // lo and the 20 peers; opens a socket into B
  const size_t before_forget = open_fds();
  nl_->forget(B());  // B's socket and the fd naming B
  EXPECT_EQ(open_fds(), before_forget - 2);
}

// The applier forgets a namespace it deletes or makes; after that, requests go to the namespace
// now under that name, peers born there included.
TEST_F(Netlink, ForgottenNamespaceMadeAgainIsOpenedAgain) {
  ASSERT_TRUE(nl_->create_veth(A(), test_ifname("f0"), test_ifname("g0"), B(), 0).ok());
  ASSERT_TRUE(nl_->set_up(B(), test_ifname("g0")).ok());
  nl_->forget(B());
  b_.reset();
  b_ = std::make_unique<ScopedNetns>(test_name("b"));
  ASSERT_TRUE(b_->status().ok());
  Status st = nl_->create_veth(A(), test_ifname("f1"), test_ifname("g1"), B(), 0);
  ASSERT_TRUE(st.ok()) << st.message();
  EXPECT_TRUE(nl_->set_up(B(), test_ifname("g1")).ok());
  auto lb = links(B());
  EXPECT_TRUE(find_link(lb, test_ifname("g1")));
  EXPECT_FALSE(find_link(lb, test_ifname("g0")));
}

// Answers are read without peeking into a 32 KiB buffer, except those that carry links, which
// may be longer: one link with 300 alternative names is a ~40 KB message, in a dump and as the
// answer to the name lookup that add_address makes.
TEST_F(Netlink, LinksLongerThanTheReceiveBufferArriveWhole) {
  const std::string dev = test_ifname("big"), other = test_ifname("bigx");
  ASSERT_TRUE(make_pair(A(), dev).ok());
  const std::string batch = "/tmp/" + test_name("altnames.batch");
  {
    std::FILE* f = std::fopen(batch.c_str(), "w");
    ASSERT_NE(f, nullptr);
    for (int i = 0; i < 300; ++i)  // altnames: at most 127 bytes each
      std::fprintf(f, "link property add dev %s altname n%0120d\n", dev.c_str(), i);
    std::fclose(f);
  }
  int rc = std::system(("ip -n " + A() + " -batch " + batch + " >/dev/null 2>&1").c_str());
  std::remove(batch.c_str());
  if (rc != 0) NSPLAN_SKIP_OR_FAIL("ip could not add alternative names (kernel or iproute2 too old)");

  auto la = links(A());
  ASSERT_TRUE(find_link(la, dev)) << "the long message was lost";
  EXPECT_TRUE(find_link(la, other)) << "the message after the long one was lost";
  EXPECT_TRUE(find_link(la, dev)->up);
  Status st = nl_->add_address(A(), dev, "10.99.0.1/24");
  ASSERT_TRUE(st.ok()) << st.message();
  auto addrs = nl_->list_addresses(A());
  ASSERT_TRUE(addrs.ok()) << addrs.message();
  EXPECT_TRUE(has_address(addrs.value(), dev, "10.99.0.1/24"));
  // And the socket is still in step: the next request gets its own answer.
  EXPECT_TRUE(nl_->set_down(A(), dev).ok());
  EXPECT_FALSE(find_link(links(A()), dev)->up);
}

// 100 pairs and one group delete: all go, nothing else does. (Timings live in bench/.)
// The link of an ifindex, whatever its name now (a device given back by the kernel is found so):
// one RTM_GETLINK with ifi_index set; an ifindex no link has is no error.
TEST_F(Netlink, ALinkIsAskedForByItsIfindexWhateverItsName) {
  const std::string br = test_ifname("ib"), one = test_ifname("io"), renamed = test_ifname("ir");
  ASSERT_TRUE(nl_->create_bridge(A(), br).ok());
  ASSERT_TRUE(make_pair(A(), one).ok());
  ASSERT_TRUE(nl_->set_master(A(), one, br).ok());
  auto id = nl_->link_identity(A(), one);
  ASSERT_TRUE(id.ok()) << id.message();
  ASSERT_TRUE(nl_->set_down(A(), one).ok());  // a rename needs it down
  ASSERT_TRUE(nl_->rename_link(A(), one, renamed).ok());
  auto l = nl_->get_link_by_ifindex(A(), id.value().ifindex);
  ASSERT_TRUE(l.ok()) << l.message();
  ASSERT_TRUE(l.value().has_value());
  EXPECT_EQ(l.value()->name, renamed);
  EXPECT_EQ(l.value()->ifindex, id.value().ifindex);
  EXPECT_EQ(l.value()->kind, "veth");
  EXPECT_EQ(l.value()->master, br);
  EXPECT_FALSE(l.value()->up);
  // The same ifindex in the other namespace is not this link.
  auto elsewhere = nl_->get_link_by_ifindex(B(), id.value().ifindex);
  ASSERT_TRUE(elsewhere.ok()) << elsewhere.message();
  if (elsewhere.value()) {
    EXPECT_NE(elsewhere.value()->name, renamed);
  }
  ASSERT_TRUE(nl_->delete_link(A(), renamed).ok());
  auto gone = nl_->get_link_by_ifindex(A(), id.value().ifindex);
  ASSERT_TRUE(gone.ok()) << gone.message();
  EXPECT_FALSE(gone.value().has_value()) << "ENODEV is \"not there\"";
  EXPECT_EQ(nl_->get_link_by_ifindex(A(), 0).err(), EINVAL);
}

TEST_F(Netlink, ManyPairsGoWithOneGroupDelete) {
  const int n = 100;
  const uint32_t group = 4343;
  for (int i = 0; i < n; ++i) {
    Status st = nl_->create_veth(A(), test_ifname("m" + std::to_string(i)),
                                 test_ifname("n" + std::to_string(i)), B(), group);
    ASSERT_TRUE(st.ok()) << st.message();
    ASSERT_TRUE(nl_->set_up(A(), test_ifname("m" + std::to_string(i))).ok());
  }
  ASSERT_TRUE(nl_->create_veth(A(), test_ifname("keep"), test_ifname("keep2"), B(), 0).ok());
  ASSERT_TRUE(nl_->delete_group(A(), group).ok());
  EXPECT_EQ(links(B()).size(), 2u);  // lo and the pair outside the group
  EXPECT_TRUE(find_link(links(A()), test_ifname("keep")));
}

// What apply, plan and status ask in a namespace that is not the profile's: one link by name
// (its master named), the addresses of that link only, the routes through it only, each
// filtered by the kernel; and the members of a link group.
TEST_F(Netlink, OneLinkItsAddressesAndItsRoutesAreAskedForAlone) {
  const std::string br = test_ifname("br"), one = test_ifname("o"), two = test_ifname("t");
  ASSERT_TRUE(nl_->create_bridge(A(), br, 4646).ok());
  ASSERT_TRUE(make_pair(A(), one).ok());
  ASSERT_TRUE(make_pair(A(), two).ok());
  ASSERT_TRUE(nl_->set_master(A(), one, br).ok());
  ASSERT_TRUE(nl_->add_address(A(), one, "10.61.0.1/24").ok());
  ASSERT_TRUE(nl_->add_address(A(), two, "10.62.0.1/24").ok());
  ASSERT_TRUE(nl_->add_address(A(), two, "10.62.1.1/24").ok());
  RouteSpec via_one;
  via_one.netns = A();
  via_one.to = "10.71.0.0/16";
  via_one.via = "10.61.0.9";
  ASSERT_TRUE(nl_->add_route(via_one).ok());
  RouteSpec via_two = via_one;
  via_two.to = "10.72.0.0/16";
  via_two.via = "10.62.0.9";
  via_two.table = 77;
  ASSERT_TRUE(nl_->add_route(via_two).ok());

  auto l = nl_->get_link(A(), one);
  ASSERT_TRUE(l.ok()) << l.message();
  ASSERT_TRUE(l.value().has_value());
  EXPECT_EQ(l.value()->kind, "veth");
  EXPECT_EQ(l.value()->master, br);
  EXPECT_TRUE(l.value()->up);
  EXPECT_GT(l.value()->ifindex, 0);
  auto none = nl_->get_link(A(), test_ifname("none"));
  ASSERT_TRUE(none.ok()) << none.message();
  EXPECT_FALSE(none.value().has_value()) << "a missing link is not an error here";

  // Many at once, across the 256-request windows: in order, missing ones nullopt.
  std::vector<std::string> names;
  for (int i = 0; i < 300; ++i) names.push_back(i == 7 ? one : i == 290 ? br : test_ifname("n" + std::to_string(i)));
  auto many = nl_->get_links(A(), names);
  ASSERT_TRUE(many.ok()) << many.message();
  ASSERT_EQ(many.value().size(), names.size());
  for (size_t i = 0; i < names.size(); ++i) {
    if (i == 7 || i == 290) {
      ASSERT_TRUE(many.value()[i].has_value()) << names[i];
      EXPECT_EQ(many.value()[i]->name, names[i]);
    } else {
      EXPECT_FALSE(many.value()[i].has_value()) << names[i];
    }
  }
  EXPECT_EQ(many.value()[7]->master, br);
  EXPECT_EQ(many.value()[290]->kind, "bridge");
  // The socket still answers libnl's requests in order afterwards.
  auto after = nl_->get_link(A(), two);
  ASSERT_TRUE(after.ok() && after.value()) << after.message();

  auto t = nl_->get_link(A(), two);
  ASSERT_TRUE(t.ok() && t.value());
  auto addrs = nl_->addresses_of(A(), two, t.value()->ifindex);
  ASSERT_TRUE(addrs.ok()) << addrs.message();
  std::vector<std::string> v4;
  for (const AddressInfo& a : addrs.value()) {
    EXPECT_EQ(a.dev, two);
    if (a.family == 4) v4.push_back(a.cidr);
  }
  std::sort(v4.begin(), v4.end());
  EXPECT_EQ(v4, (std::vector<std::string>{"10.62.0.1/24", "10.62.1.1/24"})) << "only this link's addresses";

  auto main_one = nl_->routes_of(A(), 254, one, l.value()->ifindex);
  ASSERT_TRUE(main_one.ok()) << main_one.message();
  EXPECT_TRUE(find_route(main_one.value(), "10.71.0.0/16", 4));
  EXPECT_TRUE(find_route(main_one.value(), "10.61.0.0/24", 4)) << "the connected route is the link's too";
  for (const RouteInfo& r : main_one.value()) {
    EXPECT_EQ(r.dev, one) << r.to;
    EXPECT_EQ(r.table, 254u) << r.to;
  }
  auto table77 = nl_->routes_of(A(), 77, "", 0);
  ASSERT_TRUE(table77.ok()) << table77.message();
  ASSERT_EQ(table77.value().size(), 1u);
  EXPECT_EQ(table77.value()[0].to, "10.72.0.0/16");
  EXPECT_EQ(table77.value()[0].dev, two) << "named by ifindex after the dump";
  auto every = nl_->routes_of(A(), 0, two, t.value()->ifindex);
  ASSERT_TRUE(every.ok()) << every.message();
  EXPECT_TRUE(find_route(every.value(), "10.72.0.0/16", 4)) << "table 0 reads every table";
  EXPECT_FALSE(find_route(every.value(), "10.71.0.0/16", 4));

  auto members = nl_->group_members(A(), 4646);
  ASSERT_TRUE(members.ok()) << members.message();
  ASSERT_EQ(members.value().size(), 1u);
  EXPECT_EQ(members.value()[0].second, br);
  auto empty = nl_->group_members(A(), 4747);
  ASSERT_TRUE(empty.ok()) << empty.message();
  EXPECT_TRUE(empty.value().empty());

  // The socket is back to lenient checking: a whole-namespace dump still works after.
  auto all = nl_->list_addresses(A());
  ASSERT_TRUE(all.ok()) << all.message();
  EXPECT_TRUE(has_address(all.value(), one, "10.61.0.1/24"));
  EXPECT_TRUE(has_address(all.value(), two, "10.62.0.1/24"));
}

}  // namespace
}  // namespace nsplan::applier
