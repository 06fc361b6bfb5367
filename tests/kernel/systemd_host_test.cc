// nsplan on a host where systemd owns the cgroup v2 tree: the profile's cgroups go below a
// transient unit systemd delegates (plan::DelegatedUnit). These run in the VM that boots Debian's
// systemd as PID 1 (tests/vm/run.sh systemd); CTest leaves them out of the other runs, where there
// is no systemd to ask. Not in a sandbox: a sandbox's own /run would hide systemd's socket
// (/run/systemd/private), and the VM is thrown away after the run. Names carry the test prefix.
#include <gtest/gtest.h>
#include <stdio.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <string>

#include "kernel/kernel_test_env.h"
#include "kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

struct Ran {
  int status = -1;
  std::string out;  // stdout and stderr
};

Ran sh(const std::string& command) {
  Ran r;
  FILE* p = ::popen((command + " 2>&1").c_str(), "r");
  if (!p) return r;
  char buf[4096];
  size_t n;
  while ((n = std::fread(buf, 1, sizeof buf, p)) > 0) r.out.append(buf, n);
  int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : -1;
  return r;
}

class SystemdHost : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    struct stat st {};
    if (::lstat("/run/systemd/system", &st) != 0 || !S_ISDIR(st.st_mode))
      NSPLAN_SKIP_OR_FAIL("systemd is not PID 1 here (the VM of tests/vm/run.sh systemd is)");
    name_ = test_name("sd");
    unit_ = "nsplan-" + name_ + ".service";
    unit_dir_ = "/sys/fs/cgroup/system.slice/" + unit_;
    dir_ = "/tmp/" + name_;
    ASSERT_EQ(sh("rm -rf " + shq(dir_) + " && mkdir -p " + shq(dir_)).status, 0);
    profile_ = dir_ + "/" + name_ + ".yaml";
    write_profile("  memory: {max: 300M}\n  pids: {max: 64}\n");
  }
  void TearDown() override {
    if (name_.empty()) return;
    sh(nsplan("destroy " + shq(name_)));
    sh("systemctl stop " + shq(unit_));
    sh("rm -rf " + shq(dir_));
  }
  void write_profile(const std::string& cgroup_keys) {
    ASSERT_TRUE(write_text(profile_, "nsplan: 1\nname: " + name_ + "\ncgroup:\n" + cgroup_keys));
  }
  // `nsplan VERB --state-dir DIR REST` (the options before a run's `--`).
  std::string nsplan(const std::string& verb_and_rest) const {
    const size_t space = verb_and_rest.find(' ');
    return shq(nsplan_binary()) + " " + verb_and_rest.substr(0, space) + " --state-dir " + shq(dir_ + "/state") +
           (space == std::string::npos ? "" : verb_and_rest.substr(space));
  }
  std::string unit_property(const std::string& property) const {
    return trim(sh("systemctl show --value -p " + property + " " + shq(unit_)).out);
  }

  std::string name_, unit_, unit_dir_, dir_, profile_;
};

