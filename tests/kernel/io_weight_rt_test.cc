// io weights (io.weight, blkio_weight, per-device weights) and v1 RT group scheduling
// (cpu.rt_runtime / rt_period) against this machine's kernel, on v1 (this build host, the v1 VM)
// and v2 (the v2 VM):
//   - io: a weight that fits v1's file is written unchanged; a host without a weight file (no
//     BFQ, as this build host) reports each key as a located warning, an error with --strict;
//     on v2 io.weight holds the number as written, and a device's line where iocost is enabled;
//   - rt (v1 with CONFIG_RT_GROUP_SCHED): more runtime than the parent gives is refused at the key
//     before anything is touched; what fits is applied to the ancestor nsplan makes and the leaf,
//     read back, and destroy (runtime back to 0 before each rmdir) leaves nothing; on v2 each key
//     is a located warning.
// Cgroups: only below CgroupParent's "nsplan-t-<pid>-cg<n>"; nsplan runs in Sandboxes.
#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

class IoWeightRt : public ProbedHostTest {};

// MAJ:MIN of a whole disk backed by a device (vda first), or "" when there is none.
std::string a_whole_disk() {
  std::string found;
  for (const std::string& name : list_dir("/sys/block")) {
    if (starts_with(name, "loop") || starts_with(name, "ram") || starts_with(name, "zram") || starts_with(name, "dm-") ||
        starts_with(name, "md") || starts_with(name, "nbd") || !path_exists("/sys/block/" + name + "/device"))
      continue;
    std::string majmin = trim(read_file("/sys/block/" + name + "/dev"));
    if (name == "vda") return majmin;
    if (found.empty()) found = majmin;
  }
  return found;
}

TEST_F(IoWeightRt, IoWeightsAreWrittenUnchangedOrReportedAtTheirKeys) {
  const HostFacts& facts = host_probe().facts;
  const bool v2 = facts.mode == CgroupMode::V2;
  const std::string io = v2 ? "io" : "blkio";
  if (!facts.controllers.count(io) || !facts.controllers.count("pids")) NSPLAN_SKIP_OR_FAIL("no " + io + " or pids controller");
  const std::string disk = a_whole_disk();
  if (disk.empty()) NSPLAN_SKIP_OR_FAIL("no whole disk on this host");
  // v2 takes a device's weight only where iocost is enabled on that disk.
  const bool iocost = v2 && contains(read_file(facts.cgroup_root + "/io.cost.qos"), disk + " enable=1");
  const bool device_line = v2 ? iocost : !facts.v1_io_weight_file.empty() && kernel_has(facts.v1_io_weight_file + "_device");
  const std::string path = tmp_.write("iow.yaml",
                                      "nsplan: 1\n"
                                      "name: " + test_name("iow") + "\n"
                                      "cgroup:\n"
                                      "  path: iow\n"
                                      "  pids: {max: 50}\n"
                                      "  io:\n"
                                      "    weight: 250\n" +
                                      std::string(device_line || !v2 ? "    device_weights: [{device: \"" + disk + "\", weight: 300}]\n" : ""));
  CgroupParent cg({io, "pids"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  NSPLAN_SANDBOX(sb, tmp_.path());
  const std::string leaf = cg.dir_of(io) + "/iow/";
  const bool no_weight_file = !v2 && facts.v1_io_weight_file.empty();
  if (no_weight_file) {
    RunResult strict = sb.run(nsplan_cmd("apply", path, cg.name(), "--strict"));
    EXPECT_EQ(strict.code(), 1) << strict.describe();
    EXPECT_TRUE(contains(strict.err, "iow.yaml:7:13: error: this host's blkio controller has no weight file (BFQ is not in use); "
                                     "io weight is not applied"))
        << strict.describe();
    const std::string column = std::to_string(std::string("    device_weights: [{device: \"").size() + disk.size() +
                                              std::string("\", weight: ").size() + 1);
    EXPECT_TRUE(contains(strict.err, "iow.yaml:8:" + column + ": error: this host's blkio controller has no weight file (BFQ is not "
                                     "in use); the io weight of " + disk + " is not applied"))
        << strict.describe();
    EXPECT_EQ(cg.descendants(), std::vector<std::string>{}) << "--strict refuses before anything is made";
  }
  RunResult apply = sb.run(nsplan_cmd("apply", path, cg.name()));
  ASSERT_EQ(apply.code(), 0) << apply.describe();
  if (v2) {
    EXPECT_EQ(lines_of(read_file(leaf + "io.weight")).at(0), "default 250");
    if (device_line) {
      EXPECT_TRUE(contains(read_file(leaf + "io.weight"), disk + " 300"));
    }
  } else if (no_weight_file) {
    EXPECT_TRUE(contains(apply.err, "iow.yaml:7:13: warning: this host's blkio controller has no weight file")) << apply.describe();
  } else {
    EXPECT_EQ(trim(read_file(leaf + facts.v1_io_weight_file)), "250") << "unchanged: it fits 1..1000";
    if (device_line) {
      EXPECT_EQ(trim(read_file(leaf + facts.v1_io_weight_file + "_device")), disk + " 300");
    }
  }
  RunResult again = sb.run(nsplan_cmd("plan", path, cg.name()));
  EXPECT_EQ(again.code(), 0) << "nothing to change\n" << again.describe();
  RunResult destroy = sb.run(nsplan_cmd("destroy", path, cg.name()));
  EXPECT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});

  // blkio_weight and weight together: an error at blkio_weight, before anything is touched.
  const std::string both = tmp_.write("both.yaml", "nsplan: 1\nname: " + test_name("iob") +
                                                       "\ncgroup:\n  io:\n    weight: 250\n    blkio_weight: 500\n");
  RunResult refused = sb.run(nsplan_cmd("apply", both, cg.name()));
  EXPECT_EQ(refused.code(), 1) << refused.describe();
  EXPECT_TRUE(contains(refused.err, "both.yaml:6:19: error: io blkio_weight and io weight are both given")) << refused.describe();
}

