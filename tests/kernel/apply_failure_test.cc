// End-to-end tests of nsplan apply when things go wrong, on the real kernel (issue 3): rollback
// after a step the kernel refuses, a missing controller, lock contention, and recovery after
// apply is killed in the middle (NSPLAN_TEST_CRASH_AFTER). As in apply_test.cc, every nsplan
// command runs inside a Sandbox under a cgroup parent the test made (tests/kernel/sandbox.h).
#include <sys/file.h>

#include <chrono>
#include <nlohmann/json.hpp>
#include <regex>
#include <string>
#include <vector>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

using nlohmann::json;

// "PATH:LINE:COL" of the first occurrence of NEEDLE in TEXT (the column of its first byte).
std::string where_in(const std::string& path, const std::string& text, const std::string& needle) {
  size_t at = text.find(needle);
  if (at == std::string::npos) return path + ":?:?";
  size_t line = 1 + std::count(text.begin(), text.begin() + static_cast<long>(at), '\n');
  size_t bol = text.rfind('\n', at);
  size_t col = at - (bol == std::string::npos ? 0 : bol + 1) + 1;
  return path + ":" + std::to_string(line) + ":" + std::to_string(col);
}

// `ip -o link show DEV` without the statistics that may move.
std::string link_line(Sandbox& sb, const std::string& dev) {
  return trim(sb.run("ip -o link show dev " + shq(dev)).out);
}

class ApplyFails : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    ASSERT_TRUE(host_probe().ok) << host_probe().error;
    ASSERT_TRUE(tmp_.ok());
  }
  bool v2() const { return host_probe().facts.mode == CgroupMode::V2; }
  TempDir tmp_;
};

// ---- 5a. a link name that exists already: EEXIST, everything of this apply undone -------------

const char* kDupProfile =
    "nsplan: 1\n"
    "name: nspt-dup\n"
    "cgroup:\n"
    "  path: dup\n"
    "  memory: {max: 1G}\n"
    "  pids: {max: 64}\n"
    "network:\n"
    "  namespaces: [nspt-dup-ns]\n"
    "  links:\n"
    "    - name: nsptbr0\n"
    "      kind: bridge\n"
    "      addresses: [10.211.0.1/24]\n"
    "    - name: nsptdup\n"
    "      kind: veth\n"
    "      peer: {name: eth0, netns: nspt-dup-ns}\n";

TEST_F(ApplyFails, ExistingLinkRollsBackEverythingAndKeepsTheLink) {
  const std::string path = tmp_.write("dup.yaml", kDupProfile);
  NSPLAN_PREPARE(p, path);
  const std::string parent = p.parent->name();
  NSPLAN_SANDBOX(sb, tmp_.path());
  // Not ours to take: a bridge where the profile wants a veth of that name.
  RunResult pre = sb.run("ip link add nsptdup type bridge && ip link set nsptdup mtu 1400");
  ASSERT_EQ(pre.code(), 0) << pre.describe();
  const std::string before = link_line(sb, "nsptdup");
  ASSERT_TRUE(contains(before, "nsptdup")) << before;

  RunResult apply = sb.run(nsplan_cmd("apply", path, parent));
  EXPECT_EQ(apply.code(), 3) << apply.describe();
  const std::string at = where_in(path, kDupProfile, "name: nsptdup");
  EXPECT_TRUE(contains(apply.err, at + ": error: ")) << "expected " << at << "\n" << apply.describe();
  EXPECT_TRUE(contains(apply.err, "File exists")) << apply.describe();
  EXPECT_TRUE(contains(apply.err, "rolled back: nothing of this apply is left")) << apply.describe();
  // The cgroups (memory, pids), the namespace, the bridge and its address are all gone again.
  EXPECT_EQ(leftovers_in(sb, p.parent.get(), "nspt-dup", {"nsptdup"}), std::vector<std::string>{});
  EXPECT_EQ(link_line(sb, "nsptdup"), before) << "the link that was there before was changed";

  RunResult status = sb.run(nsplan_cmd("status", path, parent, "--json"));
  EXPECT_EQ(items_not(parse_status(status), false), std::vector<std::string>{}) << status.out;
  RunResult destroy = sb.run(nsplan_cmd("destroy", path, parent));
  EXPECT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_TRUE(contains(destroy.out, "nothing to destroy")) << destroy.describe();
  EXPECT_EQ(link_line(sb, "nsptdup"), before);
}