TEST_F(SystemdHost, ApplyMakesTheCgroupsBelowADelegatedUnitAndDestroyStopsIt) {
  Ran explain = sh(shq(nsplan_binary()) + " explain " + shq(profile_));
  ASSERT_EQ(explain.status, 0) << explain.out;
  EXPECT_TRUE(contains(explain.out, "systemd-run '--quiet' '--unit=" + unit_ + "'")) << explain.out;
  EXPECT_TRUE(contains(explain.out, "'--property=Delegate=yes'")) << explain.out;
  EXPECT_TRUE(contains(explain.out, "'/bin/sleep' 'infinity'")) << explain.out;
  EXPECT_TRUE(contains(explain.out, "mkdir -p '" + unit_dir_ + "/" + name_ + "'")) << explain.out;

  Ran apply = sh(nsplan("apply " + shq(profile_)));
  ASSERT_EQ(apply.status, 0) << apply.out;
  EXPECT_EQ(unit_property("ActiveState"), "active");
  EXPECT_EQ(unit_property("Delegate"), "yes");
  EXPECT_EQ(unit_property("Transient"), "yes");
  EXPECT_EQ(unit_property("ControlGroup"), "/system.slice/" + unit_);
  const std::string leaf = unit_dir_ + "/" + name_;
  EXPECT_EQ(trim(read_file(leaf + "/memory.max")), "314572800");
  EXPECT_EQ(trim(read_file(leaf + "/pids.max")), "64");
  EXPECT_TRUE(contains(read_file(unit_dir_ + "/cgroup.subtree_control"), "memory"));

  // systemd leaves a delegated subtree alone, also across a reload of its configuration.
  ASSERT_EQ(sh("systemctl daemon-reload").status, 0);
  Ran status = sh(nsplan("status " + shq(name_)));
  EXPECT_EQ(status.status, 0) << status.out;
  Ran again = sh(nsplan("apply " + shq(profile_)));
  EXPECT_EQ(again.status, 0) << again.out;
  EXPECT_TRUE(contains(again.out, "no changes")) << "a second apply changed something:\n" << again.out;

  Ran destroy = sh(nsplan("destroy " + shq(name_)));
  ASSERT_EQ(destroy.status, 0) << destroy.out;
  EXPECT_TRUE(contains(destroy.out, "stop systemd unit " + unit_)) << destroy.out;
  EXPECT_NE(unit_property("LoadState"), "loaded");
  EXPECT_FALSE(path_exists(unit_dir_));
}

TEST_F(SystemdHost, RunStartsTheCommandBelowTheUnit) {
  Ran run = sh(nsplan("run " + shq(profile_) + " -- cat /proc/self/cgroup"));
  ASSERT_EQ(run.status, 0) << run.out;
  EXPECT_TRUE(contains(run.out, "0::/system.slice/" + unit_ + "/" + name_ + "\n")) << run.out;
}

TEST_F(SystemdHost, AUnitStoppedByHandIsSeenAndMadeAgain) {
  ASSERT_EQ(sh(nsplan("apply " + shq(profile_))).status, 0);
  // Stopping the unit takes its cgroup and everything below with it.
  ASSERT_EQ(sh("systemctl stop " + shq(unit_)).status, 0);
  EXPECT_FALSE(path_exists(unit_dir_));
  Ran status = sh(nsplan("status " + shq(name_)));
  EXPECT_EQ(status.status, 4) << status.out;
  Ran apply = sh(nsplan("apply " + shq(profile_)));
  ASSERT_EQ(apply.status, 0) << apply.out;
  EXPECT_EQ(unit_property("ActiveState"), "active");
  EXPECT_EQ(trim(read_file(unit_dir_ + "/" + name_ + "/pids.max")), "64");
  Ran destroy = sh(nsplan("destroy " + shq(name_)));
  EXPECT_EQ(destroy.status, 0) << destroy.out;
  EXPECT_FALSE(path_exists(unit_dir_));
}

TEST_F(SystemdHost, AControllerSystemdDoesNotDelegateIsRefusedBeforeAnythingChanges) {
  write_profile("  memory: {max: 300M}\n  hugetlb: [{page: 2M, max: 64M}]\n");
  Ran apply = sh(nsplan("apply " + shq(profile_)));
  EXPECT_NE(apply.status, 0);
  EXPECT_TRUE(contains(apply.out, "systemd does not delegate the hugetlb controller")) << apply.out;
  EXPECT_NE(unit_property("LoadState"), "loaded");
  EXPECT_FALSE(path_exists(unit_dir_));
}

