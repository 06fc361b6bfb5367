// v1 net_cls and net_prio against the real kernel. Where the host mounts them as v1 hierarchies
// (the v1 VM: co-mounted, as systemd does): the class id and an interface's priority are
// written, read back by the test, seen in place by status, put back after a change by hand,
// and removed with the cgroup. On v2 (the v2 VM) they are lossy: apply warns, says what to use
// instead, and writes neither. On this build host (v1 without them mounted): a located error,
// nothing made.
// Only cgroups below CgroupParent's "nsplan-t-<pid>-cg<n>"; the interface is the loopback of the
// Sandbox's own network namespace.
#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

TEST(NetCgroups, ClassIdAndPriorityOnV1LossyOnV2) {
  NSPLAN_REQUIRE_ROOT();
  ASSERT_TRUE(host_probe().ok) << host_probe().error;
  const HostFacts& facts = host_probe().facts;
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  const std::string path = tmp.write("net.yaml", "nsplan: 1\nname: " + test_name("netcg") +
                                                     "\ncgroup:\n  path: net\n  pids: {max: 10}\n"
                                                     "  net_cls: {classid: \"1:10\"}\n  net_prio: {ifpriomap: {lo: 3}}\n");
  const bool v1_net = facts.mode == CgroupMode::V1 && facts.controllers.count("net_cls") && facts.controllers.count("net_prio");
  if (facts.mode == CgroupMode::V1 && !v1_net) {
    Sandbox sb(tmp.path());
    ASSERT_TRUE(sb.ok()) << sb.error();
    RunResult apply = sb.run(nsplan_cmd("apply", path, ""));
    EXPECT_EQ(apply.code(), 1) << apply.describe();
    EXPECT_TRUE(contains(apply.err, "net.yaml:6:22: error: the net_cls controller is not mounted on this host")) << apply.describe();
    return;
  }

  std::vector<std::string> hierarchies = {"pids"};
  if (v1_net) {
    hierarchies.push_back("net_cls");
    if (facts.hierarchy_of("net_prio") != facts.hierarchy_of("net_cls")) hierarchies.push_back("net_prio");
  }
  CgroupParent cg(hierarchies);
  ASSERT_TRUE(cg.ok()) << cg.error();
  const std::string cls = cg.dir_of("net_cls") + "/net/net_cls.classid";
  const std::string prio = cg.dir_of("net_prio") + "/net/net_prio.ifpriomap";
  RunResult r = run_sandboxed(tmp.path(), {{"PROFILE", path}, {"PARENT", cg.name()}, {"CLS", cls}, {"PRIO", prio}}, R"SH(
P="--cgroup-parent $PARENT"
"$N" apply "$PROFILE" $P > /dev/null 2> "$T/apply.err"; echo "apply=$?"
echo "apply_err=$(tr '\n' ' ' < "$T/apply.err")"
if [ -e "$CLS" ]; then
  echo "classid=$(cat "$CLS")"
  echo "lo=$(sed -n 's/^lo //p' "$PRIO")"
  "$N" status "$PROFILE" $P > /dev/null; echo "status=$?"
  echo "lo 0" > "$PRIO"
  "$N" status "$PROFILE" $P > /dev/null; echo "drifted=$?"
  "$N" apply "$PROFILE" $P > /dev/null 2>&1; echo "reapply=$?"
  echo "lo_again=$(sed -n 's/^lo //p' "$PRIO")"
fi
"$N" destroy "$PROFILE" $P > /dev/null 2>&1; echo "destroy=$?"
)SH");
  ASSERT_TRUE(r.exited()) << r.describe();
  EXPECT_EQ(script_value(r.out, "apply"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "destroy"), "0") << r.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});
  if (!v1_net) {
    const std::string err = script_value(r.out, "apply_err");
    EXPECT_TRUE(contains(err, "net.yaml:6:22: warning: net_cls has no cgroup v2 equivalent; classid 1:10 is not applied")) << err;
    EXPECT_TRUE(contains(err, "warning: net_prio has no cgroup v2 equivalent; the priority of lo is not applied")) << err;
    EXPECT_EQ(script_value(r.out, "classid"), "<none>") << "no such file on v2\n" << r.describe();
    return;
  }
  EXPECT_EQ(script_value(r.out, "classid"), "65552") << "1:10 is 0x00010010\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "lo"), "3") << r.describe();
  EXPECT_EQ(script_value(r.out, "status"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "drifted"), "4") << r.describe();
  EXPECT_EQ(script_value(r.out, "reapply"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "lo_again"), "3") << r.describe();
}

// misc and rdma: none of this machine's kernels has a misc resource or an RDMA device to limit
// (they need SEV/TDX hardware or an RDMA NIC), so what is tested is that a profile naming one is
// refused at plan time with the host's own list, where the controller is there (both VMs), and
// that the controller's absence is a located error where it is not (this build host).
TEST(MiscAndRdma, WhatTheHostLacksIsRefusedBeforeAnythingIsMade) {
  NSPLAN_REQUIRE_ROOT();
  ASSERT_TRUE(host_probe().ok) << host_probe().error;
  const HostFacts& facts = host_probe().facts;
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  const std::string path = tmp.write("mr.yaml", "nsplan: 1\nname: " + test_name("miscrdma") +
                                                    "\ncgroup:\n  path: " + test_name("mr") + "\n  misc: {nsplan_t_none: 1}\n"
                                                    "  rdma: [{device: nsplan_t_none0, hca_handle: 1}]\n");
  Sandbox sb(tmp.path());
  ASSERT_TRUE(sb.ok()) << sb.error();
  RunResult apply = sb.run(nsplan_cmd("apply", path, ""));
  EXPECT_EQ(apply.code(), 1) << apply.describe();
  if (facts.controllers.count("misc")) {
    ASSERT_TRUE(facts.misc_capacity) << "the probe reads misc.capacity where misc is";
    EXPECT_TRUE(contains(apply.err, "mr.yaml:5:10: error: this host has no misc resource 'nsplan_t_none'")) << apply.describe();
  } else {
    EXPECT_TRUE(contains(apply.err, "mr.yaml:5:25: error: ")) << apply.describe();
    EXPECT_TRUE(contains(apply.err, "misc controller")) << apply.describe();
  }
  if (facts.controllers.count("rdma")) {
    ASSERT_TRUE(facts.rdma_devices) << "the probe lists /sys/class/infiniband where rdma is";
    EXPECT_TRUE(contains(apply.err, "error: this host has no RDMA device 'nsplan_t_none0'")) << apply.describe();
  } else {
    EXPECT_TRUE(contains(apply.err, "rdma controller")) << apply.describe();
  }
  for (const auto& [controller, mount] : facts.v1_mounts) EXPECT_FALSE(path_exists(mount + "/" + test_name("mr"))) << mount;
  if (facts.mode == CgroupMode::V2) {
    EXPECT_FALSE(path_exists(facts.cgroup_root + "/" + test_name("mr")));
  }
}

}  // namespace
}  // namespace nsplan::kernel_test