// A failed re-apply undoes only what it did itself: links an earlier apply of the profile made
// stay (they share the profile's link group with the ones this apply made).
TEST_F(ApplyFails, FailedReapplyKeepsWhatTheEarlierApplyMade) {
  const std::string first =
      "nsplan: 1\n"
      "name: nspt-keep\n"
      "network:\n"
      "  links:\n"
      "    - {name: nsptbr0, kind: bridge}\n";
  const std::string second = first +
      "    - {name: nsptbr1, kind: bridge}\n"
      "    - {name: nsptdup, kind: veth, peer: {name: nsptdupp}}\n";
  const std::string path = tmp_.write("keep.yaml", first);
  NSPLAN_PREPARE(p, path);
  const std::string parent = p.parent->name();
  NSPLAN_SANDBOX(sb, tmp_.path());
  ASSERT_EQ(sb.run("ip link add nsptdup type bridge").code(), 0);

  RunResult apply1 = sb.run(nsplan_cmd("apply", path, parent));
  ASSERT_EQ(apply1.code(), 0) << apply1.describe();
  tmp_.write("keep.yaml", second);
  RunResult apply2 = sb.run(nsplan_cmd("apply", path, parent));
  EXPECT_EQ(apply2.code(), 3) << apply2.describe();
  EXPECT_TRUE(contains(apply2.err, "File exists")) << apply2.describe();
  std::vector<std::string> links = sandbox_links(sb);
  EXPECT_EQ(std::count(links.begin(), links.end(), "nsptbr1"), 0) << joined(links);
  EXPECT_EQ(std::count(links.begin(), links.end(), "nsptbr0"), 1)
      << "the rollback of the second apply removed nsptbr0, made and owned by the first one; links now: "
      << joined(links) << "\n" << apply2.describe();

  tmp_.write("keep.yaml", first);
  RunResult plan = sb.run(nsplan_cmd("plan", path, parent));
  EXPECT_EQ(plan.code(), 0) << "the first profile should still be applied as it was\n" << plan.describe();
  RunResult destroy = sb.run(nsplan_cmd("destroy", path, parent));
  EXPECT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_EQ(leftovers_in(sb, p.parent.get(), "nspt-keep", {"nsptdup"}), std::vector<std::string>{});
}

// ---- 5b. a value the kernel rejects when it is written ----------------------------------------
//
// What nsplan can know beforehand it refuses when it compiles the profile (the kernel's limits,
// compiler/cgroup_limits.h; a cpuset naming CPUs or nodes this host does not have:
// kernel_limits_test.cc). What it cannot know fails when it is written, and is rolled back: here
// a device number that no disk of this machine has (the kernel answers ENODEV, on v1 and v2).

TEST_F(ApplyFails, ValueTheKernelRejectsAtWriteTimeRollsBack) {
  const std::string device = "4095:1048575";  // the largest MAJ:MIN nsplan takes
  ASSERT_FALSE(path_exists("/sys/dev/block/" + device)) << "this machine has a disk " << device;
  const std::string text =
      "nsplan: 1\n"
      "name: nspt-reject\n"
      "cgroup:\n"
      "  path: reject\n"
      "  memory: {max: 1G}\n"
      "  pids: {max: 32}\n"
      "  io: {devices: [{device: \"" + device + "\", rbps: 1M}]}\n";
  const std::string path = tmp_.write("reject.yaml", text);
  NSPLAN_PREPARE(p, path);
  NSPLAN_SANDBOX(sb, tmp_.path());

  RunResult apply = sb.run(nsplan_cmd("apply", path, p.parent->name()));
  EXPECT_EQ(apply.code(), 3) << apply.describe();
  // The step is named by the line of the device entry (v2: io.max, v1: blkio.throttle).
  EXPECT_TRUE(contains(apply.err, path + ":7:")) << apply.describe();
  EXPECT_TRUE(contains(apply.err, ": error: write '" + device + " ")) << apply.describe();
  EXPECT_TRUE(contains(apply.err, std::strerror(ENODEV))) << apply.describe();
  EXPECT_TRUE(contains(apply.err, "rolled back: nothing of this apply is left")) << apply.describe();
  EXPECT_EQ(leftovers_in(sb, p.parent.get(), "nspt-reject"), std::vector<std::string>{});
}