TEST_F(SystemdHost, ACgroupParentGivenIsUsedAsIsWithoutAUnit) {
  // A subtree the admin delegated already: systemd is not asked.
  const std::string parent_unit = "nsplan-t-" + std::to_string(::getpid()) + "-parent.service";
  // As an admin delegates one: a unit kept by its process, which leaves the unit's own cgroup.
  const std::string parent_dir = "/sys/fs/cgroup/system.slice/" + parent_unit;
  ASSERT_EQ(sh("systemd-run --quiet --unit=" + shq(parent_unit) + " -p Type=exec -p Delegate=yes /bin/sleep infinity").status, 0);
  ASSERT_EQ(sh("mkdir " + shq(parent_dir + "/supervisor") + " && systemctl show --value -p MainPID " + shq(parent_unit) + " > " +
               shq(parent_dir + "/supervisor/cgroup.procs")).status, 0);
  Ran apply = sh(nsplan("apply " + shq(profile_) + " --cgroup-parent " + shq("system.slice/" + parent_unit)));
  EXPECT_EQ(apply.status, 0) << apply.out;
  EXPECT_NE(unit_property("LoadState"), "loaded");
  EXPECT_EQ(trim(read_file(parent_dir + "/nsplan/" + name_ + "/pids.max")), "64");  // the usual nsplan/NAME below a parent
  Ran destroy = sh(nsplan("destroy " + shq(name_) + " --cgroup-parent " + shq("system.slice/" + parent_unit)));
  EXPECT_EQ(destroy.status, 0) << destroy.out;
  sh("systemctl stop " + shq(parent_unit));
}

// The boot unit (contrib/systemd/nsplan@.service.in) under a real systemd: its start applies the
// profile found by name in /etc/nsplan, its reload applies again, its stop destroys, the
// delegated unit with it.
TEST_F(SystemdHost, TheBootUnitAppliesReloadsAndDestroys) {
  std::string unit_file = read_file(source_dir() + "/contrib/systemd/nsplan@.service.in");
  ASSERT_FALSE(unit_file.empty());
  for (size_t at; (at = unit_file.find("@NSPLAN_BINARY@")) != std::string::npos;) unit_file.replace(at, 15, nsplan_binary());
  const std::string template_path = "/etc/systemd/system/nsplan@.service";
  const std::string etc_profile = "/etc/nsplan/" + name_ + ".yaml";
  ASSERT_FALSE(path_exists(template_path)) << "the VM has its own " << template_path;
  ASSERT_TRUE(write_text(template_path, unit_file));
  ASSERT_EQ(sh("mkdir -p /etc/nsplan && chmod 0755 /etc/nsplan && cp " + shq(profile_) + " " + shq(etc_profile) + " && chmod 0644 " +
               shq(etc_profile) + " && systemctl daemon-reload").status, 0);
  const std::string instance = "nsplan@" + name_ + ".service";

  Ran start = sh("systemctl start " + shq(instance));
  EXPECT_EQ(start.status, 0) << start.out << sh("systemctl status --no-pager " + shq(instance)).out;
  EXPECT_EQ(trim(sh("systemctl show --value -p ActiveState " + shq(instance)).out), "active");
  EXPECT_EQ(unit_property("ActiveState"), "active");
  EXPECT_EQ(trim(read_file(unit_dir_ + "/" + name_ + "/pids.max")), "64");

  write_profile("  memory: {max: 300M}\n  pids: {max: 99}\n");
  ASSERT_EQ(sh("cp " + shq(profile_) + " " + shq(etc_profile)).status, 0);
  Ran reload = sh("systemctl reload " + shq(instance));
  EXPECT_EQ(reload.status, 0) << reload.out;
  EXPECT_EQ(trim(read_file(unit_dir_ + "/" + name_ + "/pids.max")), "99");

  Ran stop = sh("systemctl stop " + shq(instance));
  EXPECT_EQ(stop.status, 0) << stop.out;
  EXPECT_NE(unit_property("LoadState"), "loaded");
  EXPECT_FALSE(path_exists(unit_dir_));

  sh("rm -f " + shq(template_path) + " " + shq(etc_profile) + " && systemctl daemon-reload");
}

