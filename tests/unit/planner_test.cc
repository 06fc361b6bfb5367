// The planner's decisions, asserted on the Plan itself (not on text).
#include <gtest/gtest.h>

#include "compiler/json_emitter.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;
using testing::compile_with;

template <class A>
std::vector<A> steps_of(const plan::Plan& p) {
  std::vector<A> out;
  for (const auto& s : p.steps)
    if (auto* a = std::get_if<A>(&s.action)) out.push_back(*a);
  return out;
}

std::string value_of(const plan::Plan& p, const std::string& file) {
  for (const auto& w : steps_of<plan::WriteCgroupFile>(p))
    if (w.file == file) return w.dir + "/" + w.file + " = " + w.value;
  return "";
}

const char* kFirefox = R"(nsplan: 1
name: firefox
cgroup:
  path: memlimit
  memory: {max: 3G, swap: 3G, soft: 1G}
run:
  command: [firefox]
)";

TEST(Planner, SeedExampleOnV1) {
  auto c = compile_text(kFirefox, CgroupMode::V1);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const auto& p = *c->plan;
  EXPECT_EQ(value_of(p, "memory.limit_in_bytes"), "/sys/fs/cgroup/memory/memlimit/memory.limit_in_bytes = 3221225472");
  EXPECT_EQ(value_of(p, "memory.memsw.limit_in_bytes"), "/sys/fs/cgroup/memory/memlimit/memory.memsw.limit_in_bytes = 6442450944");
  EXPECT_EQ(value_of(p, "memory.soft_limit_in_bytes"), "/sys/fs/cgroup/memory/memlimit/memory.soft_limit_in_bytes = 1073741824");
  // A valid order: the directory first, and limit before memsw (the kernel keeps limit <= memsw).
  std::vector<std::string> ops;
  for (const auto& s : p.steps) ops.push_back(op_name(s.action));
  ASSERT_EQ(ops.size(), 4u);
  EXPECT_EQ(ops[0], "make_cgroup");
  auto writes = steps_of<plan::WriteCgroupFile>(p);
  EXPECT_EQ(writes[0].file, "memory.limit_in_bytes");
  EXPECT_EQ(writes[1].file, "memory.memsw.limit_in_bytes");
  ASSERT_TRUE(p.launch);
  EXPECT_EQ(p.launch->cgroup_procs, std::vector<std::string>{"/sys/fs/cgroup/memory/memlimit/cgroup.procs"});
  EXPECT_EQ(p.launch->command, std::vector<std::string>{"firefox"});
}

TEST(Planner, SeedExampleOnV2EnablesMemoryOnTheWay) {
  auto c = compile_text(kFirefox, CgroupMode::V2);
  ASSERT_TRUE(c->ok());
  const auto& p = *c->plan;
  EXPECT_EQ(value_of(p, "memory.max"), "/sys/fs/cgroup/memlimit/memory.max = 3221225472");
  EXPECT_EQ(value_of(p, "memory.swap.max"), "/sys/fs/cgroup/memlimit/memory.swap.max = 3221225472");
  EXPECT_EQ(value_of(p, "memory.low"), "/sys/fs/cgroup/memlimit/memory.low = 1073741824");
  ASSERT_TRUE(std::holds_alternative<plan::EnableControllers>(p.steps[0].action));
  auto enable = std::get<plan::EnableControllers>(p.steps[0].action);
  EXPECT_EQ(enable.dir, "/sys/fs/cgroup");
  EXPECT_EQ(enable.controllers, std::vector<std::string>{"memory"});
  EXPECT_EQ(std::get<plan::MakeCgroup>(p.steps[1].action).dir, "/sys/fs/cgroup/memlimit");
  // The swap difference is explained next to the step.
  bool explained = false;
  for (const auto& s : p.steps)
    for (const auto& n : s.notes) explained |= n.find("counts RAM and swap together") != std::string::npos;
  EXPECT_TRUE(explained);
}

TEST(Planner, V2EnablesOnlyNeededControllersOnEveryAncestor) {
  auto c = compile_text("nsplan: 1\nname: x\ncgroup:\n  path: a/b/c\n  pids: {max: 10}\n  cpu: {max: 50%}\n");
  ASSERT_TRUE(c->ok());
  auto enables = steps_of<plan::EnableControllers>(*c->plan);
  ASSERT_EQ(enables.size(), 3u);
  EXPECT_EQ(enables[0].dir, "/sys/fs/cgroup");
  EXPECT_EQ(enables[1].dir, "/sys/fs/cgroup/a");
  EXPECT_EQ(enables[2].dir, "/sys/fs/cgroup/a/b");
  for (const auto& e : enables) EXPECT_EQ(e.controllers, (std::vector<std::string>{"cpu", "pids"}));
  EXPECT_EQ(value_of(*c->plan, "cpu.max"), "/sys/fs/cgroup/a/b/c/cpu.max = 50000 100000");
  // Each ancestor is made before its subtree_control is written.
  std::vector<std::string> order;
  for (const auto& s : c->plan->steps) order.push_back(op_name(s.action));
  std::vector<std::string> want{"enable_controllers", "make_cgroup", "enable_controllers", "make_cgroup",
                                "enable_controllers", "make_cgroup", "write_cgroup_file", "write_cgroup_file"};
  EXPECT_EQ(order, want);
}

