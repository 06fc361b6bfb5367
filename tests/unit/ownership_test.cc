// nsplan acts only on what it can show it made (issue "trust", item 2), against the simulated
// kernel: colliding link group hashes, a foreign link in the profile's group, a subject replaced
// behind nsplan's back, hand-edited and planted records, and an apply whose state cannot be saved.
// The same on the real kernel: tests/kernel/ownership_test.cc.
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "applier/executor.h"
#include "applier/record_check.h"
#include "applier/state.h"
#include "compiler/planner.h"
#include "tests/unit/fake_kernel.h"
#include "tests/unit/test_support.h"

namespace nsplan {
namespace {

namespace fs = std::filesystem;
using applier::ApplyOutcome;
using applier::DestroyOutcome;
using testing::FakeKernel;

// Two profile names whose link group hashes are equal (found by search; asserted below).
constexpr const char* kCollidingA = "nspt-c179599";
constexpr const char* kCollidingB = "nspt-c362382";

std::string bridge_profile(const std::string& name, const std::string& bridge) {
  return "nsplan: 1\nname: " + name + "\nnetwork:\n  links:\n    - {name: " + bridge + ", kind: bridge, addresses: [10.99.0.1/24]}\n";
}

// A state dir of its own and one profile's lock in it.
class StateDir {
 public:
  StateDir() {
    std::string tmpl = fs::temp_directory_path().string() + "/nsplan-ownership-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp");
    dir = tmpl;
  }
  ~StateDir() {
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  applier::ProfileState open(const std::string& profile) {
    auto s = applier::ProfileState::open(dir, profile, false);
    if (!s.ok()) throw std::runtime_error(s.message());
    return std::move(s).value();
  }
  void write(const std::string& file, const std::string& text) { std::ofstream(dir + "/" + file) << text; }
  std::string dir;
};

std::unique_ptr<Compilation> compiled(const std::string& text) {
  auto c = testing::compile_text(text);
  EXPECT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  return c;
}

uint32_t group_of(FakeKernel& k, const std::string& link) { return k.state().netns.at("").links.at(link).group; }

TEST(Ownership, CollidingNamesGetTheirOwnLinkGroupsAndDestroyDeletesOnlyItsOwn) {
  ASSERT_EQ(link_group_of(kCollidingA), link_group_of(kCollidingB));
  auto a = compiled(bridge_profile(kCollidingA, "br-nspt-a"));
  auto b = compiled(bridge_profile(kCollidingB, "br-nspt-b"));
  FakeKernel k;
  StateDir dir;
  auto sa = dir.open(kCollidingA);
  auto sb = dir.open(kCollidingB);
  ASSERT_TRUE(applier::apply_plan(*a->plan, k, sa).ok);
  ApplyOutcome ob = applier::apply_plan(*b->plan, k, sb);
  ASSERT_TRUE(ob.ok) << ob.error;
  EXPECT_EQ(group_of(k, "br-nspt-a"), link_group_of(kCollidingA));
  EXPECT_NE(group_of(k, "br-nspt-b"), group_of(k, "br-nspt-a")) << "the second profile took the first one's group";

  DestroyOutcome da = applier::destroy_profile(k, sa, a->plan->facts);
  EXPECT_TRUE(da.ok);
  EXPECT_FALSE(k.state().netns.at("").links.count("br-nspt-a"));
  EXPECT_TRUE(k.state().netns.at("").links.count("br-nspt-b")) << "destroying one profile deleted the other's bridge";
  // Re-applying keeps the group it has (recorded), and destroy removes it.
  ApplyOutcome again = applier::apply_plan(*b->plan, k, sb);
  EXPECT_TRUE(again.ok && again.changes.empty()) << again.error;
  EXPECT_TRUE(applier::destroy_profile(k, sb, b->plan->facts).ok);
  EXPECT_FALSE(k.state().netns.at("").links.count("br-nspt-b"));
}

// The claim reads the other profiles' state files: one that is not a state file is no group
// taken (and no reason to fail), one that is read gives its group away.
TEST(Ownership, TheLinkGroupClaimReadsOtherStatesAsInputOnly) {
  auto b = compiled(bridge_profile(kCollidingB, "br-nspt-b"));
  FakeKernel k;
  StateDir dir;
  dir.write(std::string(kCollidingA) + ".state", "{not json");
  dir.write("junk.state", std::string(100000, 'x'));
  auto sb = dir.open(kCollidingB);
  ApplyOutcome ob = applier::apply_plan(*b->plan, k, sb);
  ASSERT_TRUE(ob.ok) << ob.error;
  EXPECT_EQ(group_of(k, "br-nspt-b"), link_group_of(kCollidingB)) << "a damaged state file took a group";
  EXPECT_TRUE(applier::destroy_profile(k, sb, b->plan->facts).ok);
}

TEST(Ownership, AForeignLinkInTheProfilesGroupIsNeverDeleted) {
  auto a = compiled(bridge_profile("nspt-own", "br-nspt-own"));
  FakeKernel k;
  StateDir dir;
  auto s = dir.open("nspt-own");
  ASSERT_TRUE(applier::apply_plan(*a->plan, k, s).ok);
  // Someone puts a link of their own into the group afterwards.
  testing::FakeLink foreign;
  foreign.kind = "bridge";
  foreign.group = group_of(k, "br-nspt-own");
  k.mutable_state().netns[""].links["br-other"] = foreign;
  k.clear_calls();
  DestroyOutcome d = applier::destroy_profile(k, s, a->plan->facts);
  EXPECT_TRUE(d.ok) << (d.errors.empty() ? "" : d.errors.front());
  EXPECT_TRUE(k.state().netns.at("").links.count("br-other")) << k.trace();
  EXPECT_FALSE(k.state().netns.at("").links.count("br-nspt-own")) << k.trace();
  EXPECT_EQ(k.mutation_signatures(), (std::vector<std::string>{"group_del host:" + std::to_string(foreign.group),
                                                                 "link_del host:br-nspt-own"}));
}

TEST(Ownership, ASubjectReplacedBehindNsplansBackIsLeftAlone) {
  auto a = compiled("nsplan: 1\nname: nspt-cg\ncgroup: {path: nspt-cg, pids: {max: 10}}\n");
  FakeKernel k;
  StateDir dir;
  auto s = dir.open("nspt-cg");
  ASSERT_TRUE(applier::apply_plan(*a->plan, k, s).ok);
  // Removed and made again by someone else: same path, another directory.
  k.renew_id("cgroup /sys/fs/cgroup/nspt-cg");
  k.clear_calls();
  DestroyOutcome d = applier::destroy_profile(k, s, a->plan->facts);
  EXPECT_FALSE(d.ok);
  ASSERT_EQ(d.errors.size(), 1u);
  EXPECT_NE(d.errors[0].find("rmdir /sys/fs/cgroup/nspt-cg: /sys/fs/cgroup/nspt-cg is not what nsplan made or changed"),
            std::string::npos)
      << d.errors[0];
  EXPECT_TRUE(k.state().cgroups.count("/sys/fs/cgroup/nspt-cg"));
  EXPECT_TRUE(s.has_state()) << "the records stay while something of them could not be proven";
}

// Destroys profile nspt-x whose state file holds only RECORD (JSON), with FACTS, on K.
DestroyOutcome destroy_with_planted_record(FakeKernel& k, const std::string& record, HostFacts facts) {
  StateDir dir;
  dir.write("nspt-x.state", std::string(R"({"nsplan_state": 1, "profile": "nspt-x", "owned": [)") + record + "]}\n");
  auto s = dir.open("nspt-x");
  facts.state_dir = "/run/nsplan";
  return applier::destroy_profile(k, s, facts);
}

// A state file planted or edited by hand: each record outside what a profile could own is refused,
// naming it, and nothing at all is done.
TEST(Ownership, RecordsOutsideWhatAProfileCouldOwnAreRefusedBeforeAnythingIsDone) {
  const std::string id = R"("id": [1, 12345], )";
  const std::pair<const char*, std::string> cases[] = {
      {"is not below a cgroup hierarchy", R"({"key": "x", )" + id + R"("undo": "rmdir", "dir": "/sys/fs/cgroup"})"},
      {"is not a plain absolute path", R"({"key": "x", )" + id + R"("undo": "rmdir", "dir": "/sys/fs/cgroup/a/../../../etc"})"},
      {"is not below a cgroup hierarchy", R"({"key": "x", )" + id + R"("undo": "rmdir", "dir": "/etc/ssh"})"},
      {"'cgroup.procs' is not a file of a controller nsplan sets",
       R"({"key": "x", )" + id + R"("undo": "restore_file", "dir": "/sys/fs/cgroup/a", "file": "cgroup.procs", "value": "1"})"},
      {"'release_agent' is not a file of a controller nsplan sets",
       R"({"key": "x", )" + id + R"("undo": "restore_file", "dir": "/sys/fs/cgroup/a", "file": "release_agent", "value": "/tmp/x"})"},
      {"is not a namespace file in", R"({"key": "x", )" + id + R"("undo": "delete_ns", "path": "/etc/shadow"})"},
      {"is not a namespace file in", R"({"key": "x", )" + id + R"("undo": "delete_ns", "path": "/run/nsplan/ns/../../x.uts"})"},
      {"is not a network namespace name", R"({"key": "x", )" + id + R"("undo": "delete_netns", "name": "../../etc"})"},
      {"link group 1 is not one nsplan allocates",
       R"({"key": "x", )" + id + R"("undo": "delete_link", "netns": "", "name": "eth0", "group": 1})"},
      {"it carries no kernel identity", R"({"key": "x", "undo": "rmdir", "dir": "/sys/fs/cgroup/a"})"},
  };
  for (const auto& [expected, record] : cases) {
    SCOPED_TRACE(record);
    FakeKernel k;
    DestroyOutcome d = destroy_with_planted_record(k, record, HostFacts::stated(CgroupMode::V2));
    EXPECT_FALSE(d.ok);
    ASSERT_EQ(d.errors.size(), 1u);
    EXPECT_NE(d.errors[0].find(expected), std::string::npos) << d.errors[0];
    EXPECT_NE(d.errors[0].find("record 1"), std::string::npos) << d.errors[0];
    EXPECT_EQ(k.mutation_count(), 0u) << k.trace();
  }
}

// With --cgroup-parent, nsplan makes and writes cgroups only below the parent: a record of a
// cgroup beside it (the machine's own) is refused, one below it is not refused for its path.
TEST(Ownership, WithACgroupParentRecordsOutsideTheParentAreRefused) {
  const std::string id = R"("id": [1, 12345], )";
  const std::pair<std::string, std::string> cases[] = {
      {"is not below the cgroup parent 'nspt-delegated'",
       R"({"key": "x", )" + id + R"("undo": "rmdir", "dir": "/sys/fs/cgroup/system.slice/sshd.service"})"},
      {"is not below the cgroup parent 'nspt-delegated'",
       R"({"key": "x", )" + id + R"("undo": "restore_file", "dir": "/sys/fs/cgroup/user.slice", "file": "memory.max", "value": "max"})"},
      {"is not below the cgroup parent 'nspt-delegated'",
       R"({"key": "x", )" + id + R"("undo": "disable_controllers", "dir": "/sys/fs/cgroup", "controllers": ["memory"]})"},
      {"is not what nsplan made or changed",
       R"({"key": "x", )" + id + R"("undo": "rmdir", "dir": "/sys/fs/cgroup/nspt-delegated/a"})"},
  };
  for (const auto& [expected, record] : cases) {
    SCOPED_TRACE(record);
    FakeKernel k;
    k.mutable_state().cgroups["/sys/fs/cgroup/nspt-delegated/a"];
    HostFacts facts = HostFacts::stated(CgroupMode::V2);
    facts.cgroup_parent = "nspt-delegated";
    DestroyOutcome d = destroy_with_planted_record(k, record, facts);
    EXPECT_FALSE(d.ok);
    ASSERT_FALSE(d.errors.empty());
    EXPECT_NE(d.errors[0].find(expected), std::string::npos) << d.errors[0];
    EXPECT_EQ(k.mutation_count(), 0u) << k.trace();
  }
}

// Saving the state is the last step of an apply: when it fails, nothing of the apply may stay
// live without a record, and the outcome says how much was taken back.
class UnsavableState final : public applier::StateStore {
 public:
  applier::SysResult<std::vector<applier::Owned>> load() const override { return std::vector<applier::Owned>(); }
  applier::Status save(const std::vector<applier::Owned>&) const override {
    return applier::SysError{ENOSPC, "write nspt.state", 0, {}};
  }
  applier::Status remove_state() const override { return {}; }
  bool has_state() const override { return false; }
  applier::SysResult<std::vector<applier::Owned>> read_journal() const override { return std::vector<applier::Owned>(); }
  applier::Status journal_start() override { return {}; }
  applier::Status journal_append(const applier::Owned&) override { return {}; }
  applier::Status journal_remove() override { return {}; }
  std::string state_path() const override { return "/run/nsplan/nspt.state"; }
};

TEST(Ownership, AnApplyWhoseStateCannotBeSavedIsTakenBack) {
  auto a = compiled(bridge_profile("nspt-full", "br-nspt-full"));
  FakeKernel k;
  const auto before = k.snapshot();
  UnsavableState state;
  ApplyOutcome out = applier::apply_plan(*a->plan, k, state);
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.error.find("saving /run/nsplan/nspt.state"), std::string::npos) << out.error;
  EXPECT_TRUE(out.rollback_errors.empty());
  EXPECT_EQ(out.undone, out.changes.size());
  EXPECT_GT(out.undone, 0u);
  EXPECT_EQ(before, k.snapshot()) << testing::fake_state_diff(before, k.snapshot());
}

}  // namespace
}  // namespace nsplan