// ---- 5c. a missing controller ----------------------------------------------------------------
//
// nsplan probes the controllers and refuses at compile time a profile that uses one the host
// does not have (exit 1, nothing touched); a controller cannot vanish between the probe and the
// writes of one run. What does fail at apply time is a delegated parent (--cgroup-parent) that
// lacks a controller: on v1 the parent exists in the memory hierarchy but not in the pids one;
// on v2 the parent's own parent did not enable pids for it.

TEST_F(ApplyFails, ParentWithoutTheControllerRollsBack) {
  const std::string text =
      "nsplan: 1\n"
      "name: nspt-noctl\n"
      "cgroup:\n"
      "  path: noctl\n"
      "  memory: {max: 1G}\n"
      "  pids: {max: 32}\n"
      "network:\n"
      "  namespaces: [nspt-noctl-ns]\n";
  const std::string path = tmp_.write("noctl.yaml", text);
  std::unique_ptr<CgroupParent> parent;
  std::string parent_arg;
  if (v2()) {
    // P gets memory and pids from the root; P/sub gets only memory from P.
    parent = std::make_unique<CgroupParent>(std::vector<std::string>{"memory", "pids"});
    ASSERT_TRUE(parent->ok()) << parent->error();
    const std::string p = parent->dirs().front();
    ASSERT_TRUE(write_text(p + "/cgroup.subtree_control", "+memory"));
    ASSERT_EQ(::mkdir((p + "/sub").c_str(), 0755), 0);
    parent_arg = parent->name() + "/sub";
  } else {
    parent = std::make_unique<CgroupParent>(std::vector<std::string>{"memory"});
    ASSERT_TRUE(parent->ok()) << parent->error();
    parent_arg = parent->name();
  }
  NSPLAN_SANDBOX(sb, tmp_.path());
  RunResult apply = sb.run(nsplan_cmd("apply", path, parent_arg));
  EXPECT_EQ(apply.code(), 3) << apply.describe();
  EXPECT_TRUE(std::regex_search(apply.err, std::regex(std::regex_replace(path, std::regex(R"([.^$|()\[\]{}*+?\\])"), R"(\$&)") +
                                                      R"(:\d+:\d+: error: )")))
      << apply.describe();
  EXPECT_TRUE(contains(apply.err, "No such file or directory")) << apply.describe();
  EXPECT_TRUE(contains(apply.err, "rolled back: nothing of this apply is left")) << apply.describe();
  if (!v2()) {
    EXPECT_TRUE(contains(apply.err, "/pids/" + parent->name())) << apply.describe();
    EXPECT_TRUE(std::regex_search(apply.err, std::regex(R"(\((\d+) change\(s\) undone\))"))) << apply.describe();
  }
  std::vector<std::string> left = leftovers_in(sb, parent.get(), "nspt-noctl");
  if (v2()) left.erase(std::remove(left.begin(), left.end(), "cgroup " + parent->dirs().front() + "/sub"), left.end());
  EXPECT_EQ(left, std::vector<std::string>{});
}

// The compile-time refusal, against a real cgroup2 hierarchy that offers no controller: on a v1
// or hybrid host every controller is bound to a v1 hierarchy, so a cgroup2 mount (private to the
// sandbox) offers none. Exit 1, the profile line named, nothing made.
TEST_F(ApplyFails, ControllerTheHierarchyDoesNotOfferIsRefusedBeforeAnyChange) {
  if (v2()) {
    // On a pure v2 host the one hierarchy offers every controller; the apply-time case above
    // (a parent without the controller) is the v2 form of this failure.
    SUCCEED() << "a cgroup v2 host has no hierarchy that lacks a controller; see ParentWithoutTheControllerRollsBack";
    return;
  }
  const std::string text =
      "nsplan: 1\n"
      "name: nspt-v2none\n"
      "cgroup:\n"
      "  path: v2none\n"
      "  memory: {max: 1G}\n";
  const std::string path = tmp_.write("v2none.yaml", text);
  CgroupParent parent({"memory"});
  ASSERT_TRUE(parent.ok()) << parent.error();
  NSPLAN_SANDBOX(sb, tmp_.path());
  RunResult mnt = sb.run("mkdir /run/nspt-cg2 && mount -t cgroup2 none /run/nspt-cg2 && cat /run/nspt-cg2/cgroup.controllers");
  ASSERT_EQ(mnt.code(), 0) << mnt.describe();
  ASSERT_FALSE(contains(mnt.out, "memory")) << mnt.describe();
  RunResult apply = sb.run(nsplan_cmd("apply", path, parent.name(), "--cgroup-root /run/nspt-cg2"));
  EXPECT_EQ(apply.code(), 1) << apply.describe();
  const std::string at = where_in(path, text, "1G");
  EXPECT_TRUE(contains(apply.err, at + ": error: the cgroup v2 root does not offer the memory controller"))
      << "expected " << at << "\n" << apply.describe();
  EXPECT_EQ(apply.out, "") << apply.describe();
  EXPECT_EQ(sb.run("ls /run/nspt-cg2 | grep -c nsplan-t-").out, "0\n") << "something was made in the cgroup2 mount";
  EXPECT_EQ(sb.run("umount /run/nspt-cg2").code(), 0);
  EXPECT_EQ(leftovers_in(sb, &parent, "nspt-v2none"), std::vector<std::string>{});
}