TEST(Planner, CpuForms) {
  auto cpu_max = [](const std::string& spec, CgroupMode mode) {
    auto c = compile_text("nsplan: 1\nname: x\ncgroup:\n  cpu: " + spec + "\n", mode);
    EXPECT_TRUE(c->ok()) << render_all(c->diags, c->sources);
    if (!c->ok()) return std::string();
    return mode == CgroupMode::V2 ? value_of(*c->plan, "cpu.max") : value_of(*c->plan, "cpu.cfs_quota_us");
  };
  EXPECT_EQ(cpu_max("{max: 1.5}", CgroupMode::V2), "/sys/fs/cgroup/nsplan/x/cpu.max = 150000 100000");
  EXPECT_EQ(cpu_max("{max: 50%, period: 50000}", CgroupMode::V2), "/sys/fs/cgroup/nsplan/x/cpu.max = 25000 50000");
  EXPECT_EQ(cpu_max("{max: 20000/40000}", CgroupMode::V2), "/sys/fs/cgroup/nsplan/x/cpu.max = 20000 40000");
  EXPECT_EQ(cpu_max("{max: max}", CgroupMode::V2), "/sys/fs/cgroup/nsplan/x/cpu.max = max 100000");
  EXPECT_EQ(cpu_max("{max: 250%}", CgroupMode::V1), "/sys/fs/cgroup/cpu/nsplan/x/cpu.cfs_quota_us = 250000");
  // A share is scaled to the period in force, exactly: 0.5% is too little for 100 ms, not for 1 s.
  EXPECT_EQ(cpu_max("{max: 0.5%, period: 1000000}", CgroupMode::V2), "/sys/fs/cgroup/nsplan/x/cpu.max = 5000 1000000");
  EXPECT_EQ(cpu_max("{max: 33.33333%, period: 1000000}", CgroupMode::V2),
            "/sys/fs/cgroup/nsplan/x/cpu.max = 333333 1000000");
}

// Only the host nsplan runs on is known: its online CPUs and memory nodes are checked (the
// diagnostics are in tests/diagnostics/cpuset-host*.yaml) and the step says so; a stated target
// is not checked, and the step says that instead.
TEST(Planner, CpusetNotesSayWhetherTheListWasChecked) {
  const char* text = "nsplan: 1\nname: x\ncgroup:\n  cpuset: {cpus: 0-1, mems: 0}\n";
  auto notes_of = [](const plan::Plan& p, const std::string& file) {
    for (const auto& s : p.steps)
      if (auto* w = std::get_if<plan::WriteCgroupFile>(&s.action); w && w->file == file) return s.notes;
    return std::vector<std::string>{};
  };
  auto stated = compile_text(text);
  ASSERT_TRUE(stated->ok()) << render_all(stated->diags, stated->sources);
  EXPECT_EQ(notes_of(*stated->plan, "cpuset.cpus"),
            std::vector<std::string>{"not checked against the online CPUs of the target: nsplan knows them only on the host it runs on."});
  EXPECT_EQ(notes_of(*stated->plan, "cpuset.mems"),
            std::vector<std::string>{"not checked against the memory nodes of the target: nsplan knows them only on the host it runs on."});
  HostFacts probed = HostFacts::stated(CgroupMode::V2);
  probed.online_cpus = "0-3";
  probed.memory_nodes = "0";
  auto here = compile_with(text, probed);
  ASSERT_TRUE(here->ok()) << render_all(here->diags, here->sources);
  EXPECT_EQ(notes_of(*here->plan, "cpuset.cpus"),
            std::vector<std::string>{"checked against this host's online CPUs: 0-3 (/sys/devices/system/cpu/online)."});
  EXPECT_EQ(notes_of(*here->plan, "cpuset.mems"),
            std::vector<std::string>{"checked against this host's memory nodes: 0 (/sys/devices/system/node/has_memory)."});
}