namespace nsplan {
namespace {

// A destroy killed half way leaves records of things it already removed; the next apply makes
// them again (new objects, new identities), and the destroy after that must know them as its own.
TEST(Ownership, WhatAKilledDestroyRemovedIsMadeAgainAndKnownByItsNewIdentity) {
  auto a = compiled("nsplan: 1\nname: nspt-again\ncgroup: {path: nspt-again/leaf, pids: {max: 10}}\n"
                    "network:\n  links:\n    - {name: br-nspt-ag, kind: bridge}\n");
  for (size_t k = 1; k <= 3; ++k) {
    SCOPED_TRACE("destroy killed at its change " + std::to_string(k));
    FakeKernel kernel;
    const auto initial = kernel.snapshot();
    StateDir dir;
    {
      auto s = dir.open("nspt-again");
      ASSERT_TRUE(applier::apply_plan(*a->plan, kernel, s).ok);
      kernel.clear_calls();
      kernel.crash_at_mutation(k, /*before_the_call=*/false);
      EXPECT_THROW((void)applier::destroy_profile(kernel, s, a->plan->facts), testing::FakeCrash);
      kernel.clear_faults();
    }
    auto s = dir.open("nspt-again");
    ApplyOutcome again = applier::apply_plan(*a->plan, kernel, s);
    ASSERT_TRUE(again.ok) << again.error;
    DestroyOutcome d = applier::destroy_profile(kernel, s, a->plan->facts);
    EXPECT_TRUE(d.ok) << (d.errors.empty() ? "" : d.errors.front());
    EXPECT_EQ(initial, kernel.snapshot()) << testing::fake_state_diff(initial, kernel.snapshot());
  }
}

}  // namespace
}  // namespace nsplan