// A subtree systemd delegates to a user (a unit with User= and Delegate=yes, as user@UID.service
// is): that user applies, runs and destroys the profile there without root.
TEST_F(SystemdHost, AUserAppliesIntoTheSubtreeSystemdDelegatedToThem) {
  const std::string unit = test_name("user") + ".service";
  const std::string dir = "/sys/fs/cgroup/system.slice/" + unit;
  const std::string state = "/tmp/" + test_name("user-state");
  auto as_nobody = [](const std::string& command) { return sh("setpriv --reuid=65534 --regid=65534 --clear-groups " + command); };
  struct StopAtEnd {
    std::string unit, state;
    ~StopAtEnd() { sh("systemctl stop " + shq(unit) + "; rm -rf " + shq(state)); }
  } stop_at_end{unit, state};
  ASSERT_EQ(sh("systemd-run --quiet --unit=" + shq(unit) + " -p Type=exec -p Delegate=yes -p User=nobody /bin/sleep infinity").status, 0);
  struct stat st {};
  ASSERT_EQ(::stat(dir.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u) << "systemd gives the delegated cgroup to the unit's user";
  // The user moves their own process out of the unit's cgroup, as systemd's documentation asks.
  // (The unit's process id from root: the user has no bus to systemd in this VM.)
  const std::string pid = trim(sh("systemctl show --value -p MainPID " + shq(unit)).out);
  Ran moved = as_nobody("sh -c " + shq("mkdir " + dir + "/supervisor && echo " + pid + " > " + dir + "/supervisor/cgroup.procs"));
  ASSERT_EQ(moved.status, 0) << moved.out;
  ASSERT_EQ(sh("rm -rf " + shq(state) + " && mkdir -m 0700 " + shq(state) + " && chown 65534:65534 " + shq(state) + " && chmod 0755 " +
               shq(dir_) + " && chmod 0644 " + shq(profile_)).status, 0);
  const std::string opts = " --state-dir " + shq(state) + " --cgroup-parent " + shq("system.slice/" + unit);

  Ran apply = as_nobody(shq(nsplan_binary()) + " apply" + opts + " " + shq(profile_));
  EXPECT_EQ(apply.status, 0) << apply.out;
  const std::string leaf = dir + "/nsplan/" + name_;
  EXPECT_EQ(trim(read_file(leaf + "/pids.max")), "64");
  ASSERT_EQ(::stat(leaf.c_str(), &st), 0);
  EXPECT_EQ(st.st_uid, 65534u);
  // From outside the subtree the kernel refuses the move (the common ancestor's cgroup.procs is
  // root's), and nsplan says so before trying; from a process inside it, as a session running in
  // user@UID.service, it works.
  Ran outside = as_nobody(shq(nsplan_binary()) + " run" + opts + " " + shq(profile_) + " -- cat /proc/self/cgroup");
  EXPECT_EQ(outside.status, 3) << outside.out;
  EXPECT_TRUE(contains(outside.out, "common ancestor")) << outside.out;
  Ran run = sh("sh -c " + shq("echo $$ > " + dir + "/supervisor/cgroup.procs && exec setpriv --reuid=65534 --regid=65534 --clear-groups " +
                              shq(nsplan_binary()) + " run" + opts + " " + shq(profile_) + " -- cat /proc/self/cgroup"));
  EXPECT_EQ(run.status, 0) << run.out;
  EXPECT_TRUE(contains(run.out, "0::/system.slice/" + unit + "/nsplan/" + name_ + "\n")) << run.out;
  Ran destroy = as_nobody(shq(nsplan_binary()) + " destroy" + opts + " " + shq(name_));
  EXPECT_EQ(destroy.status, 0) << destroy.out;
  EXPECT_FALSE(path_exists(leaf));
  EXPECT_TRUE(path_exists(dir + "/supervisor")) << "the user's own cgroup was not nsplan's to remove";
}

}  // namespace
}  // namespace nsplan::kernel_test