// A probed host reads the facts limits are checked against only for a profile with cgroups
// (HostFacts::read_limits): once, and the plan carries what was read.
TEST(Planner, LimitFactsAreReadOnlyForAProfileWithCgroups) {
  int reads = 0;
  HostFacts probed = HostFacts::stated(CgroupMode::V2);
  probed.read_limits = [&reads](HostFacts& f) {
    ++reads;
    f.online_cpus = "0-3";
    f.memory_nodes = "0";
  };
  auto network_only = compile_with("nsplan: 1\nname: x\nnamespaces:\n  net: {persist: x}\n", probed);
  ASSERT_TRUE(network_only->ok()) << render_all(network_only->diags, network_only->sources);
  EXPECT_EQ(reads, 0);
  auto pinned = compile_with("nsplan: 1\nname: x\ncgroup:\n  cpuset: {cpus: 0-1, mems: 0}\n", probed);
  ASSERT_TRUE(pinned->ok()) << render_all(pinned->diags, pinned->sources);
  EXPECT_EQ(reads, 1);
  EXPECT_EQ(pinned->plan->facts.online_cpus, std::optional<std::string>("0-3"));
  EXPECT_FALSE(pinned->plan->facts.read_limits);
  // Read when asked, the same facts check the same way: a CPU this host lacks is refused.
  auto beyond = compile_with("nsplan: 1\nname: x\ncgroup:\n  cpuset: {cpus: 0-7, mems: 0}\n", probed);
  EXPECT_FALSE(beyond->ok());
  EXPECT_EQ(reads, 2);
  // Facts completed once are not read again, however often they are asked (nsplan top asks on
  // every refresh).
  const HostFacts completed = probed.with_limits();
  EXPECT_EQ(reads, 3);
  for (int i = 0; i < 3; ++i) EXPECT_EQ(completed.with_limits().online_cpus, std::optional<std::string>("0-3"));
  EXPECT_EQ(reads, 3);
}

// v1 memsw = max + swap can pass the largest value the kernel stores while both are below it:
// the kernel keeps no memsw limit then (the read-back comparison knows), and the step says so.
TEST(Planner, MemswAboveTheKernelsLargestIsNoLimitAndSaysSo) {
  auto c = compile_text("nsplan: 1\nname: x\ncgroup:\n  memory: {max: 5000000T, swap: 5000000T}\n", CgroupMode::V1);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  bool said = false;
  for (const auto& s : c->plan->steps)
    for (const auto& n : s.notes) said |= n.find("it keeps no memsw limit") != std::string::npos;
  EXPECT_TRUE(said);
}

TEST(Planner, WeightAndSharesEachHierarchyTakesItsOwn) {
  const char* text = "nsplan: 1\nname: x\ncgroup:\n  cpu: {weight: 50, shares: 2048}\n";
  auto v1 = compile_text(text, CgroupMode::V1);
  auto v2 = compile_text(text, CgroupMode::V2);
  ASSERT_TRUE(v1->ok() && v2->ok());
  EXPECT_EQ(value_of(*v1->plan, "cpu.shares"), "/sys/fs/cgroup/cpu/nsplan/x/cpu.shares = 2048");
  EXPECT_EQ(value_of(*v2->plan, "cpu.weight"), "/sys/fs/cgroup/nsplan/x/cpu.weight = 50");
  EXPECT_EQ(steps_of<plan::WriteCgroupFile>(*v1->plan).size(), 1u);
  // One alone is translated.
  auto only_shares = compile_text("nsplan: 1\nname: x\ncgroup:\n  cpu: {shares: 2048}\n", CgroupMode::V2);
  EXPECT_EQ(value_of(*only_shares->plan, "cpu.weight"), "/sys/fs/cgroup/nsplan/x/cpu.weight = 174");
  auto only_weight = compile_text("nsplan: 1\nname: x\ncgroup:\n  cpu: {weight: 200}\n", CgroupMode::V1);
  EXPECT_EQ(value_of(*only_weight->plan, "cpu.shares"), "/sys/fs/cgroup/cpu/nsplan/x/cpu.shares = 2048");
}

TEST(Planner, V1CpusetInheritsWhatIsNotGivenAtEveryLevel) {
  auto c = compile_text("nsplan: 1\nname: x\ncgroup:\n  path: a/b\n  cpuset: {cpus: 0-1}\n", CgroupMode::V1);
  ASSERT_TRUE(c->ok());
  auto copies = steps_of<plan::CopyFromParent>(*c->plan);
  ASSERT_EQ(copies.size(), 3u);  // a: cpus and mems; a/b: mems
  EXPECT_EQ(copies[0].dir, "/sys/fs/cgroup/cpuset/a");
  EXPECT_EQ(copies[2].dir, "/sys/fs/cgroup/cpuset/a/b");
  EXPECT_EQ(copies[2].file, "cpuset.mems");
  EXPECT_EQ(value_of(*c->plan, "cpuset.cpus"), "/sys/fs/cgroup/cpuset/a/b/cpuset.cpus = 0-1");
}

