// End-to-end tests of `nsplan apply / status / destroy / plan` on the real kernel (issue 3):
// every shipped profile applied, checked, destroyed; the explain script against apply (same
// status); idempotency (also counted in-process, call by call); convergence of a changed profile.
// Every nsplan command runs inside a Sandbox (tests/kernel/sandbox.h) with --cgroup-parent set
// to a cgroup the test made, so no real name of the profiles ever reaches the host.
#include <sys/stat.h>

#include <algorithm>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "applier/actions.h"
#include "applier/executor.h"
#include "applier/kernel.h"
#include "applier/state.h"
#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

using nlohmann::json;

// ---- 1. every shipped profile: apply -> status -> destroy -> nothing left ---------------------

class ShippedProfile : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    ASSERT_TRUE(host_probe().ok) << host_probe().error;
    ASSERT_TRUE(tmp_.ok());
    path_ = source_dir() + "/profiles/" + GetParam() + ".yaml";
  }
  TempDir tmp_;
  std::string path_;
};

TEST_P(ShippedProfile, ApplyStatusDestroyLeavesNothing) {
  NSPLAN_PREPARE(p, path_);
  const std::string parent = p.parent->name(), name = p.plan().profile;
  NSPLAN_SANDBOX(sb, tmp_.path());

  RunResult before = sb.run(nsplan_cmd("status", path_, parent, "--json"));
  ASSERT_EQ(before.code(), 4) << "nothing is in place yet\n" << before.describe();
  EXPECT_EQ(items_not(parse_status(before), false), std::vector<std::string>{})
      << "present before any apply:\n" << before.out;

  RunResult apply = sb.run(nsplan_cmd("apply", path_, parent));
  ASSERT_EQ(apply.code(), 0) << apply.describe();
  EXPECT_TRUE(contains(apply.out, "applied '" + name + "'")) << apply.describe();

  RunResult status = sb.run(nsplan_cmd("status", path_, parent, "--json"));
  ASSERT_EQ(status.code(), 0) << status.describe();
  json st = parse_status(status);
  ASSERT_TRUE(st.contains("items")) << status.describe();
  EXPECT_EQ(st["items"].size(), p.plan().steps.size());
  EXPECT_EQ(st.value("profile", std::string()), name);
  EXPECT_EQ(items_not(st, true), std::vector<std::string>{}) << "missing after apply:\n" << status.out;

  // The values, read back by the test itself, not only by nsplan status.
  for (const auto& step : p.plan().steps) {
    if (auto* w = std::get_if<plan::WriteCgroupFile>(&step.action)) {
      std::string got = trim(read_file(w->dir + "/" + w->file));
      EXPECT_TRUE(same_cgroup_value(w->file, w->value, got))
          << w->dir << "/" << w->file << ": wrote " << w->value << ", reads " << got;
    }
    if (auto* m = std::get_if<plan::MakeCgroup>(&step.action)) {
      EXPECT_TRUE(path_exists(m->dir)) << m->dir;
    }
    if (auto* n = std::get_if<plan::CreateNetns>(&step.action)) {
      EXPECT_TRUE(path_exists(sb.path("/run/netns/" + n->name))) << n->name;
    }
  }
  EXPECT_TRUE(path_exists(sb.path("/run/nsplan/" + name + ".state")));
  EXPECT_FALSE(path_exists(sb.path("/run/nsplan/" + name + ".journal")));

  // By name: what the profile owns is recorded under it, the file is not needed.
  RunResult destroy = sb.run(nsplan_cmd("destroy", name, parent));
  ASSERT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_TRUE(contains(destroy.out, "destroyed '" + name + "'")) << destroy.describe();
  EXPECT_EQ(leftovers_in(sb, p.parent.get(), name), std::vector<std::string>{});

  RunResult after = sb.run(nsplan_cmd("status", path_, parent, "--json"));
  ASSERT_EQ(after.code(), 4) << "nothing is in place any more\n" << after.describe();
  EXPECT_EQ(items_not(parse_status(after), false), std::vector<std::string>{}) << after.out;

  RunResult again = sb.run(nsplan_cmd("destroy", path_, parent));
  EXPECT_EQ(again.code(), 0) << again.describe();
  EXPECT_TRUE(contains(again.out, "nothing to destroy")) << again.describe();
}

