// What freeze, thaw and kill act on (applier/cgroup_control.h) and the membership key that gives
// a v1 profile its freezer cgroup (compiler/plan_cgroup.cc). The acts themselves are kernel
// tests (tests/kernel/task_control_test.cc).
#include <gtest/gtest.h>

#include <csignal>

#include "applier/cgroup_control.h"
#include "test_support.h"

namespace nsplan {
namespace {

using applier::Owned;
using applier::OwnedCgroup;
using applier::RemoveCgroup;

Owned made(const std::string& dir, uint64_t inode) {
  Owned o;
  o.key = "cgroup " + dir;
  o.undo = RemoveCgroup{dir};
  o.id = applier::KernelId{1, inode};
  return o;
}

TEST(CgroupControl, TheDeepestCgroupNsplanMadeInEachHierarchyIsActedOn) {
  std::vector<Owned> records = {made("/sys/fs/cgroup/pids/nsplan", 1), made("/sys/fs/cgroup/pids/nsplan/x", 2),
                                made("/sys/fs/cgroup/freezer/nsplan/x", 3), made("/sys/fs/cgroup/pids/nsplan-other", 4)};
  Owned value;
  value.undo = applier::RestoreCgroupFile{"/sys/fs/cgroup/pids/nsplan/x", "pids.max", "max"};
  records.push_back(value);
  std::vector<std::string> dirs;
  for (const OwnedCgroup& c : applier::owned_leaf_cgroups(records)) dirs.push_back(c.dir + "@" + std::to_string(c.id.object));
  // "nsplan-other" is not below "nsplan": a prefix of the name is not a parent.
  EXPECT_EQ(dirs, (std::vector<std::string>{"/sys/fs/cgroup/pids/nsplan/x@2", "/sys/fs/cgroup/freezer/nsplan/x@3",
                                            "/sys/fs/cgroup/pids/nsplan-other@4"}));
  EXPECT_TRUE(applier::owned_leaf_cgroups({}).empty());
}

TEST(CgroupControl, SignalsByNameOrNumber) {
  EXPECT_EQ(applier::signal_number("KILL"), SIGKILL);
  EXPECT_EQ(applier::signal_number("sigterm"), SIGTERM);
  EXPECT_EQ(applier::signal_number("SIGHUP"), SIGHUP);
  EXPECT_EQ(applier::signal_number("15"), 15);
  for (const char* bad : {"", "0", "65", "999", "FOO", "SIG", "-9", "9x", "SIGKILLX"})
    EXPECT_EQ(applier::signal_number(bad), 0) << bad;
}

std::string plan_text(const Compilation& c) {
  std::string out;
  for (const auto& step : c.plan->steps)
    if (auto* m = std::get_if<plan::MakeCgroup>(&step.action)) out += "mkdir " + m->dir + "\n";
    else if (auto* e = std::get_if<plan::EnableControllers>(&step.action)) {
      out += "enable " + e->dir + ":";
      for (const auto& x : e->controllers) out += " " + x;
      out += "\n";
    }
  return out;
}

TEST(Membership, OnV1TheCgroupIsMadeInEachListedHierarchyAndOnV2ControllersAreEnabled) {
  const char* text = "nsplan: 1\nname: m\ncgroup:\n  pids: {max: 5}\n  membership: [freezer, cpuacct, memory, \"name=app\"]\n";
  HostFacts v1 = HostFacts::stated(CgroupMode::V1);
  v1.v1_mounts["name=app"] = "/sys/fs/cgroup/app";
  v1.controllers.insert("name=app");
  auto c1 = testing::compile_with(text, v1);
  ASSERT_TRUE(c1->ok()) << render_all(c1->diags, c1->sources);
  EXPECT_EQ(plan_text(*c1),
            "mkdir /sys/fs/cgroup/pids/nsplan\nmkdir /sys/fs/cgroup/pids/nsplan/m\n"
            "mkdir /sys/fs/cgroup/freezer/nsplan\nmkdir /sys/fs/cgroup/freezer/nsplan/m\n"
            "mkdir /sys/fs/cgroup/cpuacct/nsplan\nmkdir /sys/fs/cgroup/cpuacct/nsplan/m\n"
            "mkdir /sys/fs/cgroup/memory/nsplan\nmkdir /sys/fs/cgroup/memory/nsplan/m\n"
            "mkdir /sys/fs/cgroup/app/nsplan\nmkdir /sys/fs/cgroup/app/nsplan/m\n");
  EXPECT_EQ(c1->plan->cgroup_dirs.size(), 5u) << "run and attach join each of them";

  // v2: memory is enabled (accounting without a limit); freezer and cpuacct need nothing; a
  // named hierarchy does not exist there (a warning, an error with --strict).
  auto c2 = testing::compile_text(text, CgroupMode::V2);
  ASSERT_TRUE(c2->ok());
  EXPECT_EQ(plan_text(*c2),
            "enable /sys/fs/cgroup: memory pids\nmkdir /sys/fs/cgroup/nsplan\n"
            "enable /sys/fs/cgroup/nsplan: memory pids\nmkdir /sys/fs/cgroup/nsplan/m\n");
  EXPECT_NE(render_all(c2->diags, c2->sources).find("p.yaml:5:42: warning: named v1 hierarchies do not exist on cgroup v2"),
            std::string::npos)
      << render_all(c2->diags, c2->sources);
  EXPECT_FALSE(testing::compile_text(text, CgroupMode::V2, true)->ok());

  // Membership alone makes the cgroup on v1 (cgconfig.conf's empty group).
  auto alone = testing::compile_text("nsplan: 1\nname: m\ncgroup:\n  membership: [cpuacct]\n", CgroupMode::V1);
  ASSERT_TRUE(alone->ok());
  EXPECT_EQ(plan_text(*alone), "mkdir /sys/fs/cgroup/cpuacct/nsplan\nmkdir /sys/fs/cgroup/cpuacct/nsplan/m\n");
}

TEST(Membership, UnknownTwiceAndUnmountedEntriesAreLocatedErrors) {
  auto errors = [](const std::string& list, CgroupMode mode = CgroupMode::V1) {
    auto c = testing::compile_text("nsplan: 1\nname: m\ncgroup:\n  membership: " + list + "\n", mode);
    return render_all(c->diags, c->sources);
  };
  EXPECT_NE(errors("[frezer]").find("p.yaml:4:16: error: 'frezer' is not a cgroup controller"), std::string::npos);
  EXPECT_NE(errors("[\"name=a/b\"]").find("is not a cgroup controller"), std::string::npos);
  EXPECT_NE(errors("[\"name=\"]").find("is not a cgroup controller"), std::string::npos);
  EXPECT_NE(errors("[freezer, freezer]").find("p.yaml:4:25: error: 'freezer' is listed twice"), std::string::npos);
  EXPECT_NE(errors("[\"name=systemd\"]").find("error: the name=systemd hierarchy is not mounted on this host"),
            std::string::npos);
}

}  // namespace
}  // namespace nsplan
