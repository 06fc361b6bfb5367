// The small controllers (compiler/plan_cgroup.cc): v1 net_cls and net_prio (class ids in tc's
// hex MAJOR:MINOR or as numbers, one ifpriomap write per interface, co-mounted hierarchies made
// once; on v2 a lossy warning that says what to use instead), misc and rdma (one write per
// resource or device, checked against what a probed host has).
#include <gtest/gtest.h>

#include "test_support.h"

namespace nsplan {
namespace {

std::vector<std::string> steps_of(const Compilation& c) {
  std::vector<std::string> out;
  for (const auto& step : c.plan->steps)
    if (auto* m = std::get_if<plan::MakeCgroup>(&step.action)) out.push_back("mkdir " + m->dir);
    else if (auto* w = std::get_if<plan::WriteCgroupFile>(&step.action)) out.push_back(w->dir + "/" + w->file + " = " + w->value);
  return out;
}

HostFacts comounted_v1() {
  // As systemd mounts them: one tree for net_cls and net_prio.
  HostFacts f = HostFacts::stated(CgroupMode::V1);
  f.v1_mounts["net_cls"] = f.v1_mounts["net_prio"] = "/sys/fs/cgroup/net_cls,net_prio";
  return f;
}

TEST(NetCgroups, ClassIdAndPrioritiesOnV1InOneCoMountedTree) {
  auto c = testing::compile_with("nsplan: 1\nname: n\ncgroup:\n  net_cls: {classid: \"1:10\"}\n"
                                 "  net_prio: {ifpriomap: {eth0: 5, lo: \"0\"}}\n",
                                 comounted_v1());
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const std::string d = "/sys/fs/cgroup/net_cls,net_prio/nsplan/n";
  EXPECT_EQ(steps_of(*c), (std::vector<std::string>{"mkdir /sys/fs/cgroup/net_cls,net_prio/nsplan", "mkdir " + d,
                                                    d + "/net_cls.classid = 65552", d + "/net_prio.ifpriomap = eth0 5",
                                                    d + "/net_prio.ifpriomap = lo 0"}));
  EXPECT_EQ(c->plan->cgroup_dirs, std::vector<std::string>{d}) << "joined once";
}

TEST(NetCgroups, InterfaceNamesAreNotEnvironmentVariableNames) {
  auto c = testing::compile_with("nsplan: 1\nname: n\ncgroup:\n  net_prio: {ifpriomap: {br-lab.10: 7}}\n", comounted_v1());
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  EXPECT_EQ(steps_of(*c).back(), "/sys/fs/cgroup/net_cls,net_prio/nsplan/n/net_prio.ifpriomap = br-lab.10 7");
}

TEST(NetCgroups, ClassIdForms) {
  auto classid = [](const std::string& v) -> std::string {
    auto c = testing::compile_with("nsplan: 1\nname: n\ncgroup:\n  net_cls: {classid: \"" + v + "\"}\n", comounted_v1());
    if (!c->ok()) return "error";
    for (const auto& s : steps_of(*c))
      if (s.find("net_cls.classid = ") != std::string::npos) return s.substr(s.rfind(' ') + 1);
    return "none";
  };
  EXPECT_EQ(classid("1:10"), "65552");
  EXPECT_EQ(classid("ffff:ffff"), "4294967295");
  EXPECT_EQ(classid("0x10010"), "65552");
  EXPECT_EQ(classid("65552"), "65552");
  EXPECT_EQ(classid("0"), "0");
  for (const char* bad : {"1:", ":1", "10000:1", "1:g", "0x", "0x100000000", "4294967296", "-1", "1.5", "abc"})
    EXPECT_EQ(classid(bad), "error") << bad;
}

TEST(NetCgroups, BadInterfacesAndPrioritiesAreLocatedErrors) {
  auto c = testing::compile_with("nsplan: 1\nname: n\ncgroup:\n  net_prio: {ifpriomap: {\"a/b\": 1, eth0: -1, eth1: x}}\n",
                                 comounted_v1());
  const std::string text = render_all(c->diags, c->sources);
  EXPECT_NE(text.find("p.yaml:4:26: error: 'a/b' is not an interface name"), std::string::npos) << text;
  EXPECT_NE(text.find("error: priority '-1' of eth0 is not a number from 0 to 4294967295"), std::string::npos) << text;
  EXPECT_NE(text.find("error: priority 'x' of eth1"), std::string::npos) << text;
}

TEST(NetCgroups, OnV2EachIsALossyWarningThatSaysWhatToUse) {
  const char* text = "nsplan: 1\nname: n\ncgroup:\n  net_cls: {classid: \"1:10\"}\n  net_prio: {ifpriomap: {eth0: 5}}\n";
  auto c = testing::compile_text(text, CgroupMode::V2);
  ASSERT_TRUE(c->ok());
  const std::string shown = render_all(c->diags, c->sources);
  EXPECT_NE(shown.find("p.yaml:4:22: warning: net_cls has no cgroup v2 equivalent; classid 1:10 is not applied"), std::string::npos)
      << shown;
  EXPECT_NE(shown.find("socket cgroupv2"), std::string::npos) << shown;
  EXPECT_NE(shown.find("warning: net_prio has no cgroup v2 equivalent"), std::string::npos) << shown;
  for (const auto& s : steps_of(*c)) EXPECT_EQ(s.find("net_"), std::string::npos) << s;
  EXPECT_FALSE(testing::compile_text(text, CgroupMode::V2, true)->ok()) << "--strict";
}

TEST(MiscAndRdma, OneWriteEachWithTheKeysGiven) {
  auto c = testing::compile_text("nsplan: 1\nname: n\ncgroup:\n  misc: {sev: 4, sev_es: max}\n"
                                 "  rdma:\n    - {device: mlx4_0, hca_handle: 2, hca_object: 2000}\n    - {device: mlx5_1, hca_object: max}\n",
                                 CgroupMode::V2);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const std::string d = "/sys/fs/cgroup/nsplan/n";
  EXPECT_EQ(steps_of(*c), (std::vector<std::string>{"mkdir /sys/fs/cgroup/nsplan", "mkdir " + d, d + "/misc.max = sev 4",
                                                    d + "/misc.max = sev_es max",
                                                    d + "/rdma.max = mlx4_0 hca_handle=2 hca_object=2000",
                                                    d + "/rdma.max = mlx5_1 hca_object=max"}));
}

TEST(MiscAndRdma, WhatTheProbedHostLacksIsALocatedError) {
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  facts.misc_capacity = std::map<std::string, uint64_t>{{"sev", 509}};
  facts.rdma_devices = std::vector<std::string>{};
  auto c = testing::compile_with("nsplan: 1\nname: n\ncgroup:\n  misc: {tdx: 1, sev: 1}\n  rdma: [{device: mlx4_0, hca_handle: 1}]\n",
                                 facts);
  const std::string text = render_all(c->diags, c->sources);
  EXPECT_NE(text.find("p.yaml:4:10: error: this host has no misc resource 'tdx'"), std::string::npos) << text;
  EXPECT_NE(text.find("its resources are sev (misc.capacity of the cgroup root)"), std::string::npos) << text;
  EXPECT_EQ(text.find("'sev'"), std::string::npos) << "sev is there\n" << text;
  EXPECT_NE(text.find("p.yaml:5:19: error: this host has no RDMA device 'mlx4_0'"), std::string::npos) << text;
  EXPECT_NE(text.find("its devices are none (/sys/class/infiniband)"), std::string::npos) << text;
  auto bad = testing::compile_text("nsplan: 1\nname: n\ncgroup:\n  misc: {SEV: 1, sev: lots}\n"
                                   "  rdma: [{device: a, hca_handle: 1}, {device: a, hca_object: 1}, {device: b}]\n");
  const std::string bad_text = render_all(bad->diags, bad->sources);
  EXPECT_NE(bad_text.find("'SEV' is not a misc resource name"), std::string::npos) << bad_text;
  EXPECT_NE(bad_text.find("misc sev must be a count or max, not 'lots'"), std::string::npos) << bad_text;
  EXPECT_NE(bad_text.find("RDMA device a is given twice"), std::string::npos) << bad_text;
  EXPECT_NE(bad_text.find("RDMA device b has no limit"), std::string::npos) << bad_text;
}

}  // namespace
}  // namespace nsplan