// ---- 2. the explain script and apply give the same status ------------------------------------
//
// Sandbox A runs `nsplan explain --no-run | sh`, sandbox B `nsplan apply`, one after the other,
// under the same cgroup parent (made afresh between them), so that the cgroup paths in the two
// status outputs are the same and nothing needs normalising.

// STATUS without its item KEY.
void forget_item(json& status, const std::string& key) {
  json kept = json::array();
  for (const auto& item : status["items"])
    if (item.value("key", std::string()) != key) kept.push_back(item);
  status["items"] = kept;
}

TEST_P(ShippedProfile, ExplainScriptAndApplyGiveTheSameStatus) {
  NSPLAN_PREPARE(p, path_);
  const std::string parent = p.parent->name(), name = p.plan().profile;
  json status_a, status_b;
  {
    NSPLAN_SANDBOX(a, tmp_.path());
    std::string script = tmp_.file("explain-" + name + ".sh");
    RunResult make = a.run(nsplan_cmd("explain", path_, parent, "--no-run") + " > " + shq(script) +
                           " && sh " + shq(script));
    ASSERT_EQ(make.code(), 0) << make.describe();
    // What the script marks NOT IN SH (a v2 device program) is the one thing it leaves to apply:
    // one marked line per such step, and that step's item alone is missing after the script.
    std::set<std::string> not_in_sh;
    for (const auto& step : p.plan().steps)
      if (auto* d = std::get_if<plan::SetDeviceAccess>(&step.action); d && d->bpf) not_in_sh.insert(applier::resource_key(step.action));
    std::ifstream in(script);
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    size_t marked = 0;
    for (size_t at = 0; (at = text.find("\n# NOT IN SH: ", at)) != std::string::npos; ++at) ++marked;
    EXPECT_EQ(marked, not_in_sh.size()) << text;
    RunResult st = a.run(nsplan_cmd("status", path_, parent, "--json"));
    ASSERT_EQ(st.code(), not_in_sh.empty() ? 0 : 4) << st.describe();
    status_a = parse_status(st);
    EXPECT_EQ(items_not(status_a, true), std::vector<std::string>(not_in_sh.begin(), not_in_sh.end()))
        << "explain | sh left out:\n" << st.out;
    for (const auto& key : not_in_sh) forget_item(status_a, key);

    std::string teardown = tmp_.file("destroy-" + name + ".sh");
    RunResult down = a.run(nsplan_cmd("explain", path_, parent, "--destroy") + " > " + shq(teardown) +
                           " && sh " + shq(teardown));
    ASSERT_EQ(down.code(), 0) << down.describe();
    EXPECT_EQ(leftovers_in(a, p.parent.get(), name), std::vector<std::string>{}) << "after explain --destroy | sh";
  }
  p.parent->reset();
  ASSERT_TRUE(p.parent->ok()) << p.parent->error();
  {
    NSPLAN_SANDBOX(b, tmp_.path());
    RunResult apply = b.run(nsplan_cmd("apply", path_, parent));
    ASSERT_EQ(apply.code(), 0) << apply.describe();
    RunResult st = b.run(nsplan_cmd("status", path_, parent, "--json"));
    ASSERT_EQ(st.code(), 0) << st.describe();
    status_b = parse_status(st);
    for (const auto& step : p.plan().steps)
      if (auto* d = std::get_if<plan::SetDeviceAccess>(&step.action); d && d->bpf) forget_item(status_b, applier::resource_key(step.action));
    RunResult destroy = b.run(nsplan_cmd("destroy", path_, parent));
    ASSERT_EQ(destroy.code(), 0) << destroy.describe();
    EXPECT_EQ(leftovers_in(b, p.parent.get(), name), std::vector<std::string>{}) << "after nsplan destroy";
  }
  EXPECT_EQ(status_a, status_b) << "explain | sh:\n" << status_a.dump(2) << "\nnsplan apply:\n" << status_b.dump(2);
}

// ---- 3. a second apply changes nothing --------------------------------------------------------