// ---- 6. lock contention ------------------------------------------------------------------------

// The profile's lock, held by the test process itself (through /proc/PID/root of the sandbox).
class HeldLock {
 public:
  explicit HeldLock(const std::string& path) {
    fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
    if (fd_ < 0) return;
    if (::flock(fd_, LOCK_EX | LOCK_NB) != 0) {
      ::close(fd_);
      fd_ = -1;
      return;
    }
    std::string pid = std::to_string(::getpid()) + "\n";  // as nsplan itself records the holder
    (void)!::ftruncate(fd_, 0);
    (void)!::pwrite(fd_, pid.data(), pid.size(), 0);
  }
  ~HeldLock() { release(); }
  bool held() const { return fd_ >= 0; }
  void release() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

TEST_F(ApplyFails, HeldLockFailsAtOnceOrIsWaitedFor) {
  const std::string path = source_dir() + "/profiles/lab.yaml";
  NSPLAN_PREPARE(p, path);
  const std::string parent = p.parent->name();
  NSPLAN_SANDBOX(sb, tmp_.path());
  ASSERT_EQ(sb.run("mkdir -m 0700 /run/nsplan").code(), 0);
  HeldLock lock(sb.path("/run/nsplan/lab.lock"));
  ASSERT_TRUE(lock.held());

  auto t0 = std::chrono::steady_clock::now();
  RunResult busy = sb.run(nsplan_cmd("apply", path, parent), 20);
  auto took = std::chrono::steady_clock::now() - t0;
  EXPECT_EQ(busy.code(), 3) << busy.describe();
  EXPECT_LT(took, std::chrono::seconds(3)) << "apply without --wait waited for the lock";
  EXPECT_TRUE(contains(busy.err, "profile 'lab' is being applied or destroyed by pid " + std::to_string(::getpid())))
      << busy.describe();
  EXPECT_TRUE(contains(busy.err, "--wait")) << busy.describe();
  EXPECT_EQ(leftovers_in(sb, p.parent.get(), "lab"), std::vector<std::string>{}) << "apply changed something";
  RunResult destroy_busy = sb.run(nsplan_cmd("destroy", path, parent), 20);
  EXPECT_EQ(destroy_busy.code(), 3) << destroy_busy.describe();

  int job = sb.start(nsplan_cmd("apply", path, parent, "--wait"));
  ASSERT_GE(job, 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(400));
  EXPECT_TRUE(sb.running(job)) << "apply --wait did not wait for the lock";
  EXPECT_EQ(trim(sb.run("ip netns list").out), "") << "apply --wait changed something while the lock was held";
  lock.release();
  RunResult waited = sb.wait(job, 30);
  EXPECT_EQ(waited.code(), 0) << waited.describe();
  EXPECT_TRUE(contains(waited.out, "applied 'lab'")) << waited.describe();
  RunResult status = sb.run(nsplan_cmd("status", path, parent, "--json"));
  EXPECT_EQ(items_not(parse_status(status), true), std::vector<std::string>{}) << status.out;

  RunResult destroy = sb.run(nsplan_cmd("destroy", path, parent));
  EXPECT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_EQ(leftovers_in(sb, p.parent.get(), "lab"), std::vector<std::string>{});
}

// ---- 7. crash recovery -------------------------------------------------------------------------
//
// NSPLAN_TEST_CRASH_AFTER=K: apply SIGKILLs itself right after its K-th change. The journal it
// leaves is taken back by the next apply (which then applies everything) or by destroy.

class CrashRecovery : public ApplyFails, public ::testing::WithParamInterface<std::string> {};

size_t changes_of(const std::string& apply_out) {
  std::smatch m;
  if (std::regex_search(apply_out, m, std::regex(R"((\d+) change\(s\), (\d+) removal\(s\))"))) return std::stoul(m[1]);
  return 0;
}

TEST_P(CrashRecovery, KilledApplyIsRecoveredByApplyOrDestroy) {
  const std::string name = GetParam();
  const std::string path = source_dir() + "/profiles/" + name + ".yaml";
  NSPLAN_PREPARE(p, path);
  const std::string parent = p.parent->name();
  const std::string journal = "/run/nsplan/" + name + ".journal";

  // How many changes a full apply makes, here. (Not what `nsplan plan` counts beforehand: in a
  // cgroup that does not exist yet it lists every value, also one the new cgroup already has,
  // such as cpu.cfs_period_us = 100000, which apply then finds in place and skips.)
  size_t total = 0;
  {
    NSPLAN_SANDBOX(sb, tmp_.path());
    RunResult full = sb.run(nsplan_cmd("apply", path, parent));
    ASSERT_EQ(full.code(), 0) << full.describe();
    total = changes_of(full.out);
    ASSERT_EQ(sb.run(nsplan_cmd("destroy", path, parent)).code(), 0);
    ASSERT_EQ(leftovers_in(sb, p.parent.get(), name), std::vector<std::string>{});
  }
  ASSERT_GE(total, 3u) << "too few changes to crash in the middle";
  std::set<size_t> ks = {1, total / 2, total - 1};

  for (size_t k : ks) {
    SCOPED_TRACE("NSPLAN_TEST_CRASH_AFTER=" + std::to_string(k) + " of " + std::to_string(total));
    const std::string crash = "NSPLAN_TEST_CRASH_AFTER=" + std::to_string(k) + " exec " + nsplan_cmd("apply", path, parent);
    // Killed, then apply again: it takes back the K changes first, then makes all of them.
    {
      NSPLAN_SANDBOX(sb, tmp_.path());
      RunResult killed = sb.run(crash);
      ASSERT_TRUE(killed.killed_by(SIGKILL)) << killed.describe();
      std::string j = read_file(sb.path(journal));
      EXPECT_EQ(static_cast<size_t>(std::count(j.begin(), j.end(), '\n')), k) << "journal:\n" << j;
      EXPECT_FALSE(path_exists(sb.path("/run/nsplan/" + name + ".state")));
      EXPECT_EQ(trim(killed.out), "") << killed.describe();

      RunResult again = sb.run(nsplan_cmd("apply", path, parent));
      ASSERT_EQ(again.code(), 0) << again.describe();
      EXPECT_TRUE(contains(again.out, "recovered an interrupted apply: " + std::to_string(k) + " change(s) taken back first"))
          << again.describe();
      EXPECT_EQ(changes_of(again.out), total) << again.describe();
      EXPECT_FALSE(path_exists(sb.path(journal)));
      RunResult status = sb.run(nsplan_cmd("status", path, parent, "--json"));
      EXPECT_EQ(items_not(parse_status(status), true), std::vector<std::string>{}) << status.out;
      RunResult destroy = sb.run(nsplan_cmd("destroy", path, parent));
      EXPECT_EQ(destroy.code(), 0) << destroy.describe();
      EXPECT_EQ(leftovers_in(sb, p.parent.get(), name), std::vector<std::string>{});
    }
    // Killed, then destroy straight away.
    {
      NSPLAN_SANDBOX(sb, tmp_.path());
      RunResult killed = sb.run(crash);
      ASSERT_TRUE(killed.killed_by(SIGKILL)) << killed.describe();
      ASSERT_TRUE(path_exists(sb.path(journal)));
      RunResult destroy = sb.run(nsplan_cmd("destroy", path, parent));
      EXPECT_EQ(destroy.code(), 0) << destroy.describe();
      EXPECT_TRUE(contains(destroy.out, "destroyed '" + name + "'")) << destroy.describe();
      EXPECT_EQ(leftovers_in(sb, p.parent.get(), name), std::vector<std::string>{});
      RunResult status = sb.run(nsplan_cmd("status", path, parent, "--json"));
      EXPECT_EQ(items_not(parse_status(status), false), std::vector<std::string>{}) << status.out;
    }
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, CrashRecovery, ::testing::Values("lab", "build-jail"), profile_param_name);

}  // namespace
}  // namespace nsplan::kernel_test
