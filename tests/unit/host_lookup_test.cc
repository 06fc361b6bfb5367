// apply, plan and status look at the host's network namespace only through what the profile
// names (a link by name, its addresses, the routes through it), never through a dump of every
// link, address or route there: their cost follows the profile, not the host (issue 14). Against
// FakeKernel, whose trace tells a dump ("links", "addrs", "routes") from a lookup ("link",
// "addrs_of", "routes_of"). The real kernel's filtered requests: tests/kernel/netlink_test.cc.
#include <gtest/gtest.h>

#include <string>

#include "applier/executor.h"
#include "applier/state.h"
#include "compiler/planner.h"
#include "tests/unit/fake_kernel.h"
#include "tests/unit/test_support.h"

namespace nsplan {
namespace {

using testing::FakeKernel;
using testing::FakeLink;
using testing::FakeRoute;

// lab.yaml's shape (a host bridge with an address, veths whose peers are born in the profile's
// namespaces), plus what lab.yaml lacks on the host: a route through the bridge and a route by
// gateway only (its device found by the kernel).
const char* kProfile = R"(nsplan: 1
name: hostlook
network:
  namespaces: [hl-a]
  links:
    - name: br-hl
      kind: bridge
      addresses: [10.77.0.1/24]
    - name: veth-hl
      kind: veth
      master: br-hl
      peer: {name: eth0, netns: hl-a, addresses: [10.77.0.2/24]}
  routes:
    - {to: 10.78.0.0/16, via: 10.77.0.2, dev: br-hl}
    - {to: 10.79.0.0/16, via: 10.77.0.2}
    - {netns: hl-a, to: default, via: 10.77.0.1}
)";

// A host carrying N links of others, each with an address and a route.
void crowd(FakeKernel& k, int n) {
  auto& host = k.mutable_state().netns[""];
  for (int i = 0; i < n; ++i) {
    std::string name = "other" + std::to_string(i);
    FakeLink l;
    l.kind = "dummy";
    l.up = true;
    l.group = 7;
    host.links[name] = l;
    host.addresses.insert({name, "172.16." + std::to_string(i / 250) + "." + std::to_string(i % 250 + 1) + "/32"});
    host.routes.insert(FakeRoute{"10.200." + std::to_string(i / 250) + "." + std::to_string(i % 250) + "/32", "", name, 254, 0, 4});
  }
}

// The host-wide dumps in the trace (there must be none).
std::string host_dumps(const FakeKernel& k) {
  std::string out;
  for (const auto& c : k.calls())
    if (c.ns.empty() && (c.op == "links" || c.op == "addrs" || c.op == "routes")) out += c.text + "\n";
  return out;
}

// The dumps of namespace NETNS in the trace.
std::string dumps_of(const FakeKernel& k, const std::string& netns) {
  std::string out;
  for (const auto& c : k.calls())
    if (c.ns == netns && (c.op == "links" || c.op == "addrs" || c.op == "routes")) out += c.text + "\n";
  return out;
}

// What one apply did: its reads and changes, and any dump of the host among the reads.
struct ApplyRun {
  size_t reads = 0;
  size_t mutations = 0;
  std::string dumps;
  bool ok = false;
  std::string error;
};

class HostLookup : public ::testing::Test {
 protected:
  void SetUp() override {
    compiled_ = testing::compile_text(kProfile);
    ASSERT_TRUE(compiled_->ok()) << render_all(compiled_->diags, compiled_->sources);
  }
  const plan::Plan& plan() const { return *compiled_->plan; }
  ApplyRun apply(FakeKernel& k, applier::StateStore& state) {
    k.clear_calls();
    applier::ApplyOutcome out = applier::apply_plan(plan(), k, state);
    ApplyRun r;
    r.ok = out.ok;
    r.error = out.error;
    r.mutations = k.mutation_count();
    r.reads = k.calls().size() - r.mutations;
    r.dumps = host_dumps(k);
    return r;
  }
  std::unique_ptr<Compilation> compiled_;
};

TEST_F(HostLookup, ApplyReadsTheSameOnAnEmptyAndOnACrowdedHost) {
  FakeKernel empty, crowded;
  crowd(crowded, 1000);
  applier::MemoryState s1, s2;
  ApplyRun a = apply(empty, s1);
  ApplyRun b = apply(crowded, s2);
  ASSERT_TRUE(a.ok) << a.error;
  ASSERT_TRUE(b.ok) << b.error;
  EXPECT_EQ(b.dumps, "") << "apply dumped the host:\n" << crowded.trace();
  EXPECT_EQ(a.reads, b.reads) << "the reads of apply grow with the host's links";
  EXPECT_EQ(a.mutations, b.mutations);
}

// A namespace the apply has just made holds lo and nothing else of interest: its links are asked
// for by name, and its addresses and routes are the apply's own, not dumped (issue 14).
TEST_F(HostLookup, ANamespaceTheApplyMakesIsAskedByNameNotDumped) {
  FakeKernel k;
  applier::MemoryState state;
  ApplyRun first = apply(k, state);
  ASSERT_TRUE(first.ok) << first.error;
  EXPECT_EQ(dumps_of(k, "hl-a"), "") << k.trace();
  EXPECT_NE(k.trace().find("  link lo in hl-a\n"), std::string::npos) << "lo was not asked for:\n" << k.trace();
  // What the namespace holds is what the profile says: the peer, its address, the default route.
  const auto& made = k.state().netns.at("hl-a");
  EXPECT_EQ(made.links.count("eth0"), 1u);
  EXPECT_EQ(made.addresses.count({"eth0", "10.77.0.2/24"}), 1u);
  EXPECT_EQ(made.routes.size(), 1u);
  // Applied again, the namespace is there and is the profile's: it may be dumped, and all of it
  // is found in place.
  ApplyRun again = apply(k, state);
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.mutations, 0u) << k.trace();
}