TEST_P(ShippedProfile, SecondApplySaysNoChanges) {
  NSPLAN_PREPARE(p, path_);
  const std::string parent = p.parent->name(), name = p.plan().profile;
  NSPLAN_SANDBOX(sb, tmp_.path());
  RunResult first = sb.run(nsplan_cmd("apply", path_, parent));
  ASSERT_EQ(first.code(), 0) << first.describe();
  const std::string state = sb.path("/run/nsplan/" + name + ".state");
  const std::string before = stat_id(state);
  ASSERT_NE(before, "missing");

  RunResult second = sb.run(nsplan_cmd("apply", path_, parent));
  ASSERT_EQ(second.code(), 0) << second.describe();
  EXPECT_TRUE(contains(second.out, "no changes: '" + name + "' is applied as the profile says")) << second.describe();
  EXPECT_FALSE(contains(second.out, "change(s)")) << second.describe();
  EXPECT_EQ(stat_id(state), before) << "the second apply rewrote the state file";
  EXPECT_FALSE(path_exists(sb.path("/run/nsplan/" + name + ".journal")));

  RunResult plan = sb.run(nsplan_cmd("plan", path_, parent));
  EXPECT_EQ(plan.code(), 0) << plan.describe();
  EXPECT_TRUE(contains(plan.out, "no changes")) << plan.describe();

  RunResult destroy = sb.run(nsplan_cmd("destroy", path_, parent));
  ASSERT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_EQ(leftovers_in(sb, p.parent.get(), name), std::vector<std::string>{});
}

// A Kernel that forwards every call to the real one and records the calls that change something.
class CountingKernel : public applier::Kernel {
 public:
  explicit CountingKernel(std::unique_ptr<applier::Kernel> k) : k_(std::move(k)) {}
  std::vector<std::string> writes;  // the mutating calls, in order

