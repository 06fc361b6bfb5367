// The limits of compiler/cgroup_limits.h, against the kernel of this machine:
//   1. the kernel itself refuses, or silently caps, exactly where the limits say (written by the
//      test into a cgroup it made, without nsplan), so that what nsplan refuses at compile time
//      is what the kernel would refuse or keep as something else;
//   2. values the kernel normalises (a size kept as "no limit", pages) converge: after an apply,
//      a second `nsplan plan` reports no change (exit 0) and a second apply changes nothing;
//   3. a cpuset naming CPUs or memory nodes this host does not have is refused when nsplan plans
//      for this host, with the host's own list in the hint; planning for another machine
//      (--cgroup v2) checks nothing and says so.
// Cgroups: only below CgroupParent's "nsplan-t-<pid>-cg<n>"; nsplan runs in Sandboxes.
#include <fcntl.h>
#include <mntent.h>
#include <sys/sysinfo.h>
#include <unistd.h>

#include <map>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "compiler/cgroup_limits.h"
#include "compiler/units.h"
#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

namespace limits = cgroup_limits;

class KernelLimits : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    ASSERT_TRUE(host_probe().ok) << host_probe().error;
    ASSERT_TRUE(tmp_.ok());
  }
  bool v2() const { return host_probe().facts.mode == CgroupMode::V2; }
  TempDir tmp_;
};

// Writes VALUE with one write(2): 0, or the errno.
int write_errno(const std::string& path, const std::string& value) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  ssize_t n = ::write(fd, value.data(), value.size());
  int e = n == static_cast<ssize_t>(value.size()) ? 0 : errno;
  ::close(fd);
  return e;
}

std::string n(uint64_t v) { return std::to_string(v); }

// ---- 1. the kernel, written to directly -----------------------------------------------------------