TEST_F(IoWeightRt, RtRuntimeGoesToTheAncestorFirstAndBackBeforeEachRmdir) {
  const HostFacts& facts = host_probe().facts;
  if (!facts.controllers.count("cpu")) NSPLAN_SKIP_OR_FAIL("no cpu controller on this host");
  const std::string profile = "nsplan: 1\nname: " + test_name("rt") +
                              "\ncgroup:\n  path: mid/leaf\n  pids: {max: 50}\n  cpu: {rt_runtime: RUNTIME, rt_period: 100000}\n";
  auto with = [&](const std::string& runtime) {
    std::string t = profile;
    t.replace(t.find("RUNTIME"), 7, runtime);
    return tmp_.write("rt" + runtime + ".yaml", t);
  };
  CgroupParent cg({"cpu", "pids"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  NSPLAN_SANDBOX(sb, tmp_.path());
  if (facts.mode == CgroupMode::V2) {
    RunResult apply = sb.run(nsplan_cmd("apply", with("5000"), cg.name()));
    EXPECT_EQ(apply.code(), 0) << apply.describe();
    EXPECT_TRUE(contains(apply.err, "rt5000.yaml:6:21: warning: cgroup v2 has no real-time group scheduling; cpu rt_runtime 5000 us is not applied"))
        << apply.describe();
    EXPECT_EQ(sb.run(nsplan_cmd("destroy", with("5000"), cg.name())).code(), 0);
    return;
  }
  const std::string parent = cg.dir_of("cpu");
  if (!path_exists(parent + "/cpu.rt_runtime_us")) {
    // Without CONFIG_RT_GROUP_SCHED the probe finds no such file: a located warning.
    RunResult apply = sb.run(nsplan_cmd("apply", with("5000"), cg.name()));
    EXPECT_EQ(apply.code(), 0) << apply.describe();
    EXPECT_TRUE(contains(apply.err, "warning: this host's kernel has no cpu.rt_runtime_us")) << apply.describe();
    EXPECT_EQ(sb.run(nsplan_cmd("destroy", with("5000"), cg.name())).code(), 0);
    return;
  }
  // The test's parent gives its children 10% (a new cgroup has none).
  ASSERT_TRUE(write_text(parent + "/cpu.rt_runtime_us", "100000")) << "the root keeps 95% for its children";

  // 20% does not fit under 10%: refused at the key, nothing made.
  RunResult over = sb.run(nsplan_cmd("apply", with("20000"), cg.name()));
  EXPECT_EQ(over.code(), 1) << over.describe();
  EXPECT_TRUE(contains(over.err, "rt20000.yaml:6:21: error: cpu rt_runtime 20000 us of 100000 (20% of a CPU) is more than " +
                                     parent + " gives its children: 100000 us of 1000000 (10% of a CPU)"))
      << over.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});

  // 5% fits: the ancestor nsplan makes gets it first, then the leaf.
  const std::string fits = with("5000");
  RunResult apply = sb.run(nsplan_cmd("apply", fits, cg.name()));
  ASSERT_EQ(apply.code(), 0) << apply.describe();
  for (const std::string& dir : {parent + "/mid/", parent + "/mid/leaf/"}) {
    EXPECT_EQ(trim(read_file(dir + "cpu.rt_period_us")), "100000") << dir;
    EXPECT_EQ(trim(read_file(dir + "cpu.rt_runtime_us")), "5000") << dir;
  }
  EXPECT_EQ(sb.run(nsplan_cmd("status", fits, cg.name())).code(), 0);
  RunResult again = sb.run(nsplan_cmd("plan", fits, cg.name()));
  EXPECT_EQ(again.code(), 0) << "nothing to change\n" << again.describe();

  RunResult destroy = sb.run(nsplan_cmd("destroy", fits, cg.name()));
  EXPECT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});
  EXPECT_EQ(trim(read_file(parent + "/cpu.rt_runtime_us")), "100000") << "the test's own value stays";

  // A shorter period on a live cgroup with runtime: the runtime goes first (a shorter period with
  // the old runtime would raise the share above the parent's 10% for a moment).
  auto solo = [&](const std::string& name, const std::string& runtime, const std::string& period) {
    return tmp_.write(name, "nsplan: 1\nname: " + test_name("rts") + "\ncgroup:\n  path: solo\n  pids: {max: 50}\n"
                            "  cpu: {rt_runtime: " + runtime + ", rt_period: " + period + "}\n");
  };
  ASSERT_EQ(sb.run(nsplan_cmd("apply", solo("a.yaml", "80000", "1000000"), cg.name())).code(), 0);
  const std::string shorter = solo("b.yaml", "5000", "100000");
  RunResult changed = sb.run(nsplan_cmd("apply", shorter, cg.name()));
  EXPECT_EQ(changed.code(), 0) << changed.describe();
  EXPECT_EQ(trim(read_file(parent + "/solo/cpu.rt_period_us")), "100000");
  EXPECT_EQ(trim(read_file(parent + "/solo/cpu.rt_runtime_us")), "5000");
  RunResult gone = sb.run(nsplan_cmd("destroy", shorter, cg.name()));
  EXPECT_EQ(gone.code(), 0) << gone.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});
}

}  // namespace
}  // namespace nsplan::kernel_test