  applier::SysResult<bool> cgroup_exists(const std::string& dir) override { return k_->cgroup_exists(dir); }
  applier::Status cgroup_mkdir(const std::string& dir) override { return note("mkdir " + dir), k_->cgroup_mkdir(dir); }
  applier::Status cgroup_rmdir(const std::string& dir) override { return note("rmdir " + dir), k_->cgroup_rmdir(dir); }
  applier::SysResult<std::string> cgroup_read(const std::string& dir, const std::string& file) override {
    return k_->cgroup_read(dir, file);
  }
  applier::Status cgroup_write(const std::string& dir, const std::string& file, const std::string& value) override {
    note("write " + dir + "/" + file + " " + value);
    return k_->cgroup_write(dir, file, value);
  }
  applier::SysResult<std::vector<applier::AttachedProgram>> device_programs(const std::string& dir) override {
    return k_->device_programs(dir);
  }
  applier::Status device_program_attach(const std::string& dir, bool default_allow, const std::vector<std::string>& rules) override {
    return note("bpf attach " + dir), k_->device_program_attach(dir, default_allow, rules);
  }
  applier::Status device_program_detach(const std::string& dir, uint32_t id) override {
    return note("bpf detach " + dir), k_->device_program_detach(dir, id);
  }
  applier::SysResult<bool> netns_exists(const std::string& name) override { return k_->netns_exists(name); }
  applier::Status netns_create(const std::string& name) override { return note("netns add " + name), k_->netns_create(name); }
  applier::Status netns_delete(const std::string& name) override { return note("netns del " + name), k_->netns_delete(name); }
  applier::SysResult<bool> ns_exists(const std::string& path) override { return k_->ns_exists(path); }
  applier::Status ns_create(plan::NsKind kind, const std::string& path) override {
    return note("ns create " + path), k_->ns_create(kind, path);
  }
  applier::Status ns_delete(const std::string& path) override { return note("ns delete " + path), k_->ns_delete(path); }
  applier::SysResult<std::pair<std::string, std::string>> hostname(const std::string& ns_path) override {
    return k_->hostname(ns_path);
  }
  applier::Status set_hostname(const std::string& ns_path, const std::string& h, const std::string& d) override {
    return note("sethostname " + ns_path + " " + h), k_->set_hostname(ns_path, h, d);
  }
  applier::Status link_create(const plan::CreateLink& link) override {
    return note("link add " + link.netns + "/" + link.name), k_->link_create(link);
  }
  applier::Status link_delete(const std::string& netns, const std::string& name) override {
    return note("link del " + netns + "/" + name), k_->link_delete(netns, name);
  }
  applier::Status link_group_delete(const std::string& netns, uint32_t group, const std::set<int>& ours) override {
    return note("link del group " + std::to_string(group)), k_->link_group_delete(netns, group, ours);
  }
  applier::Status link_move(const std::string& from, const std::string& name, const std::string& to, const std::string& new_name) override {
    return note("link move " + name), k_->link_move(from, name, to, new_name);
  }
  applier::Status link_rename(const std::string& netns, const std::string& name, const std::string& new_name) override {
    return note("link rename " + name), k_->link_rename(netns, name, new_name);
  }
  applier::Status link_mtu(const std::string& netns, const std::string& dev, uint32_t mtu) override {
    return note("mtu " + dev), k_->link_mtu(netns, dev, mtu);
  }
  applier::Status link_mac(const std::string& netns, const std::string& dev, const std::string& mac) override {
    return note("mac " + dev), k_->link_mac(netns, dev, mac);
  }
  applier::SysResult<std::optional<std::string>> netns_etc_read(const std::string& netns, const std::string& file) override {
    return k_->netns_etc_read(netns, file);
  }
  applier::Status netns_etc_create(const std::string& netns, const std::string& file, const std::string& text) override {
    return note("etc " + file), k_->netns_etc_create(netns, file, text);
  }
  applier::SysResult<applier::KernelId> netns_etc_id(const std::string& netns, const std::string& file) override {
    return k_->netns_etc_id(netns, file);
  }
  applier::Status netns_etc_remove(const std::string& netns, const std::string& file, bool dir_too) override {
    return note("rm etc " + file), k_->netns_etc_remove(netns, file, dir_too);
  }
  applier::Status link_master(const std::string& netns, const std::string& dev, const std::string& master) override {
    return note("master " + dev), k_->link_master(netns, dev, master);
  }
  applier::Status link_up(const std::string& netns, const std::string& dev, bool up) override {
    return note("link " + netns + "/" + dev + (up ? " up" : " down")), k_->link_up(netns, dev, up);
  }
  applier::Status address_add(const std::string& netns, const std::string& dev, const std::string& cidr, bool nodad) override {
    return note("addr add " + cidr), k_->address_add(netns, dev, cidr, nodad);
  }
  applier::Status address_del(const std::string& netns, const std::string& dev, const std::string& cidr) override {
    return note("addr del " + cidr), k_->address_del(netns, dev, cidr);
  }
  applier::Status route_add(const applier::RouteSpec& route) override {
    return note("route add " + route.to), k_->route_add(route);
  }
  applier::Status route_del(const applier::RouteSpec& route) override {
    return note("route del " + route.to), k_->route_del(route);
  }
  applier::SysResult<std::string> sysctl_read(const std::string& key) override { return k_->sysctl_read(key); }
  applier::Status sysctl_write(const std::string& key, const std::string& value) override {
    return note("sysctl " + key + "=" + value), k_->sysctl_write(key, value);
  }
  applier::SysResult<applier::NftTableInfo> nft_table(const std::string& family, const std::string& name) override {
    return k_->nft_table(family, name);
  }
  applier::Status nft_load(const std::string& family, const std::string& name, const std::string& ruleset) override {
    return note("nft load " + family + " " + name), k_->nft_load(family, name, ruleset);
  }
  applier::Status nft_delete_table(const std::string& family, const std::string& name, uint64_t handle) override {
    return note("nft delete " + family + " " + name), k_->nft_delete_table(family, name, handle);
  }
  applier::SysResult<std::vector<applier::LinkInfo>> links(const std::string& netns) override { return k_->links(netns); }
  applier::SysResult<std::optional<applier::LinkInfo>> link(const std::string& netns, const std::string& name) override {
    return k_->link(netns, name);
  }
  applier::SysResult<std::vector<applier::AddressInfo>> addresses_of(const std::string& netns, const std::string& dev, int ifindex) override {
    return k_->addresses_of(netns, dev, ifindex);
  }
  applier::SysResult<std::vector<applier::RouteInfo>> routes_of(const std::string& netns, uint32_t table, const std::string& dev,
                                                                int ifindex) override {
    return k_->routes_of(netns, table, dev, ifindex);
  }
  applier::SysResult<applier::KernelId> link_id(const std::string& netns, const std::string& name) override {
    return k_->link_id(netns, name);
  }
  applier::SysResult<applier::KernelId> cgroup_id(const std::string& dir) override { return k_->cgroup_id(dir); }
  applier::SysResult<applier::KernelId> ns_id(const std::string& path) override { return k_->ns_id(path); }
  applier::SysResult<std::vector<applier::AddressInfo>> addresses(const std::string& netns) override {
    return k_->addresses(netns);
  }
  applier::SysResult<std::vector<applier::RouteInfo>> routes(const std::string& netns) override {
    return k_->routes(netns);
  }

 private:
  int note(std::string what) {
    writes.push_back(std::move(what));
    return 0;
  }
  std::unique_ptr<applier::Kernel> k_;
};