TEST(Planner, IoLimitsOnBothHierarchies) {
  const char* text =
      "nsplan: 1\nname: x\ncgroup:\n  io:\n    weight: 100\n    devices:\n      - {device: \"8:0\", rbps: 1M, wiops: 100}\n";
  auto v2 = compile_text(text, CgroupMode::V2);
  ASSERT_TRUE(v2->ok());
  EXPECT_EQ(value_of(*v2->plan, "io.max"), "/sys/fs/cgroup/nsplan/x/io.max = 8:0 rbps=1048576 wiops=100");
  EXPECT_EQ(value_of(*v2->plan, "io.weight"), "/sys/fs/cgroup/nsplan/x/io.weight = default 100");
  auto v1 = compile_text(text, CgroupMode::V1);
  ASSERT_TRUE(v1->ok());
  EXPECT_EQ(value_of(*v1->plan, "blkio.throttle.read_bps_device"), "/sys/fs/cgroup/blkio/nsplan/x/blkio.throttle.read_bps_device = 8:0 1048576");
  EXPECT_EQ(value_of(*v1->plan, "blkio.throttle.write_iops_device"), "/sys/fs/cgroup/blkio/nsplan/x/blkio.throttle.write_iops_device = 8:0 100");
  // A device path needs the target's device numbers.
  const char* by_path = "nsplan: 1\nname: x\ncgroup:\n  io:\n    devices: [{device: /dev/sda, rbps: 1M}]\n";
  EXPECT_FALSE(compile_text(by_path)->ok());
  // A probed host is asked for that one path, and only when a profile names one.
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  std::vector<std::string> asked;
  facts.block_device_number = [&asked](const std::string& dev) -> std::optional<std::string> {
    asked.push_back(dev);
    return dev == "/dev/sda" ? std::optional<std::string>("8:0") : std::nullopt;
  };
  auto resolved = compile_with(by_path, facts);
  ASSERT_TRUE(resolved->ok()) << render_all(resolved->diags, resolved->sources);
  EXPECT_EQ(value_of(*resolved->plan, "io.max"), "/sys/fs/cgroup/nsplan/x/io.max = 8:0 rbps=1048576");
  EXPECT_EQ(asked, std::vector<std::string>{"/dev/sda"});
  asked.clear();
  EXPECT_TRUE(compile_with(text, facts)->ok());
  EXPECT_TRUE(asked.empty()) << "MAJ:MIN needs no lookup";
  EXPECT_FALSE(compile_with("nsplan: 1\nname: x\ncgroup:\n  io:\n    devices: [{device: /dev/sda1, rbps: 1M}]\n", facts)->ok());
}

