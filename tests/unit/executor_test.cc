// The executor (apply, destroy, diff) against FakeKernel: ordering, exact rollback, recovery of
// a killed apply, the cost of destroy, convergence, and damaged state. The state dir is a real
// temporary directory (on /dev/shm when there is one, so that fsync costs nothing).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <memory>
#include <optional>
#include <set>
#include <sstream>

#include "applier/executor.h"
#include "applier/files.h"
#include "applier/record_check.h"
#include "applier/state.h"
#include "compiler/cgroup_files.h"
#include "compiler/compile.h"
#include "compiler/planner.h"
#include "fake_kernel.h"

namespace nsplan {
namespace {

namespace fs = std::filesystem;
using applier::ApplyOutcome;
using applier::DestroyOutcome;
using testing::FakeCall;
using testing::FakeCrash;
using testing::FakeKernel;
using testing::FakeNetns;
using testing::FakeState;
using testing::fake_state_diff;

// ---- profiles ----------------------------------------------------------------------------------

std::string src(const std::string& rel) { return std::string(NSPLAN_SOURCE_DIR) + "/" + rel; }

std::string profile_text(const std::string& rel) {
  auto c = applier::read_profile_file(src(rel));
  EXPECT_TRUE(c.ok) << rel << ": " << c.error;
  return c.text;
}

// TEXT with FROM replaced by TO (FROM must be there).
std::string edit(std::string text, const std::string& from, const std::string& to) {
  auto p = text.find(from);
  if (p == std::string::npos) {
    ADD_FAILURE() << "'" << from << "' is not in the profile";
    return text;
  }
  return text.replace(p, from.size(), to);
}

// A profile that exercises what the shipped ones do not: v1 cpuset (copy from the parent),
// v1 rt runtime (an ancestor first), per-device io limits and weights, huge page limits, owners
// of the cgroup's files (cgroup.permissions), persistent uts/ipc namespaces, a dummy with mtu and IPv6, a macvlan on a
// host device, a moved device, MAC addresses (a moved device's: a test of its own), a veth port of a
// bridge of the host (host_bridges), IPv6 routes and routes with a metric. (A moved device with an mtu
// and a route in another table have tests of their own below.)
const char* kKitchen = R"(nsplan: 1
name: kitchen
cgroup:
  path: kit/chen
  memory: {max: 1G, swap: 1G, oom_group: true, swappiness: 30, zswap_max: 64M}
  cpu: {max: 50%, burst: 10000, idle: true, uclamp_min: 12.5, uclamp_max: 100, rt_runtime: 20000, rt_period: 100000}
  cpuset: {cpus: "0-1"}
  io: {weight: 50, devices: [{device: "8:0", wbps: 50M}], device_weights: [{device: "8:0", weight: 300}]}
  hugetlb: [{page: 2M, max: 64M, reserved: 32M}]
  permissions:
    tasks: {user: alice, group: users, mode: "0664"}
    admin: {group: webmaster, dir_mode: "0775", file_mode: "0640"}
namespaces:
  net: {persist: kit-a}
  uts: {persist: kit-uts, hostname: kitchen, domainname: example.org}
  ipc: {persist: kit-ipc}
network:
  host_bridges: [br-host]
  links:
    - name: dm-kit
      kind: dummy
      mtu: 9000
      mac: 02:00:00:00:88:01
      addresses: [10.88.0.1/24, fd88::1/64]
    - name: vk-host
      kind: veth
      master: br-host
      mac: "02:00:00:00:88:02"
      peer: {name: eth0, netns: kit-a, mac: 02:00:00:00:88:03}
    - name: mv-kit
      kind: macvlan
      parent: eth1
      netns: kit-a
      addresses: [192.168.50.7/24]
    - name: eth2
      kind: device
      netns: kit-a
      addresses: [10.99.0.2/24]
  routes:
    - {to: 10.89.0.0/16, via: 10.88.0.2, metric: 50}
    - {to: "fd89::/48", via: "fd88::2"}
    - {netns: kit-a, to: default, via: 192.168.50.1}
run:
  command: [/bin/sh]
)";

// Compiles PATH for MODE; TEXT, when given, is the file's content instead of what is on disk.
std::shared_ptr<Compilation> compile(const std::string& path, CgroupMode mode, const std::optional<std::string>& text = {}) {
  FileReader files = applier::profile_file_reader();
  FileReader reader = [path, text, files](const FileRequest& r) {
    if (text && r.path == path) {
      FileContent c;
      c.ok = true;
      c.text = *text;
      c.identity = "memory:" + r.path;
      return c;
    }
    return files(r);
  };
  std::shared_ptr<Compilation> c = compile_file(path, reader, HostFacts::stated(mode), PlanOptions{});
  EXPECT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  return c;
}

struct Case {
  std::string name;  // "lab_v2"
  std::string path;
  CgroupMode mode;
  std::optional<std::string> text;
};

void PrintTo(const Case& c, std::ostream* os) { *os << c.name; }

std::vector<Case> all_cases() {
  std::vector<Case> out;
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(src("profiles")))
    if (e.path().extension() == ".yaml") files.push_back(e.path());
  std::sort(files.begin(), files.end());
  for (const auto& f : files)
    for (auto mode : {CgroupMode::V1, CgroupMode::V2}) {
      std::string name = f.stem().string() + "_" + to_string(mode);
      for (auto& ch : name)
        if (!isalnum(static_cast<unsigned char>(ch))) ch = '_';
      out.push_back({name, f.string(), mode, std::nullopt});
    }
  for (auto mode : {CgroupMode::V1, CgroupMode::V2})
    out.push_back({std::string("kitchen_") + to_string(mode), src("tests/unit/kitchen.yaml"), mode, std::string(kKitchen)});
  // A profile that applies nothing (only run, as rootless-net) has no step to fault or undo.
  std::erase_if(out, [](const Case& c) {
    auto compiled = compile(c.path, c.mode, c.text);
    return compiled->ok() && compiled->plan->steps.empty();
  });
  return out;
}

std::shared_ptr<Compilation> compile(const Case& c) { return compile(c.path, c.mode, c.text); }

// ---- a fake kernel with a state dir --------------------------------------------------------------

std::string temp_base() {
  std::error_code ec;
  if (fs::is_directory("/dev/shm", ec) && access("/dev/shm", W_OK) == 0) return "/dev/shm";
  return fs::temp_directory_path().string();
}