// Runs in a forked sandbox: apply twice and destroy, in-process, counting kernel writes.
std::string apply_twice_in_process(const std::string& path, const std::string& parent) {
  json report;
  auto c = compile_for_host(path, parent, "/run/nsplan-inproc");
  if (!c->ok()) return json{{"error", "compile: " + diagnostics_text(*c)}}.dump();
  const plan::Plan& plan = *c->plan;
  auto state = applier::ProfileState::open(plan.facts.state_dir, plan.profile, false);
  if (!state.ok()) return json{{"error", "state: " + state.message()}}.dump();
  report["runs"] = json::array();
  for (int run = 0; run < 2; ++run) {
    CountingKernel k(applier::make_linux_kernel(plan.facts));
    applier::ApplyOutcome out = applier::apply_plan(plan, k, state.value());
    report["runs"].push_back({{"ok", out.ok},
                              {"error", out.error},
                              {"changes", out.changes.size()},
                              {"removed", out.removed.size()},
                              {"writes", k.writes}});
  }
  CountingKernel k(applier::make_linux_kernel(plan.facts));
  applier::DestroyOutcome d = applier::destroy_profile(k, state.value(), plan.facts);
  report["destroy"] = {{"ok", d.ok}, {"errors", d.errors}, {"writes", k.writes}};
  // What is left in the sandbox: links of its own namespace other than lo, network namespaces.
  std::vector<std::string> left;
  auto links = applier::make_linux_kernel(plan.facts)->links("");
  if (!links.ok()) left.push_back("links: " + links.message());
  else
    for (const auto& l : links.value())
      if (l.name != "lo") left.push_back("link " + l.name);
  for (const std::string& n : list_dir("/run/netns")) left.push_back("netns " + n);
  report["left"] = left;
  return report.dump();
}

TEST_P(ShippedProfile, SecondApplyMakesZeroKernelWritesInProcess) {
  NSPLAN_PREPARE(p, path_);
  const std::string parent = p.parent->name();
  const std::string path = path_;
  std::string text = run_in_new_sandbox([&] { return apply_twice_in_process(path, parent); });
  ASSERT_FALSE(starts_with(text, "SANDBOX-ERROR")) << text;
  json r;
  ASSERT_NO_THROW(r = json::parse(text)) << text;
  ASSERT_FALSE(r.contains("error")) << r.dump(2);
  ASSERT_EQ(r["runs"].size(), 2u);
  const json& first = r["runs"][0];
  const json& second = r["runs"][1];
  ASSERT_TRUE(first["ok"].get<bool>()) << first.dump(2);
  EXPECT_GT(first["changes"].get<size_t>(), 0u) << first.dump(2);
  EXPECT_GE(first["writes"].size(), first["changes"].get<size_t>()) << first.dump(2);
  ASSERT_TRUE(second["ok"].get<bool>()) << second.dump(2);
  EXPECT_EQ(second["changes"].get<size_t>(), 0u) << second.dump(2);
  EXPECT_EQ(second["removed"].get<size_t>(), 0u) << second.dump(2);
  EXPECT_EQ(second["writes"].size(), 0u) << "the second apply wrote to the kernel:\n" << second["writes"].dump(2);
  EXPECT_TRUE(r["destroy"]["ok"].get<bool>()) << r["destroy"].dump(2);
  EXPECT_GT(r["destroy"]["writes"].size(), 0u) << r["destroy"].dump(2);
  EXPECT_EQ(r["left"].size(), 0u) << r["left"].dump(2);
  EXPECT_EQ(p.parent->descendants(), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Profiles, ShippedProfile, ::testing::ValuesIn(applied_profiles()), profile_param_name);

// ---- 4. convergence: a changed value is written in place, a removed link goes ----------------

class Converge : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    ASSERT_TRUE(host_probe().ok) << host_probe().error;
    ASSERT_TRUE(tmp_.ok());
  }
  // The profile: a cgroup with a memory limit, a namespace, and host-side bridges.
  static std::string profile(const std::string& max, const std::vector<std::string>& bridges) {
    std::string s =
        "nsplan: 1\n"
        "name: nspt-conv\n"
        "cgroup:\n"
        "  path: conv\n"
        "  memory:\n"
        "    max: " + max + "\n"
        "network:\n"
        "  namespaces: [nspt-conv-ns]\n"
        "  links:\n";
    for (const auto& b : bridges) s += "    - name: " + b + "\n      kind: bridge\n";
    return s;
  }
  TempDir tmp_;
};