TEST_F(KernelLimits, TheKernelRefusesOrCapsWhereTheLimitsSay) {
  CgroupParent cg({"memory", "cpu", "pids"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  // A child below the parent: v2 takes no limit on a cgroup whose controllers it hands down.
  std::vector<std::string> made;
  auto child = [&](const std::string& controller) {
    std::string d = cg.dir_of(controller) + "/limits";
    if (std::find(made.begin(), made.end(), d) == made.end()) {
      EXPECT_EQ(::mkdir(d.c_str(), 0755), 0) << d << ": " << std::strerror(errno);
      made.push_back(d);
    }
    return d;
  };
  if (v2()) {
    ASSERT_EQ(write_errno(cg.dir_of("memory") + "/cgroup.subtree_control", "+memory +cpu +pids"), 0);
  }

  // Memory: a size is kept in pages, capped at PAGE_COUNTER_MAX, which reads back as no limit.
  const std::string mem = child("memory") + (v2() ? "/memory.max" : "/memory.limit_in_bytes");
  const std::string no_limit = v2() ? "max" : trim(read_file(mem));  // a new cgroup has none
  for (uint64_t bytes : {limits::kMaxMemoryBytes, limits::kMaxMemoryBytes + 1, uint64_t{9999999} << 40}) {
    ASSERT_EQ(write_errno(mem, n(bytes)), 0) << bytes;
    EXPECT_EQ(trim(read_file(mem)), no_limit) << bytes << " is not kept as no limit";
  }
  const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
  const uint64_t below = (limits::kMaxMemoryBytes / page - 1) * page;
  ASSERT_EQ(write_errno(mem, n(below + 1)), 0);
  EXPECT_EQ(trim(read_file(mem)), n(below)) << "a size is rounded down to whole pages";

  // pids.max: up to PID_MAX_LIMIT.
  const std::string pids = child("pids") + "/pids.max";
  EXPECT_EQ(write_errno(pids, n(limits::kMaxPids)), 0);
  EXPECT_EQ(trim(read_file(pids)), n(limits::kMaxPids));
  EXPECT_EQ(write_errno(pids, n(limits::kMaxPids + 1)), EINVAL);

  // CPU bandwidth: period 1 ms..1 s, quota 1 ms..2^44-1 µs.
  const std::string cpu = child("cpu");
  auto bandwidth = [&](uint64_t quota, uint64_t period) {
    if (v2()) return write_errno(cpu + "/cpu.max", n(quota) + " " + n(period));
    int e = write_errno(cpu + "/cpu.cfs_period_us", n(period));
    return e ? e : write_errno(cpu + "/cpu.cfs_quota_us", n(quota));
  };
  EXPECT_EQ(bandwidth(limits::kMinCpuQuotaUs, limits::kMinCpuPeriodUs), 0);
  EXPECT_EQ(bandwidth(limits::kMaxCpuQuotaUs, limits::kMaxCpuPeriodUs), 0);
  EXPECT_EQ(bandwidth(limits::kMinCpuQuotaUs - 1, limits::kDefaultCpuPeriodUs), EINVAL);
  EXPECT_EQ(bandwidth(limits::kMaxCpuQuotaUs + 1, limits::kDefaultCpuPeriodUs), EINVAL);
  EXPECT_EQ(bandwidth(limits::kMinCpuQuotaUs, limits::kMinCpuPeriodUs - 1), EINVAL);
  EXPECT_EQ(bandwidth(limits::kMinCpuQuotaUs, limits::kMaxCpuPeriodUs + 1), EINVAL);

  for (auto it = made.rbegin(); it != made.rend(); ++it) EXPECT_EQ(::rmdir(it->c_str()), 0) << *it;
  if (v2()) (void)write_errno(cg.dir_of("memory") + "/cgroup.subtree_control", "-memory -cpu -pids");
}

// ---- 2. what the kernel normalises converges ---------------------------------------------------

// v1: memsw = max + swap is above the largest size the kernel keeps, so it keeps no memsw limit.
// v2: memory.high at exactly that largest size reads back as max. Neither may be reported as a
// change forever.
TEST_F(KernelLimits, NormalisedValuesConverge) {
  const std::string name = test_name("conv");
  const std::string path = tmp_.write("conv.yaml",
                                      "nsplan: 1\n"
                                      "name: " + name + "\n"
                                      "cgroup:\n"
                                      "  path: conv\n"
                                      "  memory:\n"
                                      "    max: 5000000T\n"
                                      "    swap: 5000000T\n"
                                      + std::string(v2() ? "    high: 9223372036854771712\n" : "") +
                                      "    soft: 1000000001\n");  // not page-aligned
  NSPLAN_PREPARE(p, path);
  const std::string parent = p.parent->name();
  // Without swap accounting there is no memsw (a warning says so), and the rest still converges.
  const bool memsw = !v2() && p.plan().facts.swap_accounting;
  bool memsw_capped = false;
  for (const auto& step : p.plan().steps)
    for (const auto& note : step.notes) memsw_capped |= contains(note, "it keeps no memsw limit");
  EXPECT_EQ(memsw_capped, memsw) << "the v1 plan says that memsw is no limit";
  NSPLAN_SANDBOX(sb, tmp_.path());
  RunResult apply = sb.run(nsplan_cmd("apply", path, parent));
  ASSERT_EQ(apply.code(), 0) << apply.describe();
  RunResult plan = sb.run(nsplan_cmd("plan", path, parent));
  EXPECT_EQ(plan.code(), 0) << "a second plan must find nothing to change:\n" << plan.describe();
  EXPECT_TRUE(contains(plan.out, "no changes")) << plan.describe();
  RunResult again = sb.run(nsplan_cmd("apply", path, parent));
  EXPECT_EQ(again.code(), 0) << again.describe();
  EXPECT_TRUE(contains(again.out, "no changes")) << again.describe();
  RunResult status = sb.run(nsplan_cmd("status", path, parent, "--json"));
  EXPECT_EQ(items_not(parse_status(status), true), std::vector<std::string>{}) << status.describe();
  // What the kernel keeps, read by the test: no limit where nsplan says so.
  const std::string leaf = p.plan().facts.base_of("memory") + "/conv";
  if (v2()) {
    EXPECT_EQ(trim(read_file(leaf + "/memory.high")), "max");
  } else if (memsw) {
    const uint64_t page = static_cast<uint64_t>(::sysconf(_SC_PAGESIZE));
    EXPECT_EQ(trim(read_file(leaf + "/memory.memsw.limit_in_bytes")), n(9223372036854775807ull / page * page));
  }
  RunResult destroy = sb.run(nsplan_cmd("destroy", path, parent));
  EXPECT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_EQ(leftovers_in(sb, p.parent.get(), name), std::vector<std::string>{});
}

// ---- 3. cpusets against this host --------------------------------------------------------------

TEST_F(KernelLimits, ProbeReadsTheOnlineCpusAndMemoryNodes) {
  const HostFacts& f = host_probe().facts;
  ASSERT_TRUE(f.online_cpus.has_value());
  EXPECT_EQ(*f.online_cpus, units::parse_cpu_list(trim(read_file("/sys/devices/system/cpu/online"))).value());
  ASSERT_TRUE(f.memory_nodes.has_value());
  if (path_exists("/sys/devices/system/node"))
    EXPECT_EQ(*f.memory_nodes, units::parse_cpu_list(trim(read_file("/sys/devices/system/node/has_memory"))).value());
  else
    EXPECT_EQ(*f.memory_nodes, "0");
}

// The probe reads /proc and cgroupfs with its own small parsers; getmntent(3), sysinfo(2) and an
// istream read the same facts here another way.
TEST_F(KernelLimits, ProbeReadsTheRamAndTheCgroupLayoutAsOtherReadersDo) {
  const HostFacts& f = host_probe().facts;
  struct sysinfo si {};
  ASSERT_EQ(::sysinfo(&si), 0);
  ASSERT_TRUE(f.memory_total.has_value());
  EXPECT_EQ(*f.memory_total, static_cast<uint64_t>(si.totalram) * si.mem_unit);
  std::map<std::string, std::string> mounts;
  if (f.mode == CgroupMode::V2) {
    // /proc/cgroups lists the kernel's controllers, v1-only ones (freezer, net_cls) too, with
    // hierarchy 0 for those on no v1 hierarchy. What the probe finds must be among the enabled
    // ones of those (blkio is io on v2), and it must find every such one of the v2 controllers
    // named here; a newer v2 controller (dmem) is allowed without being required.
    const std::set<std::string> known_v2{"cpuset", "cpu", "io", "memory", "hugetlb", "pids", "rdma", "misc"};
    std::set<std::string> listed;
    std::istringstream cgroups(read_file("/proc/cgroups"));
    for (std::string line; std::getline(cgroups, line);) {
      if (line.empty() || line[0] == '#') continue;
      std::istringstream fields(line);
      std::string name;
      int hierarchy = -1, groups = 0, enabled = 0;
      ASSERT_TRUE(fields >> name >> hierarchy >> groups >> enabled) << line;
      if (name == "blkio") name = "io";
      if (hierarchy == 0 && enabled == 1) listed.insert(name);
    }
    for (const std::string& c : f.controllers) EXPECT_TRUE(listed.count(c)) << c << " is not in /proc/cgroups";
    for (const std::string& c : known_v2) {
      if (listed.count(c)) {
        EXPECT_TRUE(f.controllers.count(c)) << c << " was not found by the probe";
      }
    }
    EXPECT_FALSE(f.controllers.empty());
  } else {
    // /proc/self/mounts mixes the mount's flags (nosuid, relatime) into the options: a controller
    // is an option /proc/cgroups names.
    std::set<std::string> subsystems, controllers;
    std::istringstream cgroups(read_file("/proc/cgroups"));
    for (std::string line; std::getline(cgroups, line);)
      if (!line.empty() && line[0] != '#') subsystems.insert(line.substr(0, line.find('\t')));
    FILE* table = ::setmntent("/proc/self/mounts", "r");
    ASSERT_NE(table, nullptr);
    while (mntent* m = ::getmntent(table)) {
      if (std::string(m->mnt_type) != "cgroup" || std::string(m->mnt_dir).rfind(f.cgroup_root + "/", 0) != 0) continue;
      std::istringstream opts(m->mnt_opts);
      for (std::string opt; std::getline(opts, opt, ',');) {
        if (!subsystems.count(opt) && opt.rfind("name=", 0) != 0) continue;
        mounts.emplace(opt, m->mnt_dir);
        controllers.insert(opt);
      }
    }
    ::endmntent(table);
    EXPECT_FALSE(mounts.empty());
    EXPECT_EQ(f.controllers, controllers);
  }
  EXPECT_EQ(f.v1_mounts, mounts);
  // The limit facts read only for the profiles that need them.
  if (f.controllers.count("misc")) {
    std::map<std::string, uint64_t> capacity;
    std::istringstream in(read_file(f.hierarchy_of("misc") + "/misc.capacity"));
    std::string name;
    for (uint64_t n = 0; in >> name >> n;) capacity[name] = n;
    ASSERT_TRUE(f.misc_capacity.has_value());
    EXPECT_EQ(*f.misc_capacity, capacity);
  }
  const std::string cpu = f.mode == CgroupMode::V1 && f.controllers.count("cpu") ? f.hierarchy_of("cpu") : "";
  if (!cpu.empty() && path_exists(cpu + "/cpu.rt_runtime_us")) {
    auto rt = applier::rt_bandwidth_of(cpu);
    ASSERT_TRUE(rt.has_value());
    EXPECT_EQ(std::to_string(rt->runtime_us), trim(read_file(cpu + "/cpu.rt_runtime_us")));
    EXPECT_EQ(std::to_string(rt->period_us), trim(read_file(cpu + "/cpu.rt_period_us")));
  }
  EXPECT_FALSE(applier::rt_bandwidth_of(f.cgroup_root + "/nsplan-t-no-such-group").has_value());
}

TEST_F(KernelLimits, CpusetBeyondThisHostIsRefusedOnlyWhenPlanningForIt) {
  const HostFacts& f = host_probe().facts;
  ASSERT_TRUE(f.online_cpus && f.memory_nodes);
  // A CPU and a node this host does not have: the last possible index, unless it is online here.
  ASSERT_FALSE(units::cpu_list_difference("8191", *f.online_cpus).value().empty()) << "8191 CPUs online?";
  ASSERT_FALSE(units::cpu_list_difference("1023", *f.memory_nodes).value().empty()) << "1024 nodes?";
  const std::string path = tmp_.write("pin.yaml",
                                      "nsplan: 1\n"
                                      "name: " + test_name("pin") + "\n"
                                      "cgroup:\n"
                                      "  path: pin\n"
                                      "  cpuset:\n"
                                      "    cpus: 0,8191\n"
                                      "    mems: 1023\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", path}}, R"SH(
"$N" plan "$PROFILE" > "$T/plan.out" 2> "$T/plan.err"; echo "plan=$?"
"$N" apply "$PROFILE" > "$T/apply.out" 2> "$T/apply.err"; echo "apply=$?"
"$N" explain "$PROFILE" --cgroup v2 > "$T/explain.out" 2> "$T/explain.err"; echo "explain=$?"
)SH");
  ASSERT_TRUE(r.exited()) << r.describe();
  EXPECT_TRUE(contains(r.out, "plan=1")) << r.describe();
  EXPECT_TRUE(contains(r.out, "apply=1")) << r.describe();
  EXPECT_TRUE(contains(r.out, "explain=0")) << r.describe() << read_file(tmp_.file("explain.err"));
  for (const char* out : {"plan.err", "apply.err"}) {
    const std::string err = read_file(tmp_.file(out));
    EXPECT_TRUE(contains(err, "pin.yaml:6:11: error: cpuset cpus 0,8191 names CPU 8191, which this host does not have"))
        << err;
    EXPECT_TRUE(contains(err, "its online CPUs are " + *f.online_cpus + " (/sys/devices/system/cpu/online)")) << err;
    EXPECT_TRUE(contains(err, "pin.yaml:7:11: error: cpuset mems 1023 names memory node 1023, which this host does not have"))
        << err;
  }
  // For another machine: nothing is claimed about its CPUs.
  const std::string script = read_file(tmp_.file("explain.out"));
  EXPECT_TRUE(contains(script, "not checked against the online CPUs of the target")) << script;
  EXPECT_FALSE(contains(script, "this host's")) << script;
}

}  // namespace
}  // namespace nsplan::kernel_test