std::string slurp(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void spit(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

class Rig {
 public:
  explicit Rig(const plan::Plan& p) : kernel(p.facts), facts(p.facts), profile_(p.profile) {
    std::string tmpl = temp_base() + "/nsplan-executor-XXXXXX";
    if (!mkdtemp(tmpl.data())) throw std::runtime_error("mkdtemp failed");
    dir = tmpl;
    open();
  }
  Rig(const Rig&) = delete;
  ~Rig() {
    state.reset();
    std::error_code ec;
    fs::remove_all(dir, ec);
  }
  void open() {
    state.reset();
    auto r = applier::ProfileState::open(dir, profile_, false);
    if (!r.ok()) throw std::runtime_error(r.message());
    state.emplace(std::move(r).value());
  }
  void close() { state.reset(); }
  ApplyOutcome apply(const plan::Plan& p) {
    kernel.clear_calls();
    return applier::apply_plan(p, kernel, *state);
  }
  DestroyOutcome destroy() {
    kernel.clear_calls();
    return applier::destroy_profile(kernel, *state, facts);
  }
  std::vector<applier::Owned> owned() const {
    auto r = state->load();
    EXPECT_TRUE(r.ok()) << r.message();
    return r.ok() ? r.value() : std::vector<applier::Owned>{};
  }
  applier::Diff diff(const plan::Plan& p) {
    kernel.clear_calls();
    return applier::diff_plan(p, kernel, owned());
  }
  std::string state_path() const { return dir + "/" + profile_ + ".state"; }
  std::string journal_path() const { return dir + "/" + profile_ + ".journal"; }
  bool has_state() const { return fs::exists(state_path()); }
  bool has_journal() const { return fs::exists(journal_path()); }
  size_t journal_records() const {
    std::istringstream in(slurp(journal_path()));
    size_t n = 0;
    std::string l;
    while (std::getline(in, l)) n += !l.empty();
    return n;
  }

  FakeKernel kernel;
  HostFacts facts;
  std::string dir;
  std::optional<applier::ProfileState> state;

 private:
  std::string profile_;
};

std::string show(const ApplyOutcome& o) {
  std::string s = std::string("ok=") + (o.ok ? "true" : "false") + " error='" + o.error + "' recovered=" + std::to_string(o.recovered) +
                  " changes=" + std::to_string(o.changes.size());
  for (const auto& e : o.rollback_errors) s += "\n  rollback error: " + e;
  for (const auto& r : o.removed) s += "\n  removed: " + r.text;
  return s;
}
std::string show(const DestroyOutcome& o) {
  std::string s = std::string("ok=") + (o.ok ? "true" : "false");
  for (const auto& e : o.errors) s += "\n  error: " + e;
  return s;
}
std::string lines(const std::vector<std::string>& v) {
  std::string s;
  for (const auto& x : v) s += "  " + x + "\n";
  return s;
}

size_t failures_so_far() {
  const auto* result = ::testing::UnitTest::GetInstance()->current_test_info()->result();
  size_t n = 0;
  for (int i = 0; i < result->total_part_count(); ++i) n += result->GetTestPartResult(i).failed();
  return n;
}

#define EXPECT_STATE_EQ(expected, actual) \
  EXPECT_TRUE((expected) == (actual)) << "state differs (- expected, + actual):\n" << fake_state_diff((expected), (actual))

// ---- hosts ---------------------------------------------------------------------------------------

// A host that is already in use: cgroups and controllers made by others, a namespace of the lab
// made by hand, unrelated links. Values are chosen so that the shipped plans are valid on it.
void live_in(FakeKernel& k, CgroupMode mode) {
  if (mode == CgroupMode::V2) {
    k.set_file_now("/sys/fs/cgroup", "cgroup.subtree_control", "+memory +pids");
    k.make_cgroup_now("/sys/fs/cgroup/memlimit");
    k.set_file_now("/sys/fs/cgroup/memlimit", "memory.max", "2147483648");
    k.set_file_now("/sys/fs/cgroup/memlimit", "memory.low", "536870912");
    k.set_file_now("/sys/fs/cgroup/memlimit", "memory.swap.max", "1073741824");
    k.make_cgroup_now("/sys/fs/cgroup/nsplan");
    k.make_cgroup_now("/sys/fs/cgroup/other");
    k.set_file_now("/sys/fs/cgroup/other", "pids.max", "50");
  } else {
    k.make_cgroup_now("/sys/fs/cgroup/memory/memlimit");
    k.set_file_now("/sys/fs/cgroup/memory/memlimit", "memory.limit_in_bytes", "2147483648");
    k.set_file_now("/sys/fs/cgroup/memory/memlimit", "memory.memsw.limit_in_bytes", "8589934592");
    k.set_file_now("/sys/fs/cgroup/memory/memlimit", "memory.soft_limit_in_bytes", "1073741824");
    k.make_cgroup_now("/sys/fs/cgroup/cpu/nsplan");
    k.set_file_now("/sys/fs/cgroup/cpu/nsplan", "cpu.shares", "2048");
    k.make_cgroup_now("/sys/fs/cgroup/cpuset/kit");
    k.set_file_now("/sys/fs/cgroup/cpuset/kit", "cpuset.cpus", "0-1");
    k.set_file_now("/sys/fs/cgroup/cpuset/kit", "cpuset.mems", "0");
  }
  FakeNetns lab_b;
  lab_b.links["lo"] = testing::FakeLink{"", 65536, "", true, 0, "", "", "", ""};
  k.mutable_state().netns["lab-b"] = lab_b;
  k.mutable_state().netns[""].links["br-other"] = testing::FakeLink{"bridge", 1500, "", true, 0, "", "", "", ""};
}

using HostSetup = std::function<void(FakeKernel&, CgroupMode)>;
void fresh(FakeKernel&, CgroupMode) {}

// ---- what a rollback must do ------------------------------------------------------------------

std::string parent_of(const std::string& p) { return p.substr(0, p.rfind('/')); }

// The kernel calls that undo CHANGES (the successful mutating calls of an apply, oldest first),
// newest first, skipping what another undo makes moot: values in cgroups that are removed,
// hostnames in namespaces that are removed, links and their settings in net namespaces that are
// deleted (except the mtu of a device moved there, which survives), settings of links that are
// deleted; host-side links of a group go in one request (GROUPED) or one by one.
std::vector<std::string> expected_undo(const std::vector<FakeCall>& changes, bool grouped = true) {
  std::set<std::string> dirs, netns, ns_paths, links, moved;
  for (const auto& c : changes) {
    if (c.err) continue;
    if (c.op == "mkdir") dirs.insert(c.target);
    if (c.op == "netns_add") netns.insert(c.target);
    if (c.op == "ns_add") ns_paths.insert(c.target);
    if (c.op == "link_add") links.insert(c.ns + "/" + c.target);
    if (c.op == "link_add" && !c.peer.empty()) links.insert(c.peer);  // a veth's peer goes with it
    if (c.op == "link_move") moved.insert(c.after + "/" + c.target);
  }
  // A device moved into a namespace comes back when it is moved back or the namespace goes,
  // without addresses, routes, master and down, but with the mtu it was given there.
  auto gone = [&](const std::string& ns, const std::string& dev, const std::string& op) {
    if (moved.count(ns + "/" + dev) && (op == "mtu" || op == "mac")) return false;
    return netns.count(ns) > 0 || links.count(ns + "/" + dev) > 0;
  };
  std::set<uint32_t> groups;
  std::vector<std::string> out;
  for (auto it = changes.rbegin(); it != changes.rend(); ++it) {
    const FakeCall& c = *it;
    if (c.err) continue;
    auto add = [&](const std::string& op, const std::string& ns, const std::string& target, std::optional<std::string> value = {}) {
      out.push_back(FakeCall::render(op, ns, target, c.arg, value));
    };
    if (c.op == "mkdir") add("rmdir", "", c.target);
    else if (c.op == "write") {
      // In a cgroup undo removes, only a value its parent's depends on (v1 rt_runtime) goes back.
      const std::string file = c.target.substr(c.target.rfind('/') + 1);
      if (!dirs.count(parent_of(c.target)) || cgroup_files::reset_before_rmdir(file)) add("write", "", c.target, c.before);
    } else if (c.op == "chown") {
      // Owners in a cgroup the undo removes go with it (the profiles here make theirs).
      if (!dirs.count(parent_of(c.target))) ADD_FAILURE() << "owners changed in a cgroup the profile did not make: " << c.text;
    } else if (c.op == "netns_add") add("netns_del", "", c.target);
    else if (c.op == "ns_add") add("ns_del", "", c.target);
    else if (c.op == "sethostname") {
      if (!ns_paths.count(c.target)) add("sethostname", "", c.target, c.before);
    } else if (c.op == "link_add") {
      if (netns.count(c.ns)) continue;
      if (grouped && c.ns.empty() && c.group != 0) {
        if (groups.insert(c.group).second) add("group_del", "", std::to_string(c.group));
      } else {
        add("link_del", c.ns, c.target);
      }
    } else if (c.op == "link_move") add("link_move", c.after, c.target, c.before);
    else if (c.op == "mtu" || c.op == "mac" || c.op == "master" || c.op == "updown") {
      if (!gone(c.ns, c.target, c.op)) add(c.op, c.ns, c.target, c.before);
    } else if (c.op == "addr_add") {
      if (!gone(c.ns, c.target, c.op)) add("addr_del", c.ns, c.target);
    } else if (c.op == "route_add") {
      if (!netns.count(c.ns) && !(!c.arg.empty() && links.count(c.ns + "/" + c.arg))) add("route_del", c.ns, c.target);
    } else if (c.op == "sysctl_set") {
      add("sysctl_set", "", c.target);  // the value found before, while still nsplan's
    } else if (c.op == "nft_load") {
      add("nft_del", "", c.target);
    } else if (c.op == "etc_add") {
      add("etc_del", c.ns, c.target);
    } else {
      ADD_FAILURE() << "no undo known for " << c.text;
    }
  }
  return out;
}

std::vector<std::string> signatures(const std::vector<FakeCall>& calls) {
  std::vector<std::string> out;
  for (const auto& c : calls) out.push_back(c.signature());
  return out;
}

// ---- the fake itself ---------------------------------------------------------------------------

TEST(FakeKernel, CgroupsBehaveLikeTheirHierarchy) {
  FakeKernel k(HostFacts::stated(CgroupMode::V2));
  EXPECT_EQ(k.cgroup_mkdir("/sys/fs/cgroup/a/b").err(), ENOENT);
  ASSERT_TRUE(k.cgroup_mkdir("/sys/fs/cgroup/a").ok());
  EXPECT_EQ(k.cgroup_mkdir("/sys/fs/cgroup/a").err(), EEXIST);
  EXPECT_EQ(k.cgroup_read("/sys/fs/cgroup/a", "memory.max").err(), ENOENT);  // memory not enabled above
  ASSERT_TRUE(k.cgroup_write("/sys/fs/cgroup", "cgroup.subtree_control", "+memory +pids").ok());
  EXPECT_EQ(k.cgroup_read("/sys/fs/cgroup/a", "memory.max").value(), "max");
  EXPECT_EQ(k.cgroup_write("/sys/fs/cgroup/a", "cgroup.subtree_control", "+cpu").err(), ENOENT);  // not available
  ASSERT_TRUE(k.cgroup_write("/sys/fs/cgroup/a", "cgroup.subtree_control", "+memory").ok());
  EXPECT_EQ(k.cgroup_write("/sys/fs/cgroup", "cgroup.subtree_control", "-memory").err(), EBUSY);
  ASSERT_TRUE(k.cgroup_mkdir("/sys/fs/cgroup/a/b").ok());
  EXPECT_EQ(k.cgroup_rmdir("/sys/fs/cgroup/a").err(), EBUSY);
  ASSERT_TRUE(k.cgroup_write("/sys/fs/cgroup/a/b", "memory.max", "1000000").ok());
  EXPECT_EQ(k.cgroup_read("/sys/fs/cgroup/a/b", "memory.max").value(), std::to_string(1000000 / applier::page_size() * applier::page_size()));
  ASSERT_TRUE(k.cgroup_write("/sys/fs/cgroup", "cgroup.subtree_control", "-pids").ok());
  EXPECT_EQ(k.cgroup_read("/sys/fs/cgroup/a", "pids.max").err(), ENOENT);
  EXPECT_EQ(k.cgroup_read("/sys/fs/cgroup", "cgroup.subtree_control").value(), "memory");
  ASSERT_TRUE(k.cgroup_write("/sys/fs/cgroup/a/b", "cpu.max", "").err() == ENOENT);

  FakeKernel v1(HostFacts::stated(CgroupMode::V1));
  ASSERT_TRUE(v1.cgroup_mkdir("/sys/fs/cgroup/memory/m").ok());
  EXPECT_EQ(v1.cgroup_read("/sys/fs/cgroup/memory/m", "memory.limit_in_bytes").value(), FakeKernel::kV1NoLimit);
  EXPECT_EQ(v1.cgroup_write("/sys/fs/cgroup/memory/m", "memory.memsw.limit_in_bytes", "1073741824").err(), EINVAL);  // below limit
  ASSERT_TRUE(v1.cgroup_write("/sys/fs/cgroup/memory/m", "memory.limit_in_bytes", "1073741824").ok());
  ASSERT_TRUE(v1.cgroup_write("/sys/fs/cgroup/memory/m", "memory.memsw.limit_in_bytes", "1073741824").ok());
  EXPECT_EQ(v1.cgroup_write("/sys/fs/cgroup/memory/m", "memory.limit_in_bytes", "2147483648").err(), EINVAL);  // above memsw
  ASSERT_TRUE(v1.cgroup_write("/sys/fs/cgroup/memory/m", "memory.memsw.limit_in_bytes", "-1").ok());
  ASSERT_TRUE(v1.cgroup_write("/sys/fs/cgroup/memory/m", "memory.limit_in_bytes", "-1").ok());
  EXPECT_EQ(v1.cgroup_read("/sys/fs/cgroup/memory/m", "memory.limit_in_bytes").value(), FakeKernel::kV1NoLimit);
  EXPECT_EQ(v1.cgroup_write("/sys/fs/cgroup/memory/m", "cgroup.subtree_control", "+memory").err(), ENOENT);
  ASSERT_TRUE(v1.cgroup_mkdir("/sys/fs/cgroup/cpuset/c").ok());
  EXPECT_EQ(v1.cgroup_write("/sys/fs/cgroup/cpuset/c", "cpuset.cpus", "0-7").err(), EINVAL);  // root has 0-3
  ASSERT_TRUE(v1.cgroup_write("/sys/fs/cgroup/cpuset/c", "cpuset.cpus", "1,0,2").ok());
  EXPECT_EQ(v1.cgroup_read("/sys/fs/cgroup/cpuset/c", "cpuset.cpus").value(), "0-2");
}

TEST(FakeKernel, LinksFollowTheirNamespacesAndPeers) {
  FakeKernel k;
  const FakeState initial = k.snapshot();
  ASSERT_TRUE(k.netns_create("a").ok());
  EXPECT_EQ(k.netns_create("a").err(), EEXIST);
  plan::CreateLink veth;
  veth.name = "v-host";
  veth.kind = plan::LinkKind::Veth;
  veth.peer_name = "eth0";
  veth.peer_netns = "a";
  veth.group = 7;
  ASSERT_TRUE(k.link_create(veth).ok());
  EXPECT_EQ(k.link_create(veth).err(), EEXIST);
  ASSERT_TRUE(k.address_add("a", "eth0", "10.0.0.2/24", false).ok());
  EXPECT_EQ(k.address_add("a", "eth0", "10.0.0.2/24", false).err(), EEXIST);
  applier::RouteSpec r;
  r.netns = "a";
  r.to = "default";
  r.via = "10.0.0.1";
  EXPECT_EQ(k.route_add(r).err(), ENETUNREACH);  // eth0 is down
  ASSERT_TRUE(k.link_up("a", "eth0", true).ok());
  ASSERT_TRUE(k.route_add(r).ok());
  EXPECT_EQ(k.routes("a").value().size(), 1u);
  ASSERT_TRUE(k.link_up("a", "eth0", false).ok());
  EXPECT_TRUE(k.routes("a").value().empty());
  EXPECT_EQ(k.link_group_delete("", 8, {}).err(), ENODEV);
  EXPECT_EQ(k.link_delete("", "eth0").err(), EOPNOTSUPP);  // physical
  ASSERT_TRUE(k.netns_delete("a").ok());                     // takes the host end with it
  EXPECT_STATE_EQ(initial, k.snapshot());

  ASSERT_TRUE(k.netns_create("a").ok());
  ASSERT_TRUE(k.link_create(veth).ok());
  // Only a group whose every link is one of ours goes.
  EXPECT_EQ(k.link_group_delete("", 7, {}).err(), EPERM);
  int host_end = static_cast<int>(k.link_id("", veth.netns.empty() ? veth.name : veth.peer_name).value().object);
  ASSERT_TRUE(k.link_group_delete("", 7, {host_end}).ok());
  ASSERT_TRUE(k.link_move("", "eth2", "a", "").ok());
  ASSERT_TRUE(k.netns_delete("a").ok());  // a device comes back
  EXPECT_STATE_EQ(initial, k.snapshot());

  k.clear_calls();
  k.fail_mutation(2, EIO);
  EXPECT_TRUE(k.netns_create("b").ok());
  EXPECT_EQ(k.netns_create("c").err(), EIO);
  EXPECT_EQ(k.mutation_signatures(), (std::vector<std::string>{"netns_add b", "netns_add c"}));
  EXPECT_FALSE(k.netns_exists("c").value());
}

// ---- every profile -------------------------------------------------------------------------------

class EveryProfile : public ::testing::TestWithParam<Case> {
 protected:
  void SetUp() override {
    compiled_ = compile(GetParam());
    ASSERT_TRUE(compiled_->ok());
  }
  const plan::Plan& plan() const { return *compiled_->plan; }

  struct Clean {
    ApplyOutcome out;
    FakeState initial, applied;
    size_t mutations = 0;
  };
  // A clean apply on a host prepared by SETUP.
  Clean clean_apply(const HostSetup& setup) {
    Rig rig(plan());
    setup(rig.kernel, GetParam().mode);
    Clean c;
    c.initial = rig.kernel.snapshot();
    c.out = rig.apply(plan());
    EXPECT_TRUE(c.out.ok) << show(c.out) << "\n" << rig.kernel.trace();
    c.mutations = rig.kernel.mutation_count();
    c.applied = rig.kernel.snapshot();
    return c;
  }

  // Fails each mutating call of a clean apply in turn: the apply reports the step, undoes exactly
  // what it did, newest first, and leaves neither journal nor state.
  void every_failure_is_undone(const HostSetup& setup) {
    Clean clean = clean_apply(setup);
    ASSERT_EQ(clean.mutations, clean.out.changes.size()) << "one kernel change per step";
    size_t before = failures_so_far();
    for (size_t k = 1; k <= clean.mutations && failures_so_far() == before; ++k) {
      SCOPED_TRACE("failing mutating call " + std::to_string(k) + " of " + std::to_string(clean.mutations));
      Rig rig(plan());
      setup(rig.kernel, GetParam().mode);
      ASSERT_TRUE(clean.initial == rig.kernel.snapshot()) << "the setup is not deterministic";
      rig.kernel.fail_mutation(k, EIO);
      ApplyOutcome out = rig.apply(plan());
      EXPECT_FALSE(out.ok);
      std::string where = clean.out.changes[k - 1].where + ": error: ";
      EXPECT_EQ(out.error.substr(0, where.size()), where) << out.error;
      EXPECT_NE(out.error.find(std::strerror(EIO)), std::string::npos) << out.error;
      EXPECT_TRUE(out.rollback_errors.empty()) << show(out);
      EXPECT_STATE_EQ(clean.initial, rig.kernel.snapshot());
      EXPECT_FALSE(rig.has_journal());
      EXPECT_FALSE(rig.has_state());
      auto muts = rig.kernel.mutations();
      ASSERT_GE(muts.size(), k);
      EXPECT_EQ(muts[k - 1].err, EIO);
      std::vector<FakeCall> done(muts.begin(), muts.begin() + static_cast<long>(k - 1));
      std::vector<FakeCall> undone(muts.begin() + static_cast<long>(k), muts.end());
      // Host links of the profile's group may go in one request or one by one (a rollback must
      // not delete the group when an earlier apply made links of it: see the re-apply tests).
      std::string actual = lines(signatures(undone));
      if (actual != lines(expected_undo(done, false))) {
        EXPECT_EQ(actual, lines(expected_undo(done, true))) << rig.kernel.trace();
      }
    }
  }

  std::shared_ptr<Compilation> compiled_;
};

TEST_P(EveryProfile, CleanApplyMakesOneKernelChangePerStep) {
  Rig rig(plan());
  ApplyOutcome out = rig.apply(plan());
  ASSERT_TRUE(out.ok) << show(out) << "\n" << rig.kernel.trace();
  EXPECT_EQ(rig.kernel.mutation_count(), out.changes.size());
  EXPECT_GT(out.changes.size(), 0u);
  for (const auto& m : rig.kernel.mutations()) EXPECT_EQ(m.err, 0) << m.text;
  EXPECT_TRUE(rig.has_state());
  EXPECT_FALSE(rig.has_journal());
}

TEST_P(EveryProfile, EveryFailureIsUndoneExactly) { every_failure_is_undone(fresh); }

// nsplan try, declined: every change of the apply is taken back, on a fresh host and on one in
// use; nothing is saved and no journal is left. Confirmed, it is a plain apply.
TEST_P(EveryProfile, ADeclinedTryLeavesTheHostAsItWas) {
  for (const HostSetup& setup : {HostSetup(fresh), HostSetup(live_in)}) {
    Rig rig(plan());
    setup(rig.kernel, GetParam().mode);
    const FakeState initial = rig.kernel.snapshot();
    size_t asked = 0;
    FakeState while_asked;
    ApplyOutcome out = applier::try_plan(plan(), rig.kernel, *rig.state, [&](const ApplyOutcome& made) {
      ++asked;
      while_asked = rig.kernel.snapshot();
      EXPECT_FALSE(made.changes.empty());
      EXPECT_TRUE(rig.has_journal()) << "the changes are journaled while the user is asked";
      return false;
    });
    EXPECT_EQ(asked, 1u);
    EXPECT_FALSE(out.ok);
    EXPECT_TRUE(out.declined);
    EXPECT_TRUE(out.rollback_errors.empty()) << show(out);
    EXPECT_EQ(out.undone, out.changes.size());
    EXPECT_FALSE(initial == while_asked) << "the changes were in place while asked";
    EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
    EXPECT_FALSE(rig.has_state());
    EXPECT_FALSE(rig.has_journal());
  }
}

TEST_P(EveryProfile, AConfirmedTryIsAnApply) {
  Rig rig(plan());
  ApplyOutcome out = applier::try_plan(plan(), rig.kernel, *rig.state, [](const ApplyOutcome&) { return true; });
  ASSERT_TRUE(out.ok) << show(out);
  Rig reference(plan());
  ASSERT_TRUE(reference.apply(plan()).ok);
  EXPECT_STATE_EQ(reference.kernel.snapshot(), rig.kernel.snapshot());
  EXPECT_EQ(slurp(rig.state_path()).size(), slurp(reference.state_path()).size());
  EXPECT_FALSE(rig.has_journal());
  EXPECT_TRUE(rig.diff(plan()).empty());
}

// nsplan killed while the user is asked: the journal holds the try, and the next apply takes
// it back before it starts.
TEST_P(EveryProfile, ATryKilledWhileAskingIsTakenBackByTheNextApply) {
  Rig rig(plan());
  const FakeState initial = rig.kernel.snapshot();
  EXPECT_THROW((void)applier::try_plan(plan(), rig.kernel, *rig.state, [](const ApplyOutcome&) -> bool { throw FakeCrash("killed while asking"); }), FakeCrash);
  rig.close();
  rig.open();
  ASSERT_TRUE(rig.has_journal());
  DestroyOutcome d = rig.destroy();
  EXPECT_TRUE(d.ok) << show(d);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

TEST_P(EveryProfile, EveryFailureOnALivedInHostIsUndoneExactly) { every_failure_is_undone(live_in); }

// A rollback that fails in turn leaves the journal; destroy (the fault gone) finishes the job.
TEST_P(EveryProfile, AFailingUndoKeepsTheJournalForDestroy) {
  Clean clean = clean_apply(fresh);
  size_t before = failures_so_far();
  size_t tried = 0;
  for (size_t k = 1; k <= clean.mutations && failures_so_far() == before; ++k) {
    SCOPED_TRACE("failing mutating call " + std::to_string(k) + " and the first undo");
    Rig rig(plan());
    rig.kernel.fail_mutation(k, EIO);
    (void)rig.apply(plan());
    auto muts = rig.kernel.mutations();
    std::vector<FakeCall> done(muts.begin(), muts.begin() + static_cast<long>(k - 1));
    if (expected_undo(done).empty()) continue;  // nothing to undo: nothing can fail
    ++tried;

    Rig r2(plan());
    r2.kernel.fail_mutation(k, EIO);
    r2.kernel.fail_mutation(k + 1, EIO);
    ApplyOutcome out = r2.apply(plan());
    EXPECT_FALSE(out.ok);
    EXPECT_FALSE(out.rollback_errors.empty()) << show(out) << "\n" << r2.kernel.trace();
    EXPECT_TRUE(r2.has_journal());
    EXPECT_FALSE(r2.has_state());

    r2.kernel.clear_faults();
    DestroyOutcome d = r2.destroy();
    EXPECT_TRUE(d.ok) << show(d) << "\n" << r2.kernel.trace();
    EXPECT_TRUE(d.had_state);
    EXPECT_STATE_EQ(clean.initial, r2.kernel.snapshot());
    EXPECT_FALSE(r2.has_journal());
    EXPECT_FALSE(r2.has_state());
  }
  EXPECT_GT(tried, 0u);
}

TEST_P(EveryProfile, ReapplyingChangesNothing) {
  Rig rig(plan());
  ApplyOutcome first = rig.apply(plan());
  ASSERT_TRUE(first.ok) << show(first);
  std::string state = slurp(rig.state_path());
  ApplyOutcome second = rig.apply(plan());
  EXPECT_TRUE(second.ok) << show(second);
  EXPECT_TRUE(second.changes.empty()) << show(second);
  EXPECT_TRUE(second.removed.empty()) << show(second);
  EXPECT_EQ(rig.kernel.mutation_count(), 0u) << rig.kernel.trace();
  EXPECT_EQ(slurp(rig.state_path()), state);
  EXPECT_FALSE(rig.has_journal());
}

TEST_P(EveryProfile, DiffListsWhatApplyWouldChange) {
  Rig rig(plan());
  applier::Diff before = rig.diff(plan());
  EXPECT_EQ(rig.kernel.mutation_count(), 0u);
  ApplyOutcome out = rig.apply(plan());
  ASSERT_TRUE(out.ok) << show(out);
  // Apply's changes are diff's, in order. Diff may list more: a value for a cgroup still to make
  // (which a new cgroup may already have, e.g. v1 cpu.cfs_period_us 100000). The texts differ
  // there too: diff says "+ DIR/memory.max = 3G", apply "~ DIR/memory.max: max -> 3G".
  auto key = [](const applier::Change& c) {
    std::istringstream in(c.text);
    std::string sign, subject;
    in >> sign >> subject;
    if (!subject.empty() && subject.back() == ':') subject.pop_back();
    return c.where + " " + subject;
  };
  size_t j = 0;
  for (const auto& c : before.changes) {
    if (j < out.changes.size() && key(c) == key(out.changes[j])) {
      ++j;
      continue;
    }
    EXPECT_EQ(c.text.substr(0, 2), "+ ") << "diff announced a change that apply did not make: " << c.text;
  }
  EXPECT_EQ(j, out.changes.size()) << "apply made a change diff did not announce: " << (j < out.changes.size() ? out.changes[j].text : "");
  applier::Diff after = rig.diff(plan());
  EXPECT_TRUE(after.empty()) << "still to change after apply:\n" << [&] {
    std::string s;
    for (const auto& c : after.changes) s += "  " + c.text + " (" + c.where + ")\n";
    for (const auto& r : after.removals) s += "  " + r + "\n";
    return s;
  }();
  EXPECT_EQ(rig.kernel.mutation_count(), 0u);
}

// Destroy removes containers whole: nothing is restored inside a cgroup it removes, no link in a
// namespace it deletes is touched, and host-side links of a group go in one request.
TEST_P(EveryProfile, DestroyRemovesContainersWhole) {
  Rig rig(plan());
  const FakeState initial = rig.kernel.snapshot();
  ASSERT_TRUE(rig.apply(plan()).ok);
  DestroyOutcome d = rig.destroy();
  ASSERT_TRUE(d.ok) << show(d);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
  EXPECT_FALSE(rig.has_state());
  std::set<std::string> rmdirs, deleted_netns;
  std::map<uint32_t, int> group_deletes;
  for (const auto& m : rig.kernel.mutations()) {
    if (m.op == "rmdir") rmdirs.insert(m.target);
    if (m.op == "netns_del") deleted_netns.insert(m.target);
    if (m.op == "group_del") ++group_deletes[static_cast<uint32_t>(std::stoul(m.target))];
  }
  uint32_t group = link_group_of(plan().profile);
  for (const auto& m : rig.kernel.mutations()) {
    if (m.op == "write") {
      // Except a value the parent's depends on (v1 rt_runtime), given back before the rmdir.
      const std::string file = m.target.substr(m.target.rfind('/') + 1);
      EXPECT_FALSE(rmdirs.count(parent_of(m.target)) && !cgroup_files::reset_before_rmdir(file))
          << "restored in a removed cgroup: " << m.text;
    }
    if (m.op == "link_del" || m.op == "updown" || m.op == "mtu" || m.op == "master" || m.op == "addr_del" || m.op == "route_del") {
      EXPECT_FALSE(deleted_netns.count(m.ns)) << "touched inside a deleted namespace: " << m.text;
    }
    if (m.op == "link_del" && m.ns.empty()) {
      for (const auto& s : plan().steps)
        if (auto* c = std::get_if<plan::CreateLink>(&s.action); c && c->netns.empty() && c->name == m.target && c->group)
          ADD_FAILURE() << "host link of the group deleted on its own: " << m.text;
    }
  }
  for (const auto& [g, n] : group_deletes) {
    EXPECT_EQ(g, group);
    EXPECT_EQ(n, 1);
  }
}

// A killed apply (at any change, before or after it took effect) is taken back by the next
// apply from its journal, which then makes everything; destroy returns to the start.
TEST_P(EveryProfile, AKilledApplyIsRecoveredByTheNextApply) {
  Clean clean = clean_apply(fresh);
  size_t before = failures_so_far();
  for (size_t k = 1; k <= clean.mutations && failures_so_far() == before; ++k)
    for (bool killed_before : {false, true}) {
      SCOPED_TRACE("killed " + std::string(killed_before ? "before" : "after") + " mutating call " + std::to_string(k));
      Rig rig(plan());
      rig.kernel.crash_at_mutation(k, killed_before);
      EXPECT_THROW((void)rig.apply(plan()), FakeCrash);
      EXPECT_TRUE(rig.has_journal());
      EXPECT_FALSE(rig.has_state());
      size_t records = rig.journal_records();
      if (!killed_before) {
        EXPECT_GT(records, 0u);
      }
      rig.close();
      rig.kernel.clear_faults();
      rig.open();
      ApplyOutcome out = rig.apply(plan());
      EXPECT_TRUE(out.ok) << show(out) << "\n" << rig.kernel.trace();
      EXPECT_EQ(out.recovered, records);
      EXPECT_EQ(out.changes.size(), clean.out.changes.size());
      EXPECT_STATE_EQ(clean.applied, rig.kernel.snapshot());
      EXPECT_FALSE(rig.has_journal());
      EXPECT_TRUE(rig.has_state());
      DestroyOutcome d = rig.destroy();
      EXPECT_TRUE(d.ok) << show(d);
      EXPECT_STATE_EQ(clean.initial, rig.kernel.snapshot());
    }
}

// The same when the kill comes during the rollback of a failed apply.
TEST_P(EveryProfile, AKilledRollbackIsRecoveredByTheNextApply) {
  Clean clean = clean_apply(fresh);
  size_t n = clean.mutations;
  size_t undos = 0;
  {
    Rig probe(plan());
    probe.kernel.fail_mutation(n, EIO);
    ASSERT_FALSE(probe.apply(plan()).ok);
    undos = probe.kernel.mutation_count() - n;
  }
  ASSERT_GT(undos, 0u);
  size_t before = failures_so_far();
  for (size_t m = 1; m <= undos && failures_so_far() == before; ++m)
    for (bool killed_before : {false, true}) {
      SCOPED_TRACE("killed " + std::string(killed_before ? "before" : "after") + " undo " + std::to_string(m));
      Rig rig(plan());
      rig.kernel.fail_mutation(n, EIO);
      rig.kernel.crash_at_mutation(n + m, killed_before);
      EXPECT_THROW((void)rig.apply(plan()), FakeCrash);
      size_t records = rig.journal_records();
      EXPECT_GT(records, 0u);
      rig.close();
      rig.kernel.clear_faults();
      rig.open();
      ApplyOutcome out = rig.apply(plan());
      EXPECT_TRUE(out.ok) << show(out) << "\n" << rig.kernel.trace();
      EXPECT_EQ(out.recovered, records);
      EXPECT_STATE_EQ(clean.applied, rig.kernel.snapshot());
      DestroyOutcome d = rig.destroy();
      EXPECT_TRUE(d.ok) << show(d);
      EXPECT_STATE_EQ(clean.initial, rig.kernel.snapshot());
    }
}

// A killed destroy keeps the state file; the next destroy finishes.
TEST_P(EveryProfile, AKilledDestroyIsFinishedByTheNextDestroy) {
  Clean clean = clean_apply(fresh);
  size_t steps = 0;
  {
    Rig probe(plan());
    ASSERT_TRUE(probe.apply(plan()).ok);
    ASSERT_TRUE(probe.destroy().ok);
    steps = probe.kernel.mutation_count();
  }
  size_t before = failures_so_far();
  for (size_t m = 1; m <= steps && failures_so_far() == before; ++m)
    for (bool killed_before : {false, true}) {
      SCOPED_TRACE("killed " + std::string(killed_before ? "before" : "after") + " destroy call " + std::to_string(m));
      Rig rig(plan());
      ASSERT_TRUE(rig.apply(plan()).ok);
      rig.kernel.crash_at_mutation(m, killed_before);
      EXPECT_THROW((void)rig.destroy(), FakeCrash);
      EXPECT_TRUE(rig.has_state());
      rig.close();
      rig.kernel.clear_faults();
      rig.open();
      DestroyOutcome d = rig.destroy();
      EXPECT_TRUE(d.ok) << show(d) << "\n" << rig.kernel.trace();
      EXPECT_STATE_EQ(clean.initial, rig.kernel.snapshot());
      EXPECT_FALSE(rig.has_state());
    }
}

INSTANTIATE_TEST_SUITE_P(Profiles, EveryProfile, ::testing::ValuesIn(all_cases()),
                         [](const ::testing::TestParamInfo<Case>& i) { return i.param.name; });

// ---- destroy's cost model ----------------------------------------------------------------------

TEST(Executor, DestroyOfTheLabDropsNamespacesAndHostLinksInThreeRequests) {
  for (auto mode : {CgroupMode::V1, CgroupMode::V2}) {
    auto c = compile(src("profiles/lab.yaml"), mode);
    ASSERT_TRUE(c->ok());
    Rig rig(*c->plan);
    const FakeState initial = rig.kernel.snapshot();
    ASSERT_TRUE(rig.apply(*c->plan).ok);
    DestroyOutcome d = rig.destroy();
    ASSERT_TRUE(d.ok) << show(d);
    std::string g = std::to_string(link_group_of("lab"));
    EXPECT_EQ(rig.kernel.mutation_signatures(),
              (std::vector<std::string>{"group_del host:" + g, "netns_del lab-b", "netns_del lab-a"}))
        << rig.kernel.trace();
    EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
    EXPECT_EQ(d.removed.size(), 3u) << lines(applier::texts(d.removed));
  }
}

// After its last change, apply asks once more for every link it brought up, in each namespace:
// the request that makes the kernel run their pending carrier events (see the executor).
TEST(Executor, ApplyAsksForTheLinksItBroughtUpAfterItsLastChange) {
  auto c = compile(src("profiles/lab.yaml"), CgroupMode::V2);
  ASSERT_TRUE(c->ok());
  Rig rig(*c->plan);
  ASSERT_TRUE(rig.apply(*c->plan).ok);
  std::set<std::string> up, asked_after;
  size_t last_change = 0;
  const auto& calls = rig.kernel.calls();
  for (size_t i = 0; i < calls.size(); ++i) {
    if (calls[i].mutating) last_change = i;
    if (calls[i].op == "updown") up.insert(calls[i].ns);
  }
  for (size_t i = last_change + 1; i < calls.size(); ++i)
    if (calls[i].op == "settle") asked_after.insert(calls[i].ns);
  EXPECT_EQ(up, (std::set<std::string>{"", "lab-a", "lab-b"})) << rig.kernel.trace();
  EXPECT_EQ(asked_after, up) << rig.kernel.trace();
}

TEST(Executor, DestroyOfACgroupProfileOnlyRemovesDirectoriesAndControllers) {
  auto c = compile(src("profiles/build-jail.yaml"), CgroupMode::V2);
  Rig rig(*c->plan);
  ASSERT_TRUE(rig.apply(*c->plan).ok);
  ASSERT_TRUE(rig.destroy().ok);
  EXPECT_EQ(rig.kernel.mutation_signatures(), (std::vector<std::string>{
                                                  "rmdir /sys/fs/cgroup/nsplan/build-jail",
                                                  "rmdir /sys/fs/cgroup/nsplan",
                                                  "write /sys/fs/cgroup/cgroup.subtree_control => ",
                                              }))
      << rig.kernel.trace();
}

// ---- convergence -------------------------------------------------------------------------------

TEST(Executor, ChangingAValueWritesOnlyThatValue) {
  std::string path = src("profiles/firefox.yaml");
  std::string text = profile_text("profiles/firefox.yaml");
  auto p1 = compile(path, CgroupMode::V2);
  auto p2 = compile(path, CgroupMode::V2, edit(text, "max: 3G", "max: 2G"));
  Rig rig(*p1->plan);
  const FakeState initial = rig.kernel.snapshot();
  ASSERT_TRUE(rig.apply(*p1->plan).ok);

  applier::Diff diff = rig.diff(*p2->plan);
  ASSERT_EQ(diff.changes.size(), 1u);
  EXPECT_EQ(diff.changes[0].text, "~ /sys/fs/cgroup/memlimit/memory.max: 3221225472 -> 2147483648");
  EXPECT_TRUE(diff.removals.empty());

  ApplyOutcome out = rig.apply(*p2->plan);
  ASSERT_TRUE(out.ok) << show(out);
  EXPECT_EQ(rig.kernel.mutation_signatures(), (std::vector<std::string>{"write /sys/fs/cgroup/memlimit/memory.max => 2147483648"}));
  EXPECT_EQ(out.changes.size(), 1u);
  EXPECT_TRUE(rig.diff(*p2->plan).empty());
  ASSERT_TRUE(rig.destroy().ok);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

TEST(Executor, ChangingAV1SoftLimitWritesOnlyThatValue) {
  std::string path = src("profiles/firefox.yaml");
  auto p1 = compile(path, CgroupMode::V1);
  auto p2 = compile(path, CgroupMode::V1, edit(profile_text("profiles/firefox.yaml"), "soft: 1G", "soft: 512M"));
  Rig rig(*p1->plan);
  const FakeState initial = rig.kernel.snapshot();
  ASSERT_TRUE(rig.apply(*p1->plan).ok);
  ASSERT_TRUE(rig.apply(*p2->plan).ok);
  EXPECT_EQ(rig.kernel.mutation_signatures(),
            (std::vector<std::string>{"write /sys/fs/cgroup/memory/memlimit/memory.soft_limit_in_bytes => 536870912"}));
  ASSERT_TRUE(rig.destroy().ok);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

// v1 keeps memory.limit_in_bytes <= memory.memsw.limit_in_bytes at every write. Raising both
// needs memsw first; lowering both needs limit first. A fixed plan order cannot do both.
TEST(Executor, RaisingV1MemoryLimitsAboveTheOldMemswLimitConverges) {
  std::string path = src("profiles/firefox.yaml");
  auto p1 = compile(path, CgroupMode::V1);
  auto p2 = compile(path, CgroupMode::V1, edit(profile_text("profiles/firefox.yaml"), "max: 3G", "max: 8G"));
  Rig rig(*p1->plan);
  ASSERT_TRUE(rig.apply(*p1->plan).ok);
  ApplyOutcome out = rig.apply(*p2->plan);
  EXPECT_TRUE(out.ok) << show(out) << "\n" << rig.kernel.trace();
  Rig fresh_rig(*p2->plan);
  ASSERT_TRUE(fresh_rig.apply(*p2->plan).ok);
  EXPECT_STATE_EQ(fresh_rig.kernel.snapshot(), rig.kernel.snapshot());
}

std::string lab_with_dummy() {
  return edit(profile_text("profiles/lab.yaml"), "  links:                     # created in this order\n",
              "  links:                     # created in this order\n"
              "    - {name: dm-lab, kind: dummy, addresses: [10.78.0.1/24, 10.78.1.1/24]}\n");
}

// The profile no longer has a host link: that link goes, with one request; its addresses go with
// it; the other host links of the profile stay.
TEST(Executor, RemovingAHostLinkDeletesOnlyThatLink) {
  std::string path = src("profiles/lab.yaml");
  auto with = compile(path, CgroupMode::V2, lab_with_dummy());
  auto without = compile(path, CgroupMode::V2);
  Rig rig(*with->plan);
  const FakeState initial = rig.kernel.snapshot();
  ASSERT_TRUE(rig.apply(*with->plan).ok);
  ApplyOutcome out = rig.apply(*without->plan);
  EXPECT_TRUE(out.ok) << show(out);
  EXPECT_EQ(lines(rig.kernel.mutation_signatures()), lines({"link_del host:dm-lab"})) << rig.kernel.trace();
  Rig reference(*without->plan);
  ASSERT_TRUE(reference.apply(*without->plan).ok);
  EXPECT_STATE_EQ(reference.kernel.snapshot(), rig.kernel.snapshot());
  EXPECT_TRUE(rig.diff(*without->plan).empty());
  DestroyOutcome d = rig.destroy();
  EXPECT_TRUE(d.ok) << show(d);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

// The same for a veth whose peer lives in a namespace that stays: the veth goes (and its peer with
// it), the peer's address is not deleted on its own, the other veth and the bridge stay.
TEST(Executor, RemovingAVethDeletesOnlyThatPair) {
  std::string path = src("profiles/lab.yaml");
  std::string text = profile_text("profiles/lab.yaml");
  std::string reduced = edit(edit(text,
                                  "    - name: veth-lab-b\n"
                                  "      kind: veth\n"
                                  "      master: br-lab\n"
                                  "      peer:\n"
                                  "        name: eth0           # the same name again: it lives in another namespace\n"
                                  "        netns: lab-b         # names network.namespaces above\n"
                                  "        addresses: [10.77.0.3/24]\n",
                                  ""),
                             "    - {netns: lab-b, to: default, via: 10.77.0.1}\n", "");
  auto full = compile(path, CgroupMode::V2);
  auto less = compile(path, CgroupMode::V2, reduced);
  Rig rig(*full->plan);
  const FakeState initial = rig.kernel.snapshot();
  ASSERT_TRUE(rig.apply(*full->plan).ok);
  ApplyOutcome out = rig.apply(*less->plan);
  EXPECT_TRUE(out.ok) << show(out);
  EXPECT_EQ(lines(rig.kernel.mutation_signatures()), lines({"route_del lab-b:default table 254", "link_del host:veth-lab-b"}))
      << rig.kernel.trace();
  Rig reference(*less->plan);
  ASSERT_TRUE(reference.apply(*less->plan).ok);
  EXPECT_STATE_EQ(reference.kernel.snapshot(), rig.kernel.snapshot());
  DestroyOutcome d = rig.destroy();
  EXPECT_TRUE(d.ok) << show(d);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

// A controller added to a profile: the ones it had stay enabled.
TEST(Executor, AddingAControllerKeepsTheOthersEnabled) {
  std::string path = src("profiles/firefox.yaml");
  auto p1 = compile(path, CgroupMode::V2);
  auto p2 = compile(path, CgroupMode::V2, edit(profile_text("profiles/firefox.yaml"), "  path: memlimit\n", "  path: memlimit\n  pids: {max: 100}\n"));
  Rig rig(*p1->plan);
  const FakeState initial = rig.kernel.snapshot();
  ASSERT_TRUE(rig.apply(*p1->plan).ok);
  ApplyOutcome out = rig.apply(*p2->plan);
  EXPECT_TRUE(out.ok) << show(out);
  EXPECT_TRUE(out.removed.empty()) << show(out);
  Rig reference(*p2->plan);
  ASSERT_TRUE(reference.apply(*p2->plan).ok);
  EXPECT_STATE_EQ(reference.kernel.snapshot(), rig.kernel.snapshot());
  EXPECT_TRUE(rig.diff(*p2->plan).empty());
  ASSERT_TRUE(rig.destroy().ok);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

// A declined try of a changed profile puts back the previous apply exactly: a value it changes,
// a value it no longer sets (given back before the steps, then written again), a link it adds
// and one it no longer has (removed only once confirmed: still there while asked).
TEST(Executor, ADeclinedTryOfAChangedProfileKeepsThePreviousApply) {
  std::string path = src("profiles/lab.yaml");
  const std::string cgroup = "cgroup:\n  path: lab\n  memory: {max: 512M, high: 400M}\n";
  auto before = compile(path, CgroupMode::V2, edit(lab_with_dummy(), "\nnamespaces:\n", "\n" + cgroup + "namespaces:\n"));
  auto after = compile(path, CgroupMode::V2,
                       edit(profile_text("profiles/lab.yaml"), "\nnamespaces:\n", "\ncgroup:\n  path: lab\n  memory: {max: 256M}\nnamespaces:\n"));
  Rig rig(*before->plan);
  ASSERT_TRUE(rig.apply(*before->plan).ok);
  const FakeState applied = rig.kernel.snapshot();
  const std::string state = slurp(rig.state_path());
  std::vector<std::string> to_remove;
  FakeState while_asked;
  ApplyOutcome out = applier::try_plan(*after->plan, rig.kernel, *rig.state, [&](const ApplyOutcome& made) {
    to_remove = made.to_remove;
    while_asked = rig.kernel.snapshot();
    return false;
  });
  EXPECT_TRUE(out.declined) << show(out);
  EXPECT_TRUE(out.rollback_errors.empty()) << show(out);
  // The removal lines plan shows: the link and what goes with it.
  EXPECT_EQ(lines(to_remove), lines({"- set dm-lab down", "- delete address 10.78.1.1/24 of dm-lab",
                                     "- delete address 10.78.0.1/24 of dm-lab", "- delete link dm-lab"}));
  EXPECT_TRUE(while_asked.netns[""].links.count("dm-lab")) << "removed before confirmed";
  EXPECT_STATE_EQ(applied, rig.kernel.snapshot());
  EXPECT_EQ(slurp(rig.state_path()), state);
  EXPECT_FALSE(rig.has_journal());
  // Confirmed, the same try is what an apply of the new profile makes.
  ApplyOutcome kept = applier::try_plan(*after->plan, rig.kernel, *rig.state, [](const ApplyOutcome&) { return true; });
  ASSERT_TRUE(kept.ok) << show(kept);
  EXPECT_TRUE(rig.diff(*after->plan).empty());
  EXPECT_FALSE(rig.kernel.snapshot().netns[""].links.count("dm-lab"));
}

// A re-apply that fails takes back its own changes only: what the previous apply made stays.
TEST(Executor, AFailedReapplyLeavesThePreviousApplyInPlace) {
  std::string path = src("profiles/lab.yaml");
  auto lab = compile(path, CgroupMode::V2);
  auto more = compile(path, CgroupMode::V2, lab_with_dummy());
  Rig rig(*lab->plan);
  ASSERT_TRUE(rig.apply(*lab->plan).ok);
  const FakeState applied = rig.kernel.snapshot();
  const std::string state = slurp(rig.state_path());
  size_t n = 0;
  {
    Rig probe(*lab->plan);
    ASSERT_TRUE(probe.apply(*lab->plan).ok);
    ASSERT_TRUE(probe.apply(*more->plan).ok);
    n = probe.kernel.mutation_count();  // dm-lab, its two addresses, up
  }
  ASSERT_EQ(n, 4u);
  rig.kernel.clear_faults();
  rig.kernel.clear_calls();
  rig.kernel.fail_mutation(n, EIO);
  ApplyOutcome out = applier::apply_plan(*more->plan, rig.kernel, *rig.state);
  EXPECT_FALSE(out.ok);
  EXPECT_TRUE(out.rollback_errors.empty()) << show(out);
  EXPECT_STATE_EQ(applied, rig.kernel.snapshot());
  EXPECT_EQ(slurp(rig.state_path()), state);
  EXPECT_FALSE(rig.has_journal());
}

// A re-apply killed after it made a new host link: the next apply takes back that link only and
// leaves alone what the previous apply made.
TEST(Executor, AKilledReapplyIsRecoveredWithoutTouchingThePreviousApply) {
  std::string path = src("profiles/lab.yaml");
  auto lab = compile(path, CgroupMode::V2);
  auto more = compile(path, CgroupMode::V2, lab_with_dummy());
  Rig rig(*lab->plan);
  ASSERT_TRUE(rig.apply(*lab->plan).ok);
  rig.kernel.crash_at_mutation(1, false);  // after "link add dummy dm-lab"
  EXPECT_THROW((void)rig.apply(*more->plan), FakeCrash);
  rig.close();
  rig.kernel.clear_faults();
  rig.open();
  ApplyOutcome out = rig.apply(*more->plan);
  EXPECT_TRUE(out.ok) << show(out);
  EXPECT_EQ(out.recovered, 1u);
  EXPECT_EQ(lines(rig.kernel.mutation_signatures()), lines({"link_del host:dm-lab", "link_add host:dm-lab",
                                                            "addr_add host:dm-lab 10.78.0.1/24", "addr_add host:dm-lab 10.78.1.1/24",
                                                            "updown host:dm-lab => up"}))
      << rig.kernel.trace();
  Rig reference(*more->plan);
  ASSERT_TRUE(reference.apply(*more->plan).ok);
  EXPECT_STATE_EQ(reference.kernel.snapshot(), rig.kernel.snapshot());
}

// A route in a table other than main: the next apply sees it is there.
TEST(Executor, ARouteInAnotherTableIsSeenByTheNextApply) {
  const char* text = R"(nsplan: 1
name: tabler
network:
  links:
    - {name: dm-tab, kind: dummy, addresses: [10.66.0.1/24]}
  routes:
    - {to: 10.67.0.0/16, via: 10.66.0.2, table: 100}
)";
  auto c = compile(src("tests/unit/tabler.yaml"), CgroupMode::V2, std::string(text));
  Rig rig(*c->plan);
  ASSERT_TRUE(rig.apply(*c->plan).ok);
  ApplyOutcome again = rig.apply(*c->plan);
  EXPECT_TRUE(again.ok) << show(again);
  EXPECT_EQ(rig.kernel.mutation_count(), 0u) << rig.kernel.trace();
  EXPECT_TRUE(rig.diff(*c->plan).empty());
}

// ---- recovery details ---------------------------------------------------------------------------

TEST(Executor, ATornLastJournalLineIsIgnored) {
  auto c = compile(src("profiles/lab.yaml"), CgroupMode::V2);
  Rig rig(*c->plan);
  const FakeState initial = rig.kernel.snapshot();
  rig.kernel.crash_at_mutation(3, false);  // after netns add lab-a, lo up, netns add lab-b
  EXPECT_THROW((void)rig.apply(*c->plan), FakeCrash);
  rig.close();
  std::string journal = slurp(rig.journal_path());
  spit(rig.journal_path(), journal + "{\"key\":\"netns lab-");  // a crash in the middle of a write
  rig.kernel.clear_faults();
  rig.open();
  ApplyOutcome out = rig.apply(*c->plan);
  EXPECT_TRUE(out.ok) << show(out);
  EXPECT_EQ(out.recovered, 3u);
  ASSERT_TRUE(rig.destroy().ok);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

TEST(Executor, ADamagedStateFileIsAClearErrorAndChangesNothing) {
  auto c = compile(src("profiles/lab.yaml"), CgroupMode::V2);
  struct Damage {
    std::string text, says;
  };
  std::vector<Damage> damages = {
      {"this is not json\n", "is not what nsplan wrote"},
      {R"({"nsplan_state": 1, "profile": "firefox", "owned": []})", "names another profile"},
      {R"({"nsplan_state": 1, "profile": "lab", "owned": [{"key": "netns lab-a", "undo": "format_disk"}]})", "unknown undo 'format_disk'"},
      {R"({"nsplan_state": 1, "profile": "lab", "owned": [{"key": "netns lab-a", "undo": "delete_netns"}]})", "entry 0"},
      {R"({"nsplan_state": 2, "profile": "lab", "owned": []})", "no nsplan_state 1"},
  };
  for (const auto& damage : damages) {
    SCOPED_TRACE(damage.text);
    Rig rig(*c->plan);
    ASSERT_TRUE(rig.apply(*c->plan).ok);
    const FakeState applied = rig.kernel.snapshot();
    spit(rig.state_path(), damage.text);

    ApplyOutcome out = rig.apply(*c->plan);
    EXPECT_FALSE(out.ok);
    EXPECT_NE(out.error.find(rig.state_path()), std::string::npos) << out.error;
    EXPECT_NE(out.error.find(damage.says), std::string::npos) << out.error;
    EXPECT_EQ(rig.kernel.mutation_count(), 0u) << rig.kernel.trace();

    DestroyOutcome d = rig.destroy();
    EXPECT_FALSE(d.ok);
    ASSERT_FALSE(d.errors.empty());
    EXPECT_NE(d.errors[0].find(damage.says), std::string::npos) << d.errors[0];
    EXPECT_EQ(rig.kernel.mutation_count(), 0u) << rig.kernel.trace();

    EXPECT_STATE_EQ(applied, rig.kernel.snapshot());
    EXPECT_EQ(slurp(rig.state_path()), damage.text);
    EXPECT_FALSE(rig.has_journal());
  }
}

TEST(Executor, ADamagedJournalIsAClearErrorAndChangesNothing) {
  auto c = compile(src("profiles/lab.yaml"), CgroupMode::V2);
  Rig rig(*c->plan);
  const FakeState initial = rig.kernel.snapshot();
  spit(rig.journal_path(), "garbage\n{\"key\":\"netns lab-a\",\"undo\":\"delete_netns\",\"name\":\"lab-a\"}\n");
  ApplyOutcome out = rig.apply(*c->plan);
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.error.find("line 1 is damaged"), std::string::npos) << out.error;
  EXPECT_EQ(rig.kernel.mutation_count(), 0u);
  DestroyOutcome d = rig.destroy();
  EXPECT_FALSE(d.ok);
  EXPECT_EQ(rig.kernel.mutation_count(), 0u);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
  EXPECT_TRUE(rig.has_journal());
}

// ---- what a rollback must give back exactly --------------------------------------------------------

// A device moved into a namespace of the profile comes back with the mtu it had.
TEST(Executor, AMovedDeviceComesBackAsItWas) {
  const char* text = R"(nsplan: 1
name: mover
namespaces:
  net: {persist: mv-a}
network:
  links:
    - {name: eth2, kind: device, netns: mv-a, mtu: 1400, addresses: [10.99.0.2/24]}
)";
  auto c = compile(src("tests/unit/mover.yaml"), CgroupMode::V2, std::string(text));
  Rig rig(*c->plan);
  const FakeState initial = rig.kernel.snapshot();
  ASSERT_TRUE(rig.apply(*c->plan).ok);
  EXPECT_EQ(rig.kernel.state().netns.at("mv-a").links.at("eth2").mtu, 1400u);
  DestroyOutcome d = rig.destroy();
  EXPECT_TRUE(d.ok) << show(d);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

// A port of the host's bridge: the bridge must be there and be a bridge, checked right before;
// it is never made, changed or deleted.
const char* kPortOfHostBridge = R"(nsplan: 1
name: porter
namespaces:
  net: {persist: pt-a}
network:
  host_bridges: [BRIDGE]
  links:
    - {name: pt-host, kind: veth, master: BRIDGE, mac: 02:00:00:00:77:01, peer: {name: eth0, netns: pt-a, mac: 02:00:00:00:77:02}}
)";

std::shared_ptr<Compilation> port_of(const std::string& bridge) {
  std::string text = kPortOfHostBridge;
  for (size_t p; (p = text.find("BRIDGE")) != std::string::npos;) text.replace(p, 6, bridge);
  return compile(src("tests/unit/porter.yaml"), CgroupMode::V2, text);
}

TEST(HostBridge, APortJoinsTheHostsBridgeAndDestroyLeavesTheBridge) {
  auto c = port_of("br-host");
  ASSERT_TRUE(c->ok());
  Rig rig(*c->plan);
  const FakeState initial = rig.kernel.snapshot();
  ApplyOutcome out = rig.apply(*c->plan);
  ASSERT_TRUE(out.ok) << show(out);
  const auto& host = rig.kernel.state().netns.at("").links;
  EXPECT_EQ(host.at("pt-host").master, "br-host");
  EXPECT_EQ(host.at("pt-host").mac, "02:00:00:00:77:01");
  EXPECT_EQ(rig.kernel.state().netns.at("pt-a").links.at("eth0").mac, "02:00:00:00:77:02");
  EXPECT_EQ(host.at("br-host"), initial.netns.at("").links.at("br-host"));
  DestroyOutcome d = rig.destroy();
  EXPECT_TRUE(d.ok) << show(d);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

TEST(HostBridge, AMissingBridgeOrABondIsRefusedAndTheApplyRolledBack) {
  for (const auto& [bridge, said] : {std::pair<std::string, std::string>{"br-gone", "bridge 'br-gone' is not there on the host"},
                                     {"bond0", "'bond0' on the host is a bond, not a bridge"}}) {
    SCOPED_TRACE(bridge);
    auto c = port_of(bridge);
    ASSERT_TRUE(c->ok());
    Rig rig(*c->plan);
    const FakeState initial = rig.kernel.snapshot();
    ApplyOutcome out = rig.apply(*c->plan);
    EXPECT_FALSE(out.ok);
    EXPECT_NE(out.error.find(said), std::string::npos) << out.error;
    EXPECT_TRUE(out.rollback_errors.empty()) << show(out);
    EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
    EXPECT_FALSE(rig.has_state());
  }
}

// A moved device's own address comes back with it.
TEST(Executor, AMovedDeviceGetsItsAddressBack) {
  const char* text = R"(nsplan: 1
name: mover
namespaces:
  net: {persist: mv-a}
network:
  links:
    - {name: eth2, kind: device, netns: mv-a, mac: 02:00:00:00:66:01}
)";
  auto c = compile(src("tests/unit/mover.yaml"), CgroupMode::V2, std::string(text));
  Rig rig(*c->plan);
  const FakeState initial = rig.kernel.snapshot();
  ASSERT_TRUE(rig.apply(*c->plan).ok);
  EXPECT_EQ(rig.kernel.state().netns.at("mv-a").links.at("eth2").mac, "02:00:00:00:66:01");
  bool recorded = false;
  for (const auto& o : rig.owned())
    if (const auto* r = std::get_if<applier::RestoreMac>(&o.undo)) recorded = r->mac == testing::kDefaultMac && r->dev == "eth2";
  EXPECT_TRUE(recorded);
  DestroyOutcome d = rig.destroy();
  EXPECT_TRUE(d.ok) << show(d);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

// ---- a device renamed inside (name_inside), and back under its host name --------------------

const char* kRenamedDevice = R"(nsplan: 1
name: mover
namespaces:
  net: {persist: mv-a}
network:
  links:
    - {name: eth2, kind: device, netns: mv-a, name_inside: eth5, mtu: 1400, mac: 02:00:00:00:66:05, addresses: [10.99.0.2/24]}
)";

// The host's eth2 as a host has it: up, with an address and a route through it.
void give_eth2_a_life(FakeKernel& k) {
  ASSERT_TRUE(k.link_up("", "eth2", true).ok());
  ASSERT_TRUE(k.address_add("", "eth2", "10.97.0.1/24", false).ok());
  applier::RouteSpec r;
  r.to = "10.96.0.0/16";
  r.via = "10.97.0.254";
  r.dev = "eth2";
  ASSERT_TRUE(k.route_add(r).ok());
}

// The profile compiled, on a host whose eth2 has that life (INITIAL: the host before apply).
struct Renamed {
  std::shared_ptr<Compilation> c = compile(src("tests/unit/mover.yaml"), CgroupMode::V2, std::string(kRenamedDevice));
  Rig rig{*c->plan};
  FakeState initial;
  Renamed() {
    give_eth2_a_life(rig.kernel);
    initial = rig.kernel.snapshot();
  }
  bool apply() { return rig.apply(*c->plan).ok; }
};

applier::Status add_dummy(FakeKernel& k, const std::string& name) {
  plan::CreateLink l;
  l.name = name;
  l.kind = plan::LinkKind::Dummy;
  return k.link_create(l);
}

TEST(Rename, ARenamedDeviceComesBackUnderItsNameWithItsAddressAndRoute) {
  Renamed t;
  Rig& rig = t.rig;
  const uint64_t ifindex = rig.kernel.link_id("", "eth2").value().object;
  ASSERT_TRUE(t.apply());
  const auto& inside = rig.kernel.state().netns.at("mv-a");
  ASSERT_TRUE(inside.links.count("eth5"));
  EXPECT_EQ(inside.links.at("eth5").mtu, 1400u);
  EXPECT_TRUE(inside.addresses.count({"eth5", "10.99.0.2/24"}));
  EXPECT_FALSE(rig.kernel.state().netns.at("").links.count("eth2"));
  EXPECT_EQ(rig.kernel.link_id("mv-a", "eth5").value().object, ifindex);  // moved and renamed, the same device
  int moves = 0;
  for (const auto& call : rig.kernel.calls()) moves += call.op == "link_move" || call.op == "link_rename";
  EXPECT_EQ(moves, 1) << "the move renames; no rename of its own";
  DestroyOutcome d = rig.destroy();
  EXPECT_TRUE(d.ok) << show(d);
  EXPECT_STATE_EQ(t.initial, rig.kernel.snapshot());
}

TEST(Rename, WithItsHostNameTakenTheDeviceStaysInsideAsItIs) {
  Renamed t;
  Rig& rig = t.rig;
  ASSERT_TRUE(t.apply());
  ASSERT_TRUE(add_dummy(rig.kernel, "eth2").ok());  // someone else's, since
  DestroyOutcome d = rig.destroy();
  EXPECT_FALSE(d.ok);
  const std::string errors = show(d);
  EXPECT_NE(errors.find("the host has a link named eth2 now; eth5 stays in mv-a"), std::string::npos) << errors;
  EXPECT_NE(errors.find("delete net namespace mv-a: kept"), std::string::npos) << errors;
  EXPECT_TRUE(rig.kernel.state().netns.at("mv-a").links.count("eth5"));
  EXPECT_EQ(rig.kernel.state().netns.at("").links.at("eth2").kind, "dummy");  // never renamed or moved
  ASSERT_TRUE(rig.kernel.link_delete("", "eth2").ok());
  DestroyOutcome again = rig.destroy();
  EXPECT_TRUE(again.ok) << show(again);
  EXPECT_STATE_EQ(t.initial, rig.kernel.snapshot());
}

// The double fault: the device's way back failed, then its namespace was deleted and the kernel
// gave it back to the host as devN (the host had its inside name by then). Destroy finds it by
// its ifindex, never the host's link that carries its inside name.
TEST(Rename, ADeviceTheKernelGaveBackIsFoundByItsIfindex) {
  Renamed t;
  Rig& rig = t.rig;
  ASSERT_TRUE(t.apply());
  ASSERT_TRUE(add_dummy(rig.kernel, "eth5").ok());  // carries the inside name
  FakeState expected = rig.kernel.snapshot();
  ASSERT_TRUE(rig.kernel.netns_delete("mv-a").ok());
  ASSERT_TRUE(rig.kernel.state().netns.at("").links.count("dev0"));
  EXPECT_EQ(rig.kernel.state().netns.at("").links.at("dev0").mtu, 1400u);
  EXPECT_EQ(rig.kernel.state().netns.at("").links.at("dev0").mac, "02:00:00:00:66:05");
  DestroyOutcome d = rig.destroy();
  EXPECT_TRUE(d.ok) << show(d);
  const auto& host = rig.kernel.state().netns.at("");
  ASSERT_TRUE(host.links.count("eth2"));
  EXPECT_EQ(host.links.at("eth2").mtu, 1500u);
  EXPECT_EQ(host.links.at("eth2").mac, testing::kDefaultMac);
  EXPECT_TRUE(host.links.at("eth2").up);
  EXPECT_TRUE(host.addresses.count({"eth2", "10.97.0.1/24"}));
  EXPECT_EQ(host.links.at("eth5").kind, "dummy");
  EXPECT_EQ(host.links.at("eth5").mtu, expected.netns.at("").links.at("eth5").mtu);
  bool routed = false;
  for (const auto& r : host.routes) routed = routed || (r.to == "10.96.0.0/16" && r.dev == "eth2");
  EXPECT_TRUE(routed);
}

// The host had its ifindex when the kernel gave it back: nothing tells it from another link of
// that name, so nothing is done to either.
TEST(Rename, ADeviceGivenBackUnderAnotherIfindexIsLeftAlone) {
  Renamed t;
  Rig& rig = t.rig;
  ASSERT_TRUE(t.apply());
  ASSERT_TRUE(rig.kernel.netns_delete("mv-a").ok());
  rig.kernel.renew_id("link /eth5");
  const FakeState before = rig.kernel.snapshot();
  DestroyOutcome d = rig.destroy();
  EXPECT_FALSE(d.ok);
  const std::string errors = show(d);
  EXPECT_NE(errors.find("may be the device given back under another ifindex"), std::string::npos) << errors;
  EXPECT_STATE_EQ(before, rig.kernel.snapshot());
}

TEST(Executor, APlantedRestoreMacRecordIsRefused) {
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  applier::Owned o{"mac mv-a/eth2", applier::RestoreMac{"mv-a", "eth2", "02:00:00:00:66:01"}, {1, 2}, {}};
  EXPECT_EQ(applier::check_record(o, facts), "");
  std::string error;
  auto back = applier::owned_from_json(applier::to_json_line(o), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(std::get<applier::RestoreMac>(back->undo).mac, "02:00:00:00:66:01");
  for (const char* bad : {"02:00:00:00:66", "02:00:00:00:66:0G", "02:00:00:00:66:01; rm", "02-00-00-00-66-01"}) {
    o.undo = applier::RestoreMac{"mv-a", "eth2", bad};
    EXPECT_NE(applier::check_record(o, facts), "") << bad;
  }
}

// A uts namespace that was there before the profile gets its names back, domain included.
TEST(Executor, APreexistingUtsNamespaceGetsItsNamesBack) {
  const char* text = R"(nsplan: 1
name: namer
namespaces:
  uts: {persist: old-uts, hostname: box, domainname: example.org}
)";
  auto c = compile(src("tests/unit/namer.yaml"), CgroupMode::V2, std::string(text));
  ASSERT_TRUE(c->ok());
  Rig rig(*c->plan);
  std::string path = std::get<plan::CreateNamespace>(c->plan->steps.at(0).action).path;
  ASSERT_TRUE(rig.kernel.ns_create(plan::NsKind::Uts, path).ok());
  const FakeState initial = rig.kernel.snapshot();
  ASSERT_EQ(initial.uts.at(path), std::make_pair(std::string(FakeKernel::kHostname), std::string("(none)")));
  ASSERT_TRUE(rig.apply(*c->plan).ok);
  EXPECT_EQ(rig.kernel.state().uts.at(path), std::make_pair(std::string("box"), std::string("example.org")));
  DestroyOutcome d = rig.destroy();
  EXPECT_TRUE(d.ok) << show(d);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

// A value whose observation failed (a transient read error) is still given back.
TEST(Executor, AFailedObservationDoesNotLoseTheUndo) {
  auto c = compile(src("profiles/firefox.yaml"), CgroupMode::V2);
  Rig rig(*c->plan);
  live_in(rig.kernel, CgroupMode::V2);  // memlimit exists with memory.max 2G
  const FakeState initial = rig.kernel.snapshot();
  rig.kernel.fail_calls_containing("read /sys/fs/cgroup/memlimit/memory.max", EIO, 1);
  rig.kernel.fail_calls_containing("write /sys/fs/cgroup/memlimit/memory.low", EIO, 1);  // a later step fails
  ApplyOutcome out = rig.apply(*c->plan);
  EXPECT_FALSE(out.ok);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

// ---- profiles side by side -------------------------------------------------------------------------

// Destroying one profile leaves the cgroups of another profile as they were applied, and destroying
// both (in any order) returns to the start.
TEST(Executor, ProfilesSharingCgroupAncestorsAreDestroyedIndependently) {
  struct Pair {
    std::string a_path, b_path;
    std::optional<std::string> b_text;
  };
  const char* q = "nsplan: 1\nname: q\ncgroup:\n  path: q\n  memory: {max: 1G}\n";
  std::vector<Pair> pairs = {
      {src("profiles/firefox.yaml"), src("tests/unit/q.yaml"), std::string(q)},  // both below the root, memory
      {src("profiles/build-jail.yaml"), src("profiles/isolated-shell.yaml"), std::nullopt},  // both below nsplan/
  };
  for (const auto& pr : pairs)
    for (bool a_first : {true, false}) {
      SCOPED_TRACE(pr.a_path + " and " + pr.b_path + (a_first ? ", destroying the first first" : ", destroying the second first"));
      auto a = compile(pr.a_path, CgroupMode::V2);
      auto b = compile(pr.b_path, CgroupMode::V2, pr.b_text);
      Rig ra(*a->plan);
      const FakeState initial = ra.kernel.snapshot();
      auto rb_state = applier::ProfileState::open(ra.dir, b->plan->profile, false);
      ASSERT_TRUE(rb_state.ok());
      ASSERT_TRUE(ra.apply(*a->plan).ok);
      ApplyOutcome ob = applier::apply_plan(*b->plan, ra.kernel, rb_state.value());
      ASSERT_TRUE(ob.ok) << show(ob);
      auto b_owned = rb_state.value().load().value();
      auto a_owned = ra.owned();

      if (a_first) {
        DestroyOutcome d = ra.destroy();
        EXPECT_TRUE(d.ok) << show(d) << "\n" << ra.kernel.trace();
        applier::Diff left = applier::diff_plan(*b->plan, ra.kernel, b_owned);
        EXPECT_TRUE(left.empty()) << "the other profile lost: " << (left.changes.empty() ? "" : left.changes[0].text);
        DestroyOutcome d2 = applier::destroy_profile(ra.kernel, rb_state.value(), ra.facts);
        EXPECT_TRUE(d2.ok) << show(d2);
      } else {
        DestroyOutcome d2 = applier::destroy_profile(ra.kernel, rb_state.value(), ra.facts);
        EXPECT_TRUE(d2.ok) << show(d2);
        applier::Diff left = applier::diff_plan(*a->plan, ra.kernel, a_owned);
        EXPECT_TRUE(left.empty()) << "the other profile lost: " << (left.changes.empty() ? "" : left.changes[0].text);
        DestroyOutcome d = ra.destroy();
        EXPECT_TRUE(d.ok) << show(d);
      }
      // What both profiles made is gone, except what they share and neither owns alone: an
      // ancestor cgroup made by one and used by the other stays (with its controllers), since
      // nsplan removes only what a profile made (docs/cli.md, "destroy").
      FakeState after = ra.kernel.snapshot();
      for (const auto& [dir, files] : after.cgroups) {
        if (initial.cgroups.count(dir)) continue;
        EXPECT_EQ(dir, "/sys/fs/cgroup/nsplan") << "left behind: " << dir;
      }
    }
}

// ---- cgroup.permissions ------------------------------------------------------------------------

const char* kDelegated = R"(nsplan: 1
name: delegated
cgroup:
  path: memlimit
  memory: {max: 3G}
  permissions:
    tasks: {user: alice, group: users, mode: "0664"}
    admin: {group: webmaster, dir_mode: "0775"}
)";

std::shared_ptr<Compilation> delegated(CgroupMode mode, const std::string& text = kDelegated) {
  return compile(src("tests/unit/delegated.yaml"), mode, text);
}

TEST(Permissions, ApplySetsOwnersOnceAndDestroyRemovesTheCgroupWithThem) {
  for (auto mode : {CgroupMode::V1, CgroupMode::V2}) {
    SCOPED_TRACE(to_string(mode));
    auto c = delegated(mode);
    Rig rig(*c->plan);
    const FakeState initial = rig.kernel.snapshot();
    ASSERT_TRUE(rig.apply(*c->plan).ok);
    const std::string dir = mode == CgroupMode::V1 ? "/sys/fs/cgroup/memory/memlimit" : "/sys/fs/cgroup/memlimit";
    const auto& access = rig.kernel.state().access;
    ASSERT_TRUE(access.count(dir + "/cgroup.procs"));
    EXPECT_EQ(applier::access_text(access.at(dir + "/cgroup.procs")), "cgroup.procs 1000:100 0664");
    EXPECT_EQ(applier::access_text(access.at(dir + "/.")), "the directory 0:1100 0775");
    const std::string second_task_file = mode == CgroupMode::V1 ? "tasks" : "cgroup.threads";
    EXPECT_EQ(access.at(dir + "/" + second_task_file).uid, 1000u);
    // The files that take processes are not handed to the admin and back: the next apply finds
    // everything in place.
    ApplyOutcome again = rig.apply(*c->plan);
    EXPECT_TRUE(again.ok && again.changes.empty()) << show(again) << "\n" << rig.kernel.trace();
    EXPECT_TRUE(rig.destroy().ok);
    EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
  }
}

TEST(Permissions, ACgroupThatWasThereGetsItsOwnersBack) {
  for (auto mode : {CgroupMode::V1, CgroupMode::V2}) {
    SCOPED_TRACE(to_string(mode));
    auto c = delegated(mode);
    Rig rig(*c->plan);
    live_in(rig.kernel, mode);  // memlimit exists, made by someone else
    const FakeState before = rig.kernel.snapshot();
    ASSERT_TRUE(rig.apply(*c->plan).ok);
    EXPECT_NE(before, rig.kernel.snapshot());
    DestroyOutcome d = rig.destroy();
    EXPECT_TRUE(d.ok) << show(d);
    EXPECT_STATE_EQ(before, rig.kernel.snapshot());
  }
}

TEST(Permissions, DroppingTheKeyGivesTheOwnersBack) {
  auto c = delegated(CgroupMode::V2);
  auto without = delegated(CgroupMode::V2, edit(kDelegated, "  permissions:\n    tasks: {user: alice, group: users, mode: \"0664\"}\n    admin: {group: webmaster, dir_mode: \"0775\"}\n", ""));
  Rig rig(*c->plan);
  ASSERT_TRUE(rig.apply(*c->plan).ok);
  ApplyOutcome out = rig.apply(*without->plan);
  ASSERT_TRUE(out.ok) << show(out);
  EXPECT_TRUE(rig.kernel.state().access.empty()) << rig.kernel.state().dump();
  EXPECT_EQ(out.removed.size(), 3u) << show(out);
}

TEST(Permissions, AnUnknownUserFailsTheStepAndChangesNothing) {
  auto c = delegated(CgroupMode::V2, edit(kDelegated, "user: alice", "user: mallory"));
  Rig rig(*c->plan);
  const FakeState initial = rig.kernel.snapshot();
  ApplyOutcome out = rig.apply(*c->plan);
  EXPECT_FALSE(out.ok);
  EXPECT_NE(out.error.find("mallory"), std::string::npos) << out.error;
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

TEST(Permissions, OwnersChangedByHandAreSeenAndPutRight) {
  auto c = delegated(CgroupMode::V2);
  Rig rig(*c->plan);
  ASSERT_TRUE(rig.apply(*c->plan).ok);
  rig.kernel.mutable_state().access["/sys/fs/cgroup/memlimit/cgroup.procs"].uid = 1001;
  applier::Diff d = rig.diff(*c->plan);
  ASSERT_EQ(d.changes.size(), 1u);
  EXPECT_NE(d.changes[0].text.find("1001:100 0664"), std::string::npos) << d.changes[0].text;
  ApplyOutcome out = rig.apply(*c->plan);
  ASSERT_TRUE(out.ok && out.changes.size() == 1) << show(out);
  EXPECT_EQ(rig.kernel.state().access.at("/sys/fs/cgroup/memlimit/cgroup.procs").uid, 1000u);
}

TEST(Permissions, APlantedRestoreRecordIsRefused) {
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  applier::Owned o{"access /sys/fs/cgroup/x .", applier::RestoreCgroupAccess{"/sys/fs/cgroup/x", {{"../../etc", 0, 0, 0644}}}, {1, 2}, {}};
  EXPECT_NE(applier::check_record(o, facts), "");
  o.undo = applier::RestoreCgroupAccess{"/sys/fs/cgroup/x", {{"memory.max", 0, 0, 04755}}};
  EXPECT_NE(applier::check_record(o, facts), "");
  o.undo = applier::RestoreCgroupAccess{"/etc", {{".", 0, 0, 0755}}};
  EXPECT_NE(applier::check_record(o, facts), "");
  o.undo = applier::RestoreCgroupAccess{"/sys/fs/cgroup/x", {{".", 0, 0, 0755}, {"cgroup.procs", 1000, 100, 0664}}};
  EXPECT_EQ(applier::check_record(o, facts), "");
  // And it survives the state file's round trip.
  std::string error;
  auto back = applier::owned_from_json(applier::to_json_line(o), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(std::get<applier::RestoreCgroupAccess>(back->undo).files, std::get<applier::RestoreCgroupAccess>(o.undo).files);
  // Numbers of a damaged record that are not 32-bit whole numbers are refused, never converted
  // (a float out of range would be undefined behaviour; the state fuzzer found one).
  for (const char* bad : {R"({"key":"k","undo":"restore_access","dir":"/sys/fs/cgroup/x","files":[{"file":".","uid":1e300,"gid":0,"mode":493}]})",
                          R"({"key":"k","undo":"restore_mtu","netns":"","dev":"eth0","mtu":-1.5})",
                          R"({"key":"k","undo":"delete_link","netns":"","name":"x","group":4294967296})",
                          R"({"key":"k","id":[1.5,2],"undo":"rmdir","dir":"/sys/fs/cgroup/x"})"}) {
    std::string err;
    EXPECT_FALSE(applier::owned_from_json(bad, err)) << bad;
    EXPECT_FALSE(err.empty()) << bad;
  }
}

// ---- hosts where systemd owns the cgroup v2 tree -----------------------------------------------

const char* kSystemdProfile = R"(nsplan: 1
name: sd
cgroup:
  path: memlimit
  memory: {max: 3G}
  pids: {max: 64}
)";

std::shared_ptr<Compilation> on_systemd_host(const std::string& text = kSystemdProfile, const std::string& parent = "") {
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  facts.systemd = true;
  facts.cgroup_parent = parent;
  FileReader reader = [text](const FileRequest& r) {
    FileContent c;
    c.ok = true;
    c.text = text;
    c.identity = "memory:" + r.path;
    return c;
  };
  return compile_file(src("tests/unit/sd.yaml"), reader, facts, PlanOptions{});
}

// A systemd host: system.slice there, with the controllers systemd delegates enabled for its units.
void systemd_slices(FakeKernel& kernel) {
  kernel.make_cgroup_now("/sys/fs/cgroup/system.slice/other.service", {"cpu", "cpuset", "io", "memory", "pids"});
}

TEST(DelegatedUnit, TheCgroupsGoBelowAUnitSystemdDelegatesAndDestroyStopsItLast) {
  auto c = on_systemd_host();
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  const std::string unit_dir = "/sys/fs/cgroup/system.slice/nsplan-sd.service";
  ASSERT_FALSE(c->plan->steps.empty());
  EXPECT_EQ(std::get<plan::DelegatedUnit>(c->plan->steps[0].action), (plan::DelegatedUnit{"nsplan-sd.service", "system.slice", unit_dir}));
  EXPECT_EQ(std::get<plan::EnableControllers>(c->plan->steps[1].action).dir, unit_dir);
  EXPECT_EQ(c->plan->cgroup_dirs, std::vector<std::string>{unit_dir + "/memlimit"});
  Rig rig(*c->plan);
  systemd_slices(rig.kernel);
  const FakeState initial = rig.kernel.snapshot();
  ApplyOutcome out = rig.apply(*c->plan);
  ASSERT_TRUE(out.ok) << show(out) << "\n" << rig.kernel.trace();
  EXPECT_EQ(rig.kernel.state().units.at("nsplan-sd.service"), unit_dir);
  EXPECT_EQ(rig.kernel.state().cgroups.at(unit_dir + "/memlimit").at("memory.max"), "3221225472");
  ApplyOutcome again = rig.apply(*c->plan);
  EXPECT_TRUE(again.ok && again.changes.empty()) << show(again);
  DestroyOutcome d = rig.destroy();
  EXPECT_TRUE(d.ok) << show(d);
  // The unit is stopped after the cgroups below it are gone, never before.
  std::vector<std::string> order;
  for (const auto& call : rig.kernel.calls())
    if (call.mutating) order.push_back(call.op);
  ASSERT_FALSE(order.empty());
  EXPECT_EQ(order.back(), "unit_stop") << rig.kernel.trace();
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

TEST(DelegatedUnit, AFailedApplyStopsTheUnitItStarted) {
  auto c = on_systemd_host();
  ASSERT_TRUE(c->ok());
  Rig rig(*c->plan);
  systemd_slices(rig.kernel);
  const FakeState initial = rig.kernel.snapshot();
  rig.kernel.fail_calls_containing("pids.max", EINVAL);
  ApplyOutcome out = rig.apply(*c->plan);
  EXPECT_FALSE(out.ok);
  EXPECT_STATE_EQ(initial, rig.kernel.snapshot());
}

TEST(DelegatedUnit, AUnitThatWasThereIsUsedButNeverStopped) {
  auto c = on_systemd_host();
  ASSERT_TRUE(c->ok());
  Rig rig(*c->plan);
  systemd_slices(rig.kernel);
  rig.kernel.add_unit_now("nsplan-sd.service", "/sys/fs/cgroup/system.slice/nsplan-sd.service", true);
  ASSERT_TRUE(rig.apply(*c->plan).ok);
  ASSERT_TRUE(rig.destroy().ok);
  EXPECT_TRUE(rig.kernel.state().units.count("nsplan-sd.service")) << "a unit nsplan did not start was stopped";
}

TEST(DelegatedUnit, AUnitThatBecameSomeoneElsesIsLeftAlone) {
  auto c = on_systemd_host();
  ASSERT_TRUE(c->ok());
  Rig rig(*c->plan);
  systemd_slices(rig.kernel);
  ASSERT_TRUE(rig.apply(*c->plan).ok);
  // The same name and cgroup, now a unit from a file (not transient): not the unit nsplan made.
  rig.kernel.add_unit_now("nsplan-sd.service", "/sys/fs/cgroup/system.slice/nsplan-sd.service", false);
  DestroyOutcome d = rig.destroy();
  EXPECT_FALSE(d.ok);
  ASSERT_FALSE(d.errors.empty());
  EXPECT_NE(d.errors[0].find("not the transient unit nsplan asked for"), std::string::npos) << d.errors[0];
  EXPECT_TRUE(rig.kernel.state().units.count("nsplan-sd.service"));
}

TEST(DelegatedUnit, ControllersSystemdDoesNotDelegateAreRefusedAtTheKey) {
  auto c = on_systemd_host(std::string(kSystemdProfile) + "  hugetlb: [{page: 2M, max: 64M}]\n");
  EXPECT_FALSE(c->ok());
  const std::string text = render_all(c->diags, c->sources);
  EXPECT_NE(text.find("systemd does not delegate the hugetlb controller"), std::string::npos) << text;
  EXPECT_NE(text.find("sd.yaml:7:"), std::string::npos) << text;
}

TEST(DelegatedUnit, ACgroupParentGivenMeansNoUnit) {
  auto c = on_systemd_host(kSystemdProfile, "user.slice/user-1000.slice/user@1000.service");
  ASSERT_TRUE(c->ok());
  for (const auto& step : c->plan->steps) EXPECT_FALSE(std::holds_alternative<plan::DelegatedUnit>(step.action));
  EXPECT_EQ(c->plan->cgroup_dirs, std::vector<std::string>{"/sys/fs/cgroup/user.slice/user-1000.slice/user@1000.service/memlimit"});
}

TEST(DelegatedUnit, APlantedStopRecordIsRefused) {
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  const std::string dir = "/sys/fs/cgroup/system.slice/nsplan-sd.service";
  applier::Owned o{"unit nsplan-sd.service", applier::StopUnit{"nsplan-sd.service", dir}, {1, 2}, {}};
  EXPECT_EQ(applier::check_record(o, facts), "");
  o.undo = applier::StopUnit{"sshd.service", "/sys/fs/cgroup/system.slice/sshd.service"};
  EXPECT_NE(applier::check_record(o, facts), "");
  o.undo = applier::StopUnit{"nsplan-sd.service", "/sys/fs/cgroup/system.slice/sshd.service"};
  EXPECT_NE(applier::check_record(o, facts), "");
  o.undo = applier::StopUnit{"nsplan-../x.service", "/sys/fs/cgroup/nsplan-../x.service"};
  EXPECT_NE(applier::check_record(o, facts), "");
  o.undo = applier::StopUnit{"nsplan-sd.service", "/etc/nsplan-sd.service"};
  EXPECT_NE(applier::check_record(o, facts), "");
  o.undo = applier::StopUnit{"nsplan-sd.service", dir};
  std::string error;
  auto back = applier::owned_from_json(applier::to_json_line(o), error);
  ASSERT_TRUE(back) << error;
  EXPECT_EQ(std::get<applier::StopUnit>(back->undo).dir, dir);
  EXPECT_EQ(std::get<applier::StopUnit>(back->undo).unit, "nsplan-sd.service");
}

// ---- IPv4 forwarding is one switch: it stays on while another profile's uplink relies on it ------

std::string uplink_profile(const std::string& name, const std::string& netns, int net) {
  const std::string n = std::to_string(net);
  return "nsplan: 1\nname: " + name + "\nnetwork:\n  namespaces: [" + netns + "]\n  links:\n    - {name: v" + netns +
         ", kind: veth, addresses: [10." + n + ".0.1/24], peer: {name: eth0, netns: " + netns + ", addresses: [10." + n +
         ".0.2/24]}}\n  uplink: {netns: " + netns + "}\n";
}

// The race the stress test found, made deterministic: profile b reads forwarding off (a had not
// written it yet), so its record says "0"; a's uplink is recorded by the time b fails and rolls
// back. The rollback must leave forwarding on, as destroy does.
TEST(Uplink, ARollbackLeavesForwardingOnWhileAnotherProfilesUplinkRecordsIt) {
  auto a = compile("up-a.yaml", CgroupMode::V2, uplink_profile("up-a", "na", 91));
  auto b = compile("up-b.yaml", CgroupMode::V2, uplink_profile("up-b", "nb", 92));
  ASSERT_TRUE(a->ok() && b->ok());
  Rig rig(*a->plan);
  ASSERT_TRUE(rig.apply(*a->plan).ok);
  ASSERT_EQ(rig.kernel.state().sysctls.at("net.ipv4.ip_forward"), "1");
  rig.kernel.mutable_state().sysctls["net.ipv4.ip_forward"] = "0";  // b's read comes before a's write

  auto opened = applier::ProfileState::open(rig.dir, "up-b", false);
  ASSERT_TRUE(opened.ok()) << opened.message();
  applier::ProfileState state_b = std::move(opened).value();
  rig.kernel.fail_calls_containing("table ip nsplan-up-b", EIO);
  rig.kernel.clear_calls();
  ApplyOutcome failed = applier::apply_plan(*b->plan, rig.kernel, state_b);
  ASSERT_FALSE(failed.ok) << show(failed);
  EXPECT_TRUE(failed.rollback_errors.empty()) << show(failed);
  EXPECT_EQ(rig.kernel.state().sysctls.at("net.ipv4.ip_forward"), "1") << "b's rollback turned a's forwarding off";
  EXPECT_EQ(rig.kernel.state().nft_tables.count("ip nsplan-up-b"), 0u);

  // Once a is gone, nothing relies on it: a's destroy gives back what a found.
  DestroyOutcome gone = rig.destroy();
  EXPECT_TRUE(gone.ok) << show(gone);
  EXPECT_EQ(rig.kernel.state().sysctls.at("net.ipv4.ip_forward"), "0");
}

}  // namespace
}  // namespace nsplan