TEST_F(Converge, ChangedValueInPlaceAndRemovedLinkGoes) {
  const std::string path = tmp_.write("conv.yaml", profile("3G", {"nsptbr0", "nsptbr1"}));
  NSPLAN_PREPARE(p, path);
  const std::string parent = p.parent->name();
  const std::string cg = p.parent->dir_of("memory") + "/conv";
  const std::string limit_file =
      cg + (p.plan().facts.mode == CgroupMode::V2 ? "/memory.max" : "/memory.limit_in_bytes");
  NSPLAN_SANDBOX(sb, tmp_.path());

  RunResult pending = sb.run(nsplan_cmd("plan", path, parent));
  EXPECT_EQ(pending.code(), 4) << pending.describe();
  EXPECT_TRUE(contains(pending.out, "+ bridge nsptbr1")) << pending.describe();

  RunResult apply = sb.run(nsplan_cmd("apply", path, parent));
  ASSERT_EQ(apply.code(), 0) << apply.describe();
  EXPECT_EQ(trim(read_file(limit_file)), "3221225472");
  RunResult in_sync = sb.run(nsplan_cmd("plan", path, parent));
  EXPECT_EQ(in_sync.code(), 0) << in_sync.describe();
  EXPECT_TRUE(contains(in_sync.out, "no changes")) << in_sync.describe();
  struct stat cg_before;
  ASSERT_EQ(::stat(cg.c_str(), &cg_before), 0);

  // max 3G -> 2G: one "~" change, the same cgroup directory.
  tmp_.write("conv.yaml", profile("2G", {"nsptbr0", "nsptbr1"}));
  RunResult plan2 = sb.run(nsplan_cmd("plan", path, parent));
  EXPECT_EQ(plan2.code(), 4) << plan2.describe();
  EXPECT_TRUE(contains(plan2.out, "3221225472 -> 2147483648")) << plan2.describe();
  EXPECT_TRUE(contains(plan2.out, "0 to add, 1 to change, 0 to remove")) << plan2.describe();
  RunResult apply2 = sb.run(nsplan_cmd("apply", path, parent));
  ASSERT_EQ(apply2.code(), 0) << apply2.describe();
  EXPECT_TRUE(contains(apply2.out, "1 change(s), 0 removal(s)")) << apply2.describe();
  EXPECT_EQ(trim(read_file(limit_file)), "2147483648");
  struct stat cg_after;
  ASSERT_EQ(::stat(cg.c_str(), &cg_after), 0);
  EXPECT_EQ(cg_before.st_ino, cg_after.st_ino) << "the cgroup was made anew, not changed in place";
  EXPECT_EQ(sb.run(nsplan_cmd("plan", path, parent)).code(), 0);

  // nsptbr1 leaves the profile: plan shows its removal; apply removes it and only it.
  tmp_.write("conv.yaml", profile("2G", {"nsptbr0"}));
  RunResult plan3 = sb.run(nsplan_cmd("plan", path, parent));
  EXPECT_EQ(plan3.code(), 4) << plan3.describe();
  EXPECT_TRUE(contains(plan3.out, "- delete link nsptbr1")) << plan3.describe();
  EXPECT_FALSE(contains(plan3.out, "nsptbr0")) << plan3.describe();
  RunResult apply3 = sb.run(nsplan_cmd("apply", path, parent));
  ASSERT_EQ(apply3.code(), 0) << apply3.describe();
  std::vector<std::string> links = sandbox_links(sb);
  EXPECT_EQ(std::count(links.begin(), links.end(), "nsptbr1"), 0) << joined(links);
  EXPECT_EQ(std::count(links.begin(), links.end(), "nsptbr0"), 1)
      << "removing nsptbr1 from the profile took nsptbr0 (still in it) away too; links now: " << joined(links)
      << "\n" << apply3.describe();
  RunResult plan4 = sb.run(nsplan_cmd("plan", path, parent));
  EXPECT_EQ(plan4.code(), 0) << plan4.describe();
  EXPECT_EQ(trim(read_file(limit_file)), "2147483648");

  RunResult destroy = sb.run(nsplan_cmd("destroy", path, parent));
  ASSERT_EQ(destroy.code(), 0) << destroy.describe();
  EXPECT_EQ(leftovers_in(sb, p.parent.get(), "nspt-conv"), std::vector<std::string>{});
}

}  // namespace
}  // namespace nsplan::kernel_test