TEST_F(HostLookup, AReapplyFindsEverythingInPlaceWithoutDumpingTheHost) {
  FakeKernel k;
  crowd(k, 300);
  applier::MemoryState state;
  ASSERT_TRUE(apply(k, state).ok);
  ApplyRun again = apply(k, state);
  ASSERT_TRUE(again.ok) << again.error;
  EXPECT_EQ(again.mutations, 0u) << "the host's address and routes were not found:\n" << k.trace();
  EXPECT_EQ(again.dumps, "") << k.trace();
}

TEST_F(HostLookup, PlanAndStatusDoNotDumpTheHost) {
  FakeKernel k;
  crowd(k, 300);
  applier::MemoryState state;
  ASSERT_TRUE(apply(k, state).ok);
  auto owned = state.load();
  ASSERT_TRUE(owned.ok());

  k.clear_calls();
  applier::Diff d = applier::diff_plan(plan(), k, owned.value());
  EXPECT_TRUE(d.changes.empty());
  EXPECT_EQ(host_dumps(k), "") << k.trace();

  k.clear_calls();
  std::string status = applier::status_json(plan(), k);
  EXPECT_NE(status.find("\"present\": true"), std::string::npos) << status;
  EXPECT_EQ(status.find("\"present\": false"), std::string::npos) << status;
  EXPECT_EQ(host_dumps(k), "") << k.trace();
}

// A changed value is found by the lookups too: the bridge's address taken away by hand.
TEST_F(HostLookup, ADriftOnTheHostIsSeenByTheLookups) {
  FakeKernel k;
  crowd(k, 50);
  applier::MemoryState state;
  ASSERT_TRUE(apply(k, state).ok);
  k.mutable_state().netns[""].addresses.erase({"br-hl", "10.77.0.1/24"});
  auto owned = state.load();
  ASSERT_TRUE(owned.ok());
  applier::Diff d = applier::diff_plan(plan(), k, owned.value());
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_NE(d.changes[0].text.find("10.77.0.1/24"), std::string::npos) << d.changes[0].text;
}

// A read of the host that fails is not "absent": the re-apply stops and changes nothing.
TEST_F(HostLookup, AFailedLookupIsNotAbsence) {
  for (const char* read : {"addrs of br-hl", "link br-hl", "routes of br-hl", "routes of table 254"}) {
    SCOPED_TRACE(read);
    FakeKernel k;
    applier::MemoryState state;
    ASSERT_TRUE(apply(k, state).ok);
    testing::FakeState before = k.state();
    k.fail_calls_containing(read, EIO);
    ApplyRun again = apply(k, state);
    EXPECT_FALSE(again.ok) << k.trace();
    EXPECT_EQ(again.mutations, 0u) << k.trace();
    EXPECT_TRUE(k.state() == before) << k.trace();
  }
}

}  // namespace
}  // namespace nsplan
