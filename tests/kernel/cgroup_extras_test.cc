// The memory and cpu keys beyond the limits (memory oom_group, swappiness, zswap_max, a share of
// RAM; cpu burst, idle, uclamp_min/max) against this machine's kernel, on v1 (this build host,
// the v1 VM) and v2 (the v2 VM):
//   - each key the hierarchy has is applied and read back by the test itself (the share of RAM
//     as bytes of MemTotal, uclamp as the kernel shows it), status finds all in place, a second
//     plan has nothing to do, and destroy leaves nothing;
//   - a key the hierarchy has no file for (oom_group and zswap_max on v1, swappiness on v2) is a
//     located warning, and so is a file this kernel lacks (uclamp without CONFIG_UCLAMP_TASK,
//     which none of these kernels has; idle before 5.15; zswap without CONFIG_ZSWAP).
// Cgroups: only below CgroupParent's "nsplan-t-<pid>-cg<n>"; nsplan runs in Sandboxes.
#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

class CgroupExtras : public ProbedHostTest {};

TEST_F(CgroupExtras, MemoryAndCpuKeysAreAppliedOrReportedPerHierarchyAndKernel) {
  const HostFacts& facts = host_probe().facts;
  const bool v2 = facts.mode == CgroupMode::V2;
  ASSERT_TRUE(facts.memory_total) << "a probed host knows its RAM";
  for (const char* c : {"memory", "cpu"})
    if (!facts.controllers.count(c)) NSPLAN_SKIP_OR_FAIL(std::string("no ") + c + " controller on this host");
  const std::string path = tmp_.write("extras.yaml",
                                      "nsplan: 1\n"
                                      "name: " + test_name("extras") + "\n"
                                      "cgroup:\n"
                                      "  path: extra\n"
                                      "  memory:\n"
                                      "    max: 1%\n"
                                      "    swappiness: 30\n"
                                      "    oom_group: true\n"
                                      "    zswap_max: 64M\n"
                                      "  cpu:\n"
                                      "    max: \"50%\"\n"
                                      "    burst: 20000\n"
                                      "    idle: true\n"
                                      "    uclamp_min: 12.5\n"
                                      "    uclamp_max: 80\n");
  CgroupParent cg({"memory", "cpu"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  NSPLAN_SANDBOX(sb, tmp_.path());
  RunResult apply = sb.run(nsplan_cmd("apply", path, cg.name()));
  ASSERT_EQ(apply.code(), 0) << apply.describe();

  const std::string mem = cg.dir_of("memory") + "/extra/";
  const std::string cpu = cg.dir_of("cpu") + "/extra/";
  const uint64_t one_percent = *facts.memory_total / 100 / 4096 * 4096;
  EXPECT_EQ(trim(read_file(mem + (v2 ? "memory.max" : "memory.limit_in_bytes"))), std::to_string(one_percent));
  EXPECT_EQ(trim(read_file(cpu + (v2 ? "cpu.max.burst" : "cpu.cfs_burst_us"))), "20000");
  if (v2) {
    EXPECT_EQ(trim(read_file(mem + "memory.oom.group")), "1");
    EXPECT_TRUE(contains(apply.err, "extras.yaml:7:17: warning: cgroup v2 has no per-cgroup swappiness")) << apply.describe();
    if (kernel_has("memory.zswap.max"))
      EXPECT_EQ(trim(read_file(mem + "memory.zswap.max")), "67108864");
    else
      EXPECT_TRUE(contains(apply.err, "extras.yaml:9:16: warning: this host's kernel has no memory.zswap.max"))
          << apply.describe();
  } else {
    EXPECT_EQ(trim(read_file(mem + "memory.swappiness")), "30");
    EXPECT_TRUE(contains(apply.err, "extras.yaml:8:16: warning: memory oom_group has no cgroup v1 equivalent"))
        << apply.describe();
    EXPECT_TRUE(contains(apply.err, "extras.yaml:9:16: warning: cgroup v1 has no zswap limit")) << apply.describe();
  }
  if (kernel_has("cpu.idle"))
    EXPECT_EQ(trim(read_file(cpu + "cpu.idle")), "1");
  else
    EXPECT_TRUE(contains(apply.err, "extras.yaml:13:11: warning: this host's kernel has no cpu.idle")) << apply.describe();
  if (kernel_has("cpu.uclamp.min")) {
    EXPECT_EQ(trim(read_file(cpu + "cpu.uclamp.min")), "12.50");
    EXPECT_EQ(trim(read_file(cpu + "cpu.uclamp.max")), "80.00");
  } else {
    EXPECT_TRUE(contains(apply.err, "extras.yaml:14:17: warning: this host's kernel has no cpu.uclamp.min"))
        << apply.describe();
    EXPECT_TRUE(contains(apply.err, "extras.yaml:15:17: warning: this host's kernel has no cpu.uclamp.max"))
        << apply.describe();
    EXPECT_FALSE(path_exists(cpu + "cpu.uclamp.min"));
  }

  RunResult status = sb.run(nsplan_cmd("status", path, cg.name()));
  EXPECT_EQ(status.code(), 0) << status.describe();
  RunResult again = sb.run(nsplan_cmd("plan", path, cg.name()));
  EXPECT_EQ(again.code(), 0) << "nothing to change after the kernel's rounding\n" << again.describe();

  // Drift on a new key is seen, and apply puts it back.
  const std::string burst = cpu + (v2 ? "cpu.max.burst" : "cpu.cfs_burst_us");
  ASSERT_TRUE(write_text(burst, "1000"));
  EXPECT_EQ(sb.run(nsplan_cmd("status", path, cg.name())).code(), 4);
  ASSERT_EQ(sb.run(nsplan_cmd("apply", path, cg.name())).code(), 0);
  EXPECT_EQ(trim(read_file(burst)), "20000");

  RunResult destroy = sb.run(nsplan_cmd("destroy", path, cg.name()));
  EXPECT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});
}

// The kernel refuses a burst above the quota; nsplan says so at the key, before touching anything.
TEST_F(CgroupExtras, BurstAboveTheQuotaIsRefusedAtPlanTime) {
  const std::string path = tmp_.write("burst.yaml", "nsplan: 1\nname: " + test_name("burst") +
                                                        "\ncgroup:\n  cpu: {max: \"10%\", burst: 20000}\n");
  NSPLAN_SANDBOX(sb, tmp_.path());
  RunResult apply = sb.run(nsplan_cmd("apply", path, ""));
  EXPECT_EQ(apply.code(), 1) << apply.describe();
  EXPECT_TRUE(contains(apply.err, "burst.yaml:4:28: error: cpu burst 20000 µs is above the quota of cpu max (10000 µs"))
      << apply.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
