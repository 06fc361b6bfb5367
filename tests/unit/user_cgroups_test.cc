// What a user without root needs to apply or destroy a profile in a cgroup subtree delegated to
// them (applier/user_cgroups.h), and where their state goes by default (applier/state_dir.h).
#include <gtest/gtest.h>

#include <set>

#include "applier/state_dir.h"
#include "applier/user_cgroups.h"
#include "tests/unit/test_support.h"

namespace nsplan {
namespace {

using applier::UserCgroupNeeds;

std::vector<std::string> paths(const UserCgroupNeeds& n) {
  std::vector<std::string> out;
  for (const auto& w : n.writes) out.push_back(w.path);
  return out;
}

HostFacts delegated() {
  HostFacts f = HostFacts::stated(CgroupMode::V2);
  f.cgroup_parent = "user.slice/user-1000.slice/user@1000.service/app.slice";
  return f;
}
const std::string kBase = "/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/app.slice";

// Nothing made yet: the delegated directory (to make the cgroup in) and its subtree_control (to
// enable pids); the limit is written in the cgroup the user makes, so it needs nothing.
TEST(UserCgroups, AFirstApplyNeedsTheDelegatedDirectoryAndItsSubtreeControl) {
  auto c = testing::compile_with("nsplan: 1\nname: job\ncgroup:\n  path: job\n  pids: {max: 64}\n", delegated());
  ASSERT_TRUE(c->ok());
  std::set<std::string> there = {kBase, kBase + "/cgroup.subtree_control"};
  auto needs = applier::user_apply_needs(*c->plan, [&](const std::string& p) { return there.count(p) > 0; });
  EXPECT_TRUE(needs.root_only.empty());
  // In plan order: controllers are enabled in the parent before the cgroup is made.
  EXPECT_EQ(paths(needs), (std::vector<std::string>{kBase + "/cgroup.subtree_control", kBase}));
}

// Applied before: the cgroup is there, so its limit file must be writable (a cgroup that root
// made is not the user's), and making it needs nothing.
TEST(UserCgroups, AnExistingCgroupNeedsItsFilesWritable) {
  auto c = testing::compile_with("nsplan: 1\nname: job\ncgroup:\n  path: job\n  pids: {max: 64}\n", delegated());
  ASSERT_TRUE(c->ok());
  std::set<std::string> there = {kBase, kBase + "/cgroup.subtree_control", kBase + "/job", kBase + "/job/pids.max"};
  auto needs = applier::user_apply_needs(*c->plan, [&](const std::string& p) { return there.count(p) > 0; });
  EXPECT_EQ(paths(needs), (std::vector<std::string>{kBase + "/cgroup.subtree_control", kBase + "/job/pids.max"}));
}

// Nested cgroups the plan makes need only the first existing directory above them.
TEST(UserCgroups, NestedCgroupsNeedOnlyTheDirectoryAboveThem) {
  auto c = testing::compile_with("nsplan: 1\nname: job\ncgroup:\n  path: a/b/c\n", delegated());
  ASSERT_TRUE(c->ok());
  auto needs = applier::user_apply_needs(*c->plan, [&](const std::string& p) { return p == kBase; });
  EXPECT_EQ(paths(needs), (std::vector<std::string>{kBase}));
}

// Owners of files and device rules are root's, whatever the user may write.
TEST(UserCgroups, PermissionsAndDeviceRulesNeedRoot) {
  auto c = testing::compile_with(
      "nsplan: 1\nname: job\ncgroup:\n  path: job\n  permissions:\n    tasks: {user: \"0\"}\n"
      "  devices:\n    allow: [c 1:3 rwm]\n",
      delegated());
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  auto needs = applier::user_apply_needs(*c->plan, [](const std::string&) { return false; });
  ASSERT_EQ(needs.root_only.size(), 2u);
  const std::string both = needs.root_only[0] + "; " + needs.root_only[1];
  EXPECT_NE(both.find("device rules"), std::string::npos) << both;
  EXPECT_NE(both.find("cgroup.permissions"), std::string::npos) << both;
}

// On a systemd host without --cgroup-parent the plan asks systemd for a system unit: root's.
TEST(UserCgroups, TheUnitSystemdDelegatesNeedsRoot) {
  HostFacts f = HostFacts::stated(CgroupMode::V2);
  f.systemd = true;
  auto c = testing::compile_with("nsplan: 1\nname: job\ncgroup:\n  pids: {max: 64}\n", f);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  auto needs = applier::user_apply_needs(*c->plan, [](const std::string&) { return true; });
  ASSERT_EQ(needs.root_only.size(), 1u);
  EXPECT_NE(needs.root_only[0].find("system unit"), std::string::npos) << needs.root_only[0];
  std::vector<applier::Owned> records = {
      {"unit nsplan-job.service", applier::StopUnit{"nsplan-job.service", "/sys/fs/cgroup/system.slice/nsplan-job.service"}, {1, 2}, {}}};
  EXPECT_EQ(applier::user_undo_needs(records, [](const std::string&) { return true; }).root_only.size(), 1u);
}

// Undoing: removing a cgroup needs its parent; a cgroup already gone needs nothing.
TEST(UserCgroups, UndoNeedsTheParentOfEachCgroupStillThere) {
  std::vector<applier::Owned> records = {
      {"a", applier::DisableControllers{kBase, {"pids"}}, {}, {}},
      {"b", applier::RemoveCgroup{kBase + "/job"}, {}, {}},
      {"c", applier::RemoveCgroup{kBase + "/gone"}, {}, {}},
      {"d", applier::DeleteNetns{"lab"}, {}, {}},
  };
  std::set<std::string> there = {kBase, kBase + "/cgroup.subtree_control", kBase + "/job"};
  auto needs = applier::user_undo_needs(records, [&](const std::string& p) { return there.count(p) > 0; });
  EXPECT_TRUE(needs.root_only.empty());
  EXPECT_EQ(paths(needs), (std::vector<std::string>{kBase + "/cgroup.subtree_control", kBase}));
}

// freeze, thaw and kill write the freezer and kill files the cgroup has.
TEST(UserCgroups, ControlNeedsTheFreezeAndKillFilesThere) {
  std::set<std::string> there = {kBase + "/job/cgroup.freeze", kBase + "/job/cgroup.kill"};
  auto needs = applier::user_control_needs({kBase + "/job"}, [&](const std::string& p) { return there.count(p) > 0; });
  EXPECT_EQ(paths(needs), (std::vector<std::string>{kBase + "/job/cgroup.freeze", kBase + "/job/cgroup.kill"}));
}

TEST(DefaultStateDir, RootKeepsRunNsplan) {
  EXPECT_EQ(applier::default_state_dir(0, "/run/user/0", true), "/run/nsplan");
}

TEST(DefaultStateDir, AUserGetsTheirRuntimeDir) {
  EXPECT_EQ(applier::default_state_dir(1000, "/run/user/1000", true), "/run/user/1000/nsplan");
  EXPECT_EQ(applier::default_state_dir(1000, "/tmp/xdg/", true), "/tmp/xdg/nsplan");
  // Unset, relative, or not the user's own directory: pam_systemd's /run/user/UID.
  EXPECT_EQ(applier::default_state_dir(1000, nullptr, false), "/run/user/1000/nsplan");
  EXPECT_EQ(applier::default_state_dir(1000, "run/user/1000", true), "/run/user/1000/nsplan");
  EXPECT_EQ(applier::default_state_dir(1000, "/run/user/1001", false), "/run/user/1000/nsplan");
}

}  // namespace
}  // namespace nsplan