TEST(Planner, VethPeerIsBornInItsNamespaceNeverMoved) {
  auto c = compile_text(R"(nsplan: 1
name: lab
network:
  namespaces: [a, b]
  links:
    - {name: h0, kind: veth, peer: {name: eth0, netns: a}}
    - {name: x0, kind: veth, netns: a, peer: {name: y0}}
    - {name: p0, kind: veth, netns: a, peer: {name: q0, netns: b}}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  EXPECT_TRUE(steps_of<plan::MoveLink>(*c->plan).empty());
  auto links = steps_of<plan::CreateLink>(*c->plan);
  ASSERT_EQ(links.size(), 3u);
  EXPECT_EQ(links[0].netns, "");
  EXPECT_EQ(links[0].peer_netns, "a");
  EXPECT_NE(links[0].group, 0u);
  // Only the peer on the host: created from the host side, the end in `a` born there.
  EXPECT_EQ(links[1].name, "y0");
  EXPECT_EQ(links[1].netns, "");
  EXPECT_EQ(links[1].peer_name, "x0");
  EXPECT_EQ(links[1].peer_netns, "a");
  // Neither end on the host: no link group needed, dropping the namespaces removes them.
  EXPECT_EQ(links[2].netns, "a");
  EXPECT_EQ(links[2].peer_netns, "b");
  EXPECT_EQ(links[2].group, 0u);
  // New namespaces get their loopback up.
  auto ups = steps_of<plan::SetLinkUp>(*c->plan);
  EXPECT_EQ(ups[0].netns, "a");
  EXPECT_EQ(ups[0].dev, "lo");
}

TEST(Planner, StackedLinksFollowTheirParentAndAreBornInTheirNamespace) {
  auto c = compile_text(R"(nsplan: 1
name: lab
network:
  namespaces: [a]
  links:
    - {name: mv0, kind: macvlan, parent: d0, netns: a}
    - {name: d0, kind: dummy}
    - {name: eth1, kind: device, netns: a}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  auto links = steps_of<plan::CreateLink>(*c->plan);
  ASSERT_EQ(links.size(), 2u);
  EXPECT_EQ(links[0].name, "d0");  // the parent first, whatever the file order
  EXPECT_EQ(links[1].name, "mv0");
  EXPECT_EQ(links[1].parent_netns, "");
  EXPECT_EQ(links[1].netns, "a");
  EXPECT_EQ(links[1].mode, "bridge");
  ASSERT_EQ(steps_of<plan::MoveLink>(*c->plan).size(), 1u);  // only an existing device moves
}

TEST(Planner, ARenamedDeviceIsMovedAndRenamedInOneStepAndKnownByItsNewName) {
  auto c = compile_text(R"(nsplan: 1
name: mover
network:
  namespaces: [a]
  links:
    - {name: enp3s0, kind: device, netns: a, name_inside: eth1, addresses: [10.98.0.2/24]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  auto moves = steps_of<plan::MoveLink>(*c->plan);
  ASSERT_EQ(moves.size(), 1u);
  EXPECT_EQ(moves[0].name, "enp3s0");
  EXPECT_EQ(moves[0].new_name, "eth1");
  auto addresses = steps_of<plan::AddAddress>(*c->plan);
  ASSERT_EQ(addresses.size(), 1u);
  EXPECT_EQ(addresses[0].dev, "eth1");
  for (const auto& up : steps_of<plan::SetLinkUp>(*c->plan)) EXPECT_NE(up.dev, "enp3s0");
}

TEST(Planner, LinkGroupIsStableAndNotDefault) {
  EXPECT_EQ(link_group_of("lab"), link_group_of("lab"));
  EXPECT_NE(link_group_of("lab"), link_group_of("lab2"));
  EXPECT_GE(link_group_of(""), 0x10000u);
}

TEST(Planner, LaunchCreatesUserNamespaceFirstAndJoinsPersistentOnes) {
  auto c = compile_text(R"(nsplan: 1
name: x
namespaces:
  pid: {}
  net: {persist: x-net}
  uts: {hostname: box}
  user: {uid_map: "0 100000 65536"}
limits: {nofile: 1024}
run: {command: [sh]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const auto& l = *c->plan->launch;
  ASSERT_FALSE(l.unshare.kinds.empty());
  EXPECT_EQ(l.unshare.kinds.front(), plan::NsKind::User);
  ASSERT_EQ(l.join.size(), 1u);
  EXPECT_EQ(l.join[0].path, "/run/netns/x-net");
  EXPECT_EQ(l.unshare.uid_map, std::vector<std::string>{"0 100000 65536"});
  EXPECT_TRUE(l.unshare.setuid_root);
  EXPECT_FALSE(l.unshare.setgid_root);  // no gid map: no gid 0 to become
  EXPECT_TRUE(l.unshare.clear_groups_first);
  ASSERT_EQ(l.inside.size(), 2u);
  EXPECT_EQ(std::get<plan::SetUtsName>(l.inside[0]).hostname, "box");
  EXPECT_EQ(std::get<plan::SetRlimit>(l.inside[1]).soft, 1024u);
}

// The inside steps as one line each, for order tests: "mount bind /a /b", "ro /b", ...
std::vector<std::string> inside_lines(const plan::Launch& l) {
  std::vector<std::string> out;
  for (const auto& step : l.inside) {
    if (auto* m = std::get_if<plan::Mount>(&step)) {
      static const char* kType[] = {"proc", "tmpfs", "bind", "devpts", "mqueue", "sysfs"};
      out.push_back(std::string("mount ") + kType[static_cast<int>(m->type)] + " " + m->source + " " + m->target);
    } else if (auto* r = std::get_if<plan::RemountReadOnly>(&step)) {
      out.push_back("ro " + r->target);
    } else if (auto* p = std::get_if<plan::MakeMountPoint>(&step)) {
      out.push_back("mkpoint " + p->path + (p->source_of_kind.empty() ? "" : " like " + p->source_of_kind));
    } else if (auto* p = std::get_if<plan::PivotRoot>(&step)) {
      out.push_back("pivot " + p->root);
    } else if (std::holds_alternative<plan::MountPropagation>(step)) {
      out.push_back("propagation");
    } else if (std::holds_alternative<plan::LoopbackUp>(step)) {
      out.push_back("lo up");
    } else if (auto* c = std::get_if<plan::ChangeDir>(&step)) {
      out.push_back("cd " + c->dir);
    }
  }
  return out;
}

TEST(PlannerLaunch, MountsFollowTheMountTreeNotTheKindOfMount) {
  // Parents first, then the profile's order. The bind into the tmpfs and the bind out of it need
  // the tmpfs first; the mount point is made in the tmpfs (nowhere else); /usr is read-only (bound
  // on itself first: it may be a plain directory), but the bind below it, made after, keeps its
  // own mode.
  auto c = compile_text(R"(nsplan: 1
name: x
namespaces:
  mnt:
    read_only: [/usr]
    bind:
      - {source: /srv/src, target: /scratch/src}
      - {source: /scratch, target: /var/scratch}
      - {source: /home/me/bin, target: /usr/local/bin}
    tmpfs: [{path: /scratch}]
run: {command: [sh]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  EXPECT_EQ(inside_lines(*c->plan->launch),
            (std::vector<std::string>{"propagation", "mount tmpfs tmpfs /scratch", "mount bind /usr /usr", "ro /usr",
                                      "mkpoint /scratch/src like /srv/src", "mount bind /srv/src /scratch/src",
                                      "mount bind /scratch /var/scratch", "mount bind /home/me/bin /usr/local/bin"}));
}

TEST(PlannerLaunch, WithARootEveryMountIsMadeInsideItBeforePivotRoot) {
  auto c = compile_text(R"(nsplan: 1
name: x
namespaces:
  pid: {}
  mnt:
    root: /srv/jail
    proc: true
    tmpfs: [{path: /tmp}]
    bind: [{source: /etc/resolv.conf, target: /tmp/resolv.conf, read_only: true}]
run: {command: [sh], cwd: /work}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  EXPECT_EQ(inside_lines(*c->plan->launch),
            (std::vector<std::string>{"propagation", "mount bind /srv/jail /srv/jail", "mount proc proc /srv/jail/proc",
                                      "mount tmpfs tmpfs /srv/jail/tmp", "mkpoint /srv/jail/tmp/resolv.conf like /etc/resolv.conf",
                                      "mount bind /etc/resolv.conf /srv/jail/tmp/resolv.conf", "ro /srv/jail/tmp/resolv.conf",
                                      "pivot /srv/jail", "cd /work"}));
  // $PWD says where the command starts, in the one environment both renderings use.
  EXPECT_EQ(c->plan->launch->env, (std::vector<std::pair<std::string, std::string>>{{"PWD", "/work"}}));
}

TEST(PlannerLaunch, AReadOnlyPathIsBoundOnItselfUnlessItIsAMountPointAlready) {
  // / and the profile's own mounts are mount points; /etc may be a plain directory.
  auto c = compile_text(R"(nsplan: 1
name: x
namespaces:
  mnt:
    tmpfs: [{path: /scratch}]
    bind: [{source: /srv/a, target: /srv/b, read_only: true}]
    read_only: [/, /scratch, /etc]
run: {command: [sh]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  EXPECT_EQ(inside_lines(*c->plan->launch),
            (std::vector<std::string>{"propagation", "ro /", "mount tmpfs tmpfs /scratch", "ro /scratch", "mount bind /etc /etc",
                                      "ro /etc", "mount bind /srv/a /srv/b", "ro /srv/b"}));
}

TEST(PlannerLaunch, AJoinedUserNamespaceAlsoDropsTheCallersGroupsFirst) {
  auto c = compile_text("nsplan: 1\nname: x\nnamespaces: {user: {path: /proc/1/ns/user}, uts: {}}\nrun: {command: [id], groups: [5]}\n");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);  // the joined namespace's setgroups decides
  const plan::Launch& l = *c->plan->launch;
  EXPECT_TRUE(l.unshare.clear_groups_first);
  EXPECT_FALSE(l.unshare.has(plan::NsKind::User));
  ASSERT_EQ(l.join.size(), 1u);
  EXPECT_EQ(l.join[0].kind, plan::NsKind::User);
  EXPECT_EQ(l.identity.groups, std::vector<uint32_t>{5});
  EXPECT_FALSE(l.identity.uid.has_value());  // joining changes no id
}

TEST(PlannerLaunch, WithARootAndNoCwdPwdIsTheNewRoot) {
  // pivot_root leaves the command in "/": $PWD says so, not the caller's directory.
  auto c = compile_text("nsplan: 1\nname: x\nnamespaces: {mnt: {root: /srv/jail}}\nrun: {command: [sh]}\n");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  EXPECT_EQ(c->plan->launch->env, (std::vector<std::pair<std::string, std::string>>{{"PWD", "/"}}));
  auto given = compile_text("nsplan: 1\nname: x\nnamespaces: {mnt: {root: /srv/jail}}\nrun: {command: [sh], env: {PWD: /x}}\n");
  ASSERT_TRUE(given->ok()) << render_all(given->diags, given->sources);
  EXPECT_EQ(given->plan->launch->env, (std::vector<std::pair<std::string, std::string>>{{"PWD", "/x"}}));
}

TEST(PlannerLaunch, AUidAloneSetsTheGidAndClearsTheGroups) {
  auto c = compile_text("nsplan: 1\nname: x\nrun: {command: [id], uid: 1000}\n");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const plan::Identity& id = c->plan->launch->identity;
  EXPECT_EQ(id.uid, 1000u);
  EXPECT_EQ(id.gid, 1000u);
  EXPECT_TRUE(id.set_groups);
  EXPECT_TRUE(id.groups.empty());

  auto g = compile_text("nsplan: 1\nname: x\nrun: {command: [id], uid: 1000, gid: 100, groups: [27, 44]}\n");
  ASSERT_TRUE(g->ok()) << render_all(g->diags, g->sources);
  EXPECT_EQ(g->plan->launch->identity.gid, 100u);
  EXPECT_EQ(g->plan->launch->identity.groups, (std::vector<uint32_t>{27, 44}));
}

TEST(PlannerLaunch, GroupsInANewUserNamespaceNeedSetgroupsAllow) {
  auto c = compile_text(R"(nsplan: 1
name: x
namespaces:
  user: {uid_map: "0 100000 65536", gid_map: "0 100000 65536"}
run: {command: [id], groups: [5]}
)");
  EXPECT_FALSE(c->ok());
  ASSERT_FALSE(c->diags.all().empty());
  EXPECT_EQ(c->diags.all()[0].message, "supplementary groups in a new user namespace need setgroups: allow");
}

TEST(PlannerLaunch, ANewNetworkNamespaceHasLoopbackUpAndKeptDescriptorsAreSorted) {
  auto c = compile_text("nsplan: 1\nname: x\nnamespaces: {net: {}}\nrun: {command: [sh], keep_fds: [7, 3, 7], clear_env: true}\n");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  EXPECT_EQ(inside_lines(*c->plan->launch), std::vector<std::string>{"lo up"});
  EXPECT_EQ(c->plan->launch->keep_fds, (std::vector<int>{3, 7}));
  EXPECT_TRUE(c->plan->launch->clear_env);
}

TEST(PlannerNetwork, IPv6AddressesSkipDuplicateAddressDetection) {
  auto c = compile_text(R"(nsplan: 1
name: x
network:
  namespaces: [x-a]
  links:
    - {name: d0, kind: dummy, netns: x-a, addresses: [10.0.0.1/24, "fd00::1/64"]}
)");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  std::vector<std::pair<std::string, bool>> addresses;
  for (const auto& s : c->plan->steps)
    if (auto* a = std::get_if<plan::AddAddress>(&s.action)) addresses.emplace_back(a->cidr, a->nodad);
  EXPECT_EQ(addresses, (std::vector<std::pair<std::string, bool>>{{"10.0.0.1/24", false}, {"fd00::1/64", true}}));
}

TEST(Planner, MemoryShareOfRamIsBytesOfTheProbedMemTotalAndAnErrorForAStatedTarget) {
  const std::string profile = "nsplan: 1\nname: x\ncgroup:\n  path: r\n  memory: {max: 5%, high: 2.5%, min: 0.01%}\n";
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  facts.memory_total = uint64_t{16} << 30;
  auto c = testing::compile_with(profile, facts);
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  EXPECT_EQ(value_of(*c->plan, "memory.max"), "/sys/fs/cgroup/r/memory.max = 858992640");  // 819.2 MiB, in pages
  EXPECT_EQ(value_of(*c->plan, "memory.high"), "/sys/fs/cgroup/r/memory.high = 429494272");
  EXPECT_EQ(value_of(*c->plan, "memory.min"), "/sys/fs/cgroup/r/memory.min = 1716224");
  bool noted = false;
  for (const auto& s : c->plan->steps)
    for (const auto& n : s.notes) noted |= n.find("memory max 5% of this host's RAM (16G, MemTotal in /proc/meminfo)") == 0;
  EXPECT_TRUE(noted);
  auto stated = compile_text(profile);
  EXPECT_FALSE(stated->ok());
  EXPECT_NE(render_all(stated->diags, stated->sources)
                .find("p.yaml:5:17: error: memory max 5% is a share of RAM, which nsplan knows only on the host it runs on"),
            std::string::npos)
      << render_all(stated->diags, stated->sources);
  auto zero = compile_text("nsplan: 1\nname: x\ncgroup:\n  memory: {max: 0%}\n");
  EXPECT_FALSE(zero->ok());
  auto over = compile_text("nsplan: 1\nname: x\ncgroup:\n  memory: {max: 100.5%}\n");
  EXPECT_FALSE(over->ok());
}

TEST(Planner, SwapMaxOnV1IsMemswMinusOneWithOrWithoutAMemoryMax) {
  for (const char* memory : {"{swap: max}", "{max: 1G, swap: max}", "{max: max, swap: max}"}) {
    auto c = compile_text(std::string("nsplan: 1\nname: x\ncgroup:\n  path: s\n  memory: ") + memory + "\n", CgroupMode::V1);
    ASSERT_TRUE(c->ok()) << memory;
    EXPECT_EQ(value_of(*c->plan, "memory.memsw.limit_in_bytes"), "/sys/fs/cgroup/memory/s/memory.memsw.limit_in_bytes = -1") << memory;
    EXPECT_TRUE(c->diags.all().empty()) << memory << "\n" << render_all(c->diags, c->sources);
  }
}

TEST(Planner, MemoryAndCpuExtrasOnEachHierarchy) {
  const std::string profile =
      "nsplan: 1\nname: x\ncgroup:\n  path: e\n"
      "  memory: {oom_group: true, swappiness: 30, zswap_max: 64M}\n"
      "  cpu: {max: 50%, burst: 20000, idle: true, uclamp_min: 12.5, uclamp_max: 80}\n";
  auto v2 = compile_text(profile, CgroupMode::V2);
  ASSERT_TRUE(v2->ok());
  EXPECT_EQ(value_of(*v2->plan, "memory.oom.group"), "/sys/fs/cgroup/e/memory.oom.group = 1");
  EXPECT_EQ(value_of(*v2->plan, "memory.zswap.max"), "/sys/fs/cgroup/e/memory.zswap.max = 67108864");
  EXPECT_EQ(value_of(*v2->plan, "cpu.max.burst"), "/sys/fs/cgroup/e/cpu.max.burst = 20000");
  EXPECT_EQ(value_of(*v2->plan, "cpu.idle"), "/sys/fs/cgroup/e/cpu.idle = 1");
  EXPECT_EQ(value_of(*v2->plan, "cpu.uclamp.min"), "/sys/fs/cgroup/e/cpu.uclamp.min = 12.50");
  EXPECT_EQ(value_of(*v2->plan, "cpu.uclamp.max"), "/sys/fs/cgroup/e/cpu.uclamp.max = 80.00");
  const std::string v2_text = render_all(v2->diags, v2->sources);
  EXPECT_NE(v2_text.find("p.yaml:5:41: warning: cgroup v2 has no per-cgroup swappiness"), std::string::npos) << v2_text;

  auto v1 = compile_text(profile, CgroupMode::V1);
  ASSERT_TRUE(v1->ok());
  EXPECT_EQ(value_of(*v1->plan, "memory.swappiness"), "/sys/fs/cgroup/memory/e/memory.swappiness = 30");
  EXPECT_EQ(value_of(*v1->plan, "cpu.cfs_burst_us"), "/sys/fs/cgroup/cpu/e/cpu.cfs_burst_us = 20000");
  EXPECT_EQ(value_of(*v1->plan, "cpu.idle"), "/sys/fs/cgroup/cpu/e/cpu.idle = 1");
  EXPECT_EQ(value_of(*v1->plan, "cpu.uclamp.max"), "/sys/fs/cgroup/cpu/e/cpu.uclamp.max = 80.00");
  const std::string v1_text = render_all(v1->diags, v1->sources);
  EXPECT_NE(v1_text.find("p.yaml:5:23: warning: memory oom_group has no cgroup v1 equivalent"), std::string::npos) << v1_text;
  EXPECT_NE(v1_text.find("p.yaml:5:56: warning: cgroup v1 has no zswap limit"), std::string::npos) << v1_text;

  auto burst = compile_text("nsplan: 1\nname: x\ncgroup:\n  cpu: {max: 10%, burst: 20000}\n");
  EXPECT_FALSE(burst->ok());
  EXPECT_NE(render_all(burst->diags, burst->sources).find("p.yaml:4:26: error: cpu burst 20000 µs is above the quota of cpu max"),
            std::string::npos) << render_all(burst->diags, burst->sources);
}

TEST(Planner, StrictTurnsLossyWarningsIntoErrors) {
  const char* text = "nsplan: 1\nname: x\ncgroup:\n  memory: {max: 1G, high: 512M}\n";
  auto lenient = compile_text(text, CgroupMode::V1, false);
  EXPECT_TRUE(lenient->ok());
  ASSERT_EQ(lenient->diags.all().size(), 1u);
  EXPECT_EQ(lenient->diags.all()[0].severity, Severity::Warning);
  auto strict = compile_text(text, CgroupMode::V1, true);
  EXPECT_FALSE(strict->ok());
  EXPECT_EQ(strict->diags.all()[0].message, "memory high has no cgroup v1 equivalent; it is not applied");
}

}  // namespace
}  // namespace nsplan
