// Fault injection on the REAL kernel (issue 6): every kernel change of every shipped profile's
// apply fails in turn, and the live system must be left exactly as it was.
//
// tests/unit/executor_test.cc does the same sweeps against FakeKernel, which models the kernel;
// here the model is out of the loop. For each shipped profile, in a fresh sandbox
// (run_in_new_sandbox: private mount + net namespaces, tmpfs /run, lo up) under a cgroup parent
// the test made, with the state dir on the sandbox's tmpfs:
//
//   1. a clean apply through FaultyKernel (a decorator of applier::make_linux_kernel that forwards
//      every call) counts N, the kernel changes it makes, and their profile lines; destroy;
//   2. for k = 1..N: apply again, with the k-th mutating call failing EIO (the decorator answers
//      for the kernel, which is not called). apply_plan must fail, name the profile line of the
//      step whose change failed, roll back without a rollback error, and leave NOTHING: the
//      snapshot of the live system (Observer: cgroups below the parent and their settable values,
//      the parent's included; links, addresses and routes of the sandbox and of every netns;
//      nsfs mounts; the hostname; the state dir) is what it was before the apply;
//   3. a clean apply and destroy still work afterwards.
//
// The same sweep runs on a lived-in host (every other shipped profile applied first, which must
// stay untouched). Two more sweeps fail the k-th READ instead (the observations apply makes before
// each change): of a first apply, which may fail or succeed but must leave nothing after its
// rollback or destroy, and of a re-apply, after which the profile must still be applied exactly.
//
// The sandbox child reports JSON; the test process asserts on it (no gtest in the child).
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <functional>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <string>
#include <vector>

#include "applier/executor.h"
#include "applier/kernel.h"
#include "applier/state.h"
#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

using nlohmann::json;

// ---- the decorator --------------------------------------------------------------------------

// Forwards every call to the real kernel. Mutating calls and reads are numbered separately from
// 1; the FAIL_MUTATION-th mutating call (or the FAIL_READ-th read) fails with ERR and does not
// reach the kernel. 0 = no fault.
class FaultyKernel : public applier::Kernel {
 public:
  FaultyKernel(std::unique_ptr<applier::Kernel> k, size_t fail_mutation, size_t fail_read = 0, int err = EIO)
      : k_(std::move(k)), fail_mutation_(fail_mutation), fail_read_(fail_read), err_(err) {}

  size_t mutations = 0, reads = 0;
  std::vector<std::string> calls;  // the mutating calls, in order, with their outcome
  std::string injected;           // the call that was made to fail

  // ---- reads ----
  applier::SysResult<bool> cgroup_exists(const std::string& dir) override {
    return read("cgroup_exists " + dir, [&] { return k_->cgroup_exists(dir); });
  }
  applier::SysResult<std::string> cgroup_read(const std::string& dir, const std::string& file) override {
    return read("cgroup_read " + dir + "/" + file, [&] { return k_->cgroup_read(dir, file); });
  }
  applier::SysResult<bool> netns_exists(const std::string& name) override {
    return read("netns_exists " + name, [&] { return k_->netns_exists(name); });
  }
  applier::SysResult<bool> ns_exists(const std::string& path) override {
    return read("ns_exists " + path, [&] { return k_->ns_exists(path); });
  }
  applier::SysResult<std::pair<std::string, std::string>> hostname(const std::string& ns_path) override {
    return read("hostname " + ns_path, [&] { return k_->hostname(ns_path); });
  }
  applier::SysResult<std::vector<applier::LinkInfo>> links(const std::string& netns) override {
    return read("links " + netns, [&] { return k_->links(netns); });
  }
  applier::SysResult<std::optional<applier::LinkInfo>> link(const std::string& netns, const std::string& name) override {
    return read("link " + netns + "/" + name, [&] { return k_->link(netns, name); });
  }
  applier::SysResult<std::vector<applier::AddressInfo>> addresses_of(const std::string& netns, const std::string& dev, int ifindex) override {
    return read("addresses of " + netns + "/" + dev, [&] { return k_->addresses_of(netns, dev, ifindex); });
  }
  applier::SysResult<std::vector<applier::RouteInfo>> routes_of(const std::string& netns, uint32_t table, const std::string& dev,
                                                                int ifindex) override {
    return read("routes of " + netns + "/" + dev, [&] { return k_->routes_of(netns, table, dev, ifindex); });
  }
  applier::SysResult<std::vector<applier::AddressInfo>> addresses(const std::string& netns) override {
    return read("addresses " + netns, [&] { return k_->addresses(netns); });
  }
  applier::SysResult<std::vector<applier::RouteInfo>> routes(const std::string& netns) override {
    return read("routes " + netns, [&] { return k_->routes(netns); });
  }
  applier::SysResult<applier::KernelId> cgroup_id(const std::string& dir) override {
    return read("cgroup_id " + dir, [&] { return k_->cgroup_id(dir); });
  }
  applier::SysResult<applier::KernelId> ns_id(const std::string& path) override {
    return read("ns_id " + path, [&] { return k_->ns_id(path); });
  }
  applier::SysResult<applier::KernelId> link_id(const std::string& netns, const std::string& name) override {
    return read("link_id " + netns + "/" + name, [&] { return k_->link_id(netns, name); });
  }

  // ---- changes ----
  applier::Status cgroup_mkdir(const std::string& dir) override {
    return mutate("mkdir " + dir, [&] { return k_->cgroup_mkdir(dir); });
  }
  applier::Status cgroup_rmdir(const std::string& dir) override {
    return mutate("rmdir " + dir, [&] { return k_->cgroup_rmdir(dir); });
  }
  applier::Status cgroup_write(const std::string& dir, const std::string& file, const std::string& value) override {
    return mutate("write " + dir + "/" + file + " " + value, [&] { return k_->cgroup_write(dir, file, value); });
  }
  applier::SysResult<std::vector<applier::AttachedProgram>> device_programs(const std::string& dir) override {
    return read("device_programs " + dir, [&] { return k_->device_programs(dir); });
  }
  applier::Status device_program_attach(const std::string& dir, bool default_allow, const std::vector<std::string>& rules) override {
    return mutate("bpf attach " + dir, [&] { return k_->device_program_attach(dir, default_allow, rules); });
  }
  applier::Status device_program_detach(const std::string& dir, uint32_t id) override {
    return mutate("bpf detach " + dir + " " + std::to_string(id), [&] { return k_->device_program_detach(dir, id); });
  }
  applier::Status netns_create(const std::string& name) override {
    return mutate("netns add " + name, [&] { return k_->netns_create(name); });
  }
  applier::Status netns_delete(const std::string& name) override {
    return mutate("netns del " + name, [&] { return k_->netns_delete(name); });
  }
  applier::Status ns_create(plan::NsKind kind, const std::string& path) override {
    return mutate("ns create " + path, [&] { return k_->ns_create(kind, path); });
  }
  applier::Status ns_delete(const std::string& path) override {
    return mutate("ns delete " + path, [&] { return k_->ns_delete(path); });
  }
  applier::Status set_hostname(const std::string& ns_path, const std::string& h, const std::string& d) override {
    return mutate("sethostname " + ns_path + " " + h, [&] { return k_->set_hostname(ns_path, h, d); });
  }
  applier::Status link_create(const plan::CreateLink& link) override {
    return mutate("link add " + link.netns + "/" + link.name, [&] { return k_->link_create(link); });
  }
  applier::Status link_delete(const std::string& netns, const std::string& name) override {
    return mutate("link del " + netns + "/" + name, [&] { return k_->link_delete(netns, name); });
  }
  applier::Status link_group_delete(const std::string& netns, uint32_t group, const std::set<int>& ours) override {
    return mutate("link del group " + std::to_string(group) + " in '" + netns + "'",
                  [&] { return k_->link_group_delete(netns, group, ours); });
  }
  applier::Status link_move(const std::string& from, const std::string& name, const std::string& to, const std::string& new_name) override {
    return mutate("link move " + from + "/" + name + " -> " + to, [&] { return k_->link_move(from, name, to, new_name); });
  }
  applier::Status link_rename(const std::string& netns, const std::string& name, const std::string& new_name) override {
    return mutate("link rename " + netns + "/" + name + " " + new_name, [&] { return k_->link_rename(netns, name, new_name); });
  }
  applier::Status link_mtu(const std::string& netns, const std::string& dev, uint32_t mtu) override {
    return mutate("mtu " + netns + "/" + dev + " " + std::to_string(mtu), [&] { return k_->link_mtu(netns, dev, mtu); });
  }
  applier::Status link_master(const std::string& netns, const std::string& dev, const std::string& master) override {
    return mutate("master " + netns + "/" + dev + " " + master, [&] { return k_->link_master(netns, dev, master); });
  }
  applier::Status link_up(const std::string& netns, const std::string& dev, bool up) override {
    return mutate("link " + netns + "/" + dev + (up ? " up" : " down"), [&] { return k_->link_up(netns, dev, up); });
  }
  applier::Status address_add(const std::string& netns, const std::string& dev, const std::string& cidr, bool nodad) override {
    return mutate("addr add " + netns + "/" + dev + " " + cidr, [&] { return k_->address_add(netns, dev, cidr, nodad); });
  }
  applier::Status address_del(const std::string& netns, const std::string& dev, const std::string& cidr) override {
    return mutate("addr del " + netns + "/" + dev + " " + cidr, [&] { return k_->address_del(netns, dev, cidr); });
  }
  applier::Status route_add(const applier::RouteSpec& r) override {
    return mutate("route add " + r.netns + " " + r.to, [&] { return k_->route_add(r); });
  }
  applier::Status route_del(const applier::RouteSpec& r) override {
    return mutate("route del " + r.netns + " " + r.to, [&] { return k_->route_del(r); });
  }
  // The uplink's (sysctl_restore_unless_changed: the default, over these).
  applier::SysResult<std::string> sysctl_read(const std::string& key) override {
    return read("sysctl " + key, [&] { return k_->sysctl_read(key); });
  }
  applier::Status sysctl_write(const std::string& key, const std::string& value) override {
    return mutate("sysctl " + key + "=" + value, [&] { return k_->sysctl_write(key, value); });
  }
  applier::SysResult<applier::NftTableInfo> nft_table(const std::string& family, const std::string& name) override {
    return read("nft list table " + family + " " + name, [&] { return k_->nft_table(family, name); });
  }
  applier::Status nft_load(const std::string& family, const std::string& name, const std::string& ruleset) override {
    return mutate("nft load " + family + " " + name, [&] { return k_->nft_load(family, name, ruleset); });
  }
  applier::Status nft_delete_table(const std::string& family, const std::string& name, uint64_t handle) override {
    return mutate("nft delete " + family + " " + name, [&] { return k_->nft_delete_table(family, name, handle); });
  }
  applier::Status link_mac(const std::string& netns, const std::string& dev, const std::string& mac) override {
    return mutate("mac " + netns + "/" + dev + " " + mac, [&] { return k_->link_mac(netns, dev, mac); });
  }
  applier::SysResult<std::optional<std::string>> netns_etc_read(const std::string& netns, const std::string& file) override {
    return read("cat /etc/netns/" + netns + "/" + file, [&] { return k_->netns_etc_read(netns, file); });
  }
  applier::Status netns_etc_create(const std::string& netns, const std::string& file, const std::string& text) override {
    return mutate("create /etc/netns/" + netns + "/" + file, [&] { return k_->netns_etc_create(netns, file, text); });
  }
  applier::SysResult<applier::KernelId> netns_etc_id(const std::string& netns, const std::string& file) override {
    return read("stat /etc/netns/" + netns + "/" + file, [&] { return k_->netns_etc_id(netns, file); });
  }
  applier::Status netns_etc_remove(const std::string& netns, const std::string& file, bool dir_too) override {
    return mutate("rm /etc/netns/" + netns + "/" + file, [&] { return k_->netns_etc_remove(netns, file, dir_too); });
  }

 private:
  applier::SysError fault(const std::string& what) {
    injected = what;
    return applier::SysError{err_, "injected fault: " + what, 0, {}};
  }
  template <class F>
  applier::Status mutate(const std::string& what, F&& f) {
    ++mutations;
    if (mutations == fail_mutation_) {
      calls.push_back(what + " -> injected " + std::strerror(err_));
      return fault(what);
    }
    applier::Status s = f();
    calls.push_back(what + (s.ok() ? "" : " -> " + s.message()));
    return s;
  }
  template <class F>
  auto read(const std::string& what, F&& f) -> decltype(f()) {
    ++reads;
    if (reads == fail_read_) return fault(what);
    return f();
  }

  std::unique_ptr<applier::Kernel> k_;
  size_t fail_mutation_, fail_read_;
  int err_;
};

// ---- what the live system looks like (inside the sandbox child) ------------------------------

// Control files whose content moves by itself (counters, usage, pressure): not compared.
bool volatile_cgroup_file(const std::string& name) {
  for (const char* w : {"usage", "failcnt", "peak", "pressure", "stat", "events", "current"})
    if (name.find(w) != std::string::npos) return true;
  return false;
}

// Everything a profile applied below the cgroup parent and inside the sandbox could have touched,
// as comparable text lines. Taken before a run and after it; any difference is residue.
struct LiveSnapshot {
  std::set<std::string> lines;
};

class Observer {
 public:
  Observer(std::vector<std::string> parent_dirs, std::string state_dir, std::string profile)
      : parent_dirs_(std::move(parent_dirs)), state_dir_(std::move(state_dir)), profile_(std::move(profile)) {
    for (const auto& m : mounts())
      if (m.fstype == "nsfs") baseline_nsfs_.insert(m.mount_point + " " + m.root);
  }

  LiveSnapshot take(const HostFacts& facts) const {
    LiveSnapshot s;
    // Cgroups: every directory below the parent, and the settable values of each (the parent's too).
    for (const auto& dir : parent_dirs_) walk_cgroup(dir, s.lines, true);
    // Network: the sandbox's own namespace and every persistent one: links, addresses, routes.
    auto k = applier::make_linux_kernel(facts);
    net(*k, "", s.lines);
    for (const auto& n : list_dir(applier::kNetnsRunDir)) {
      s.lines.insert("netns " + n);
      net(*k, n, s.lines);
    }
    for (const auto& m : mounts())
      if (m.fstype == "nsfs" && !baseline_nsfs_.count(m.mount_point + " " + m.root))
        s.lines.insert("nsfs mount " + m.mount_point);
    // The uplink's: the forwarding sysctl and the profile's nftables table.
    if (auto forward = k->sysctl_read("net.ipv4.ip_forward"); forward.ok()) s.lines.insert("ip_forward " + forward.value());
    if (auto table = k->nft_table("ip", "nsplan-" + profile_); table.ok()) s.lines.insert("nft table " + table.value().comment);
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    s.lines.insert(std::string("hostname ") + host);
    // The state dir: the profile's lock may stay; state files are compared by content.
    for (const auto& n : list_dir(state_dir_)) {
      if (n == profile_ + ".lock") continue;
      std::string p = state_dir_ + "/" + n;
      bool is_lock = n.size() > 5 && n.compare(n.size() - 5, 5, ".lock") == 0;
      s.lines.insert("file " + p + (is_lock ? "" : " = " + read_file(p)));
    }
    return s;
  }

 private:
  static void walk_cgroup(const std::string& dir, std::set<std::string>& out, bool is_parent) {
    if (!is_parent) out.insert("cgroup " + dir);
    for (const auto& n : list_dir(dir)) {
      std::string p = dir + "/" + n;
      struct stat st;
      if (::lstat(p.c_str(), &st) != 0) continue;
      if (S_ISDIR(st.st_mode)) walk_cgroup(p, out, false);
      else if (S_ISREG(st.st_mode) && (st.st_mode & S_IWUSR) && !volatile_cgroup_file(n))
        out.insert("value " + p + " = " + trim(read_file(p)));
    }
  }

  // IPv6 link-local addresses (and their local routes) and the ff00::/8 multicast route appear
  // a moment after a link comes up, made by the kernel, not by nsplan: not compared.
  static bool link_local(const std::string& cidr) { return starts_with(cidr, "fe80:") || cidr == "ff00::/8"; }

  static void net(applier::Kernel& k, const std::string& ns, std::set<std::string>& out) {
    const std::string in = ns.empty() ? "" : " in " + ns;
    if (auto links = k.links(ns); links.ok()) {
      for (const auto& l : links.value())
        out.insert("link " + l.name + in + (l.kind.empty() ? "" : " (" + l.kind + ")") + " mtu " + std::to_string(l.mtu) +
                   (l.up ? " up" : " down") + (l.master.empty() ? "" : " master " + l.master) + " group " +
                   std::to_string(l.group));
    } else {
      out.insert("links" + in + ": " + links.message());
    }
    if (auto addrs = k.addresses(ns); addrs.ok()) {
      for (const auto& a : addrs.value())
        if (!link_local(a.cidr)) out.insert("address " + a.cidr + " on " + a.dev + in);
    } else {
      out.insert("addresses" + in + ": " + addrs.message());
    }
    if (auto routes = k.routes(ns); routes.ok()) {
      for (const auto& r : routes.value())
        if (!link_local(r.to))
          out.insert("route " + r.to + (r.via.empty() ? "" : " via " + r.via) + (r.dev.empty() ? "" : " dev " + r.dev) + in +
                   " table " + std::to_string(r.table) + " metric " + std::to_string(r.metric));
    } else {
      out.insert("routes" + in + ": " + routes.message());
    }
  }

  std::vector<std::string> parent_dirs_;
  std::string state_dir_, profile_;
  std::set<std::string> baseline_nsfs_;
};

// What differs between BEFORE and NOW ("+ x": there now, "- x": gone). Links of a deleted
// namespace (veth peers) go a moment after it: while only links, addresses and routes differ,
// TAKE is retried for up to 3 s.
std::vector<std::string> residue(const LiveSnapshot& before, const std::function<LiveSnapshot()>& take) {
  std::vector<std::string> diff;
  for (int attempt = 0; attempt < 300; ++attempt) {
    LiveSnapshot now = take();
    diff.clear();
    bool only_net = true;
    auto net_line = [](const std::string& l) {
      return starts_with(l, "link ") || starts_with(l, "address ") || starts_with(l, "route ");
    };
    for (const auto& l : now.lines)
      if (!before.lines.count(l)) {
        diff.push_back("+ " + l);
        only_net = only_net && net_line(l);
      }
    for (const auto& l : before.lines)
      if (!now.lines.count(l)) {
        diff.push_back("- " + l);
        only_net = only_net && net_line(l);
      }
    if (diff.empty() || !only_net) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return diff;
}

// ---- the sweeps (run in the sandbox child) ---------------------------------------------------

json outcome_json(const applier::ApplyOutcome& out, const FaultyKernel& k) {
  json changes = json::array();
  for (const auto& c : out.changes) changes.push_back({{"text", c.text}, {"where", c.where}});
  return {{"ok", out.ok},
          {"error", out.error},
          {"changes", changes},
          {"removed", applier::texts(out.removed)},
          {"rollback_errors", out.rollback_errors},
          {"recovered", out.recovered},
          {"mutations", k.mutations},
          {"reads", k.reads},
          {"injected", k.injected},
          {"calls", k.calls}};
}

enum class Sweep {
  Changes,         // fail every kernel change of an apply in turn
  Reads,           // fail every read of an apply in turn
  ReapplyReads,    // apply, then fail every read of a re-apply in turn
};

struct SweepSpec {
  std::string path;                 // the profile under test
  std::vector<std::string> others;  // profiles applied before it (a lived-in host)
  std::string parent;               // --cgroup-parent
  std::vector<std::string> parent_dirs;
  Sweep sweep = Sweep::Changes;
};

// One profile, as one nsplan process sees it: its plan, its own state handle per run.
struct Subject {
  std::unique_ptr<Compilation> c;
  std::string state_dir;
  const plan::Plan& plan() const { return *c->plan; }

  json apply(size_t fail_mutation, size_t fail_read) const {
    auto state = applier::ProfileState::open(state_dir, plan().profile, false);
    if (!state.ok()) return json{{"ok", false}, {"error", "state: " + state.message()}, {"reads", 0}, {"mutations", 0}};
    FaultyKernel k(applier::make_linux_kernel(plan().facts), fail_mutation, fail_read);
    applier::ApplyOutcome out = applier::apply_plan(plan(), k, state.value());
    return outcome_json(out, k);
  }
  json destroy() const {
    auto state = applier::ProfileState::open(state_dir, plan().profile, false);
    if (!state.ok()) return json{{"ok", false}, {"errors", {"state: " + state.message()}}};
    FaultyKernel k(applier::make_linux_kernel(plan().facts), 0);
    applier::DestroyOutcome d = applier::destroy_profile(k, state.value(), plan().facts);
    return json{{"ok", d.ok}, {"errors", d.errors}, {"removed", applier::texts(d.removed)}, {"calls", k.calls}};
  }
  // What apply would still change (nsplan plan): empty when the profile is applied as it says.
  std::vector<std::string> pending() const {
    auto owned = applier::ProfileState::read_only(state_dir, plan().profile).load();
    if (!owned.ok()) return {"state: " + owned.message()};
    auto k = applier::make_linux_kernel(plan().facts);
    applier::Diff d = applier::diff_plan(plan(), *k, owned.value());
    std::vector<std::string> out;
    for (const auto& c : d.changes) out.push_back(c.text + "  " + c.where);
    for (const auto& r : d.removals) out.push_back(r);
    return out;
  }
};

std::string run_sweep(const SweepSpec& spec) {
  json report;
  char tmpl[] = "/run/nsplan-t-faults-XXXXXX";  // on the sandbox's private tmpfs
  if (!::mkdtemp(tmpl)) return json{{"error", std::string("mkdtemp: ") + std::strerror(errno)}}.dump();
  auto subject = [&](const std::string& path) {
    Subject s{compile_for_host(path, spec.parent, tmpl), tmpl};
    return s;
  };
  Subject p = subject(spec.path);
  if (!p.c->ok()) return json{{"error", "compile: " + diagnostics_text(*p.c)}}.dump();
  report["profile"] = p.plan().profile;
  report["steps"] = p.plan().steps.size();

  // A lived-in host: the other profiles are applied first, and must stay exactly as they are.
  report["others"] = json::array();
  std::vector<Subject> others;
  // Whatever happens, the others go at the end (cgroups are not private to the sandbox).
  struct DestroyOthers {
    std::vector<Subject>& others;
    ~DestroyOthers() {
      for (auto it = others.rbegin(); it != others.rend(); ++it) (void)it->destroy();
    }
  } destroy_others{others};
  for (const auto& other : spec.others) {
    others.push_back(subject(other));
    const Subject& o = others.back();
    if (!o.c->ok()) return json{{"error", "compile " + other + ": " + diagnostics_text(*o.c)}}.dump();
    json r = o.apply(0, 0);
    if (!r["ok"].get<bool>()) return json{{"error", "applying " + other + ": " + r.dump()}}.dump();
    report["others"].push_back(o.plan().profile);
  }

  Observer observer(spec.parent_dirs, tmpl, p.plan().profile);
  auto take = [&] { return observer.take(p.plan().facts); };
  if (!spec.others.empty()) {
    // On a lived-in v2 host, destroy leaves the controllers this profile enabled in an ancestor
    // that other profiles' cgroups sit below (docs/cli.md, destroy): that is the steady state
    // the faults are measured against, so one clean apply and destroy come first.
    (void)p.apply(0, 0);
    (void)p.destroy();
  }
  const LiveSnapshot initial = take();

  // The clean run: how many changes and reads, from which profile lines.
  report["clean"] = p.apply(0, 0);
  if (!report["clean"]["ok"].get<bool>()) return report.dump();
  report["clean_pending"] = p.pending();
  const size_t n = report["clean"]["mutations"].get<size_t>();
  const size_t reads = report["clean"]["reads"].get<size_t>();
  if (spec.sweep == Sweep::ReapplyReads) {
    const LiveSnapshot applied = take();
    json again = p.apply(0, 0);
    report["reapply"] = again;
    const size_t reapply_reads = again["reads"].get<size_t>();
    report["runs"] = json::array();
    for (size_t k = 1; k <= reapply_reads; ++k) {
      json r = p.apply(0, k);
      r["k"] = k;
      r["left"] = residue(applied, take);
      r["pending"] = p.pending();
      bool clean = r["left"].empty() && r["pending"].empty();
      report["runs"].push_back(r);
      if (!clean) break;
    }
  }
  report["clean_destroy"] = p.destroy();
  report["clean_left"] = residue(initial, take);
  if (!report["clean_left"].empty()) return report.dump();

  if (spec.sweep == Sweep::Changes) {
    report["runs"] = json::array();
    for (size_t k = 1; k <= n; ++k) {
      json r = p.apply(k, 0);
      r["k"] = k;
      r["left"] = residue(initial, take);
      bool clean = r["left"].empty();
      report["runs"].push_back(r);
      if (!clean) break;  // what follows would only repeat it
    }
  } else if (spec.sweep == Sweep::Reads) {
    report["runs"] = json::array();
    for (size_t k = 1; k <= reads; ++k) {
      json r = p.apply(0, k);
      r["k"] = k;
      r.erase("calls");
      if (r["ok"].get<bool>()) r["destroy"] = p.destroy();
      r["left"] = residue(initial, take);
      bool clean = r["left"].empty();
      report["runs"].push_back(r);
      if (!clean) break;
    }
  }

  // Nothing was poisoned: a clean apply and destroy still work.
  report["final"] = p.apply(0, 0);
  report["final_destroy"] = p.destroy();
  report["final_left"] = residue(initial, take);
  report["others_destroyed"] = json::array();
  for (auto it = others.rbegin(); it != others.rend(); ++it) report["others_destroyed"].push_back(it->destroy());
  others.clear();
  return report.dump();
}

// ---- the tests -------------------------------------------------------------------------------

std::string profile_path(const std::string& name) { return source_dir() + "/profiles/" + name + ".yaml"; }

class Faults : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    ASSERT_TRUE(host_probe().ok) << host_probe().error;
  }

  // Runs SWEEP for the profile in a fresh sandbox, under a fresh cgroup parent made in every
  // hierarchy the profile (and the OTHERS applied before it) use.
  json run(Sweep sweep, const std::vector<std::string>& others = {}) {
    std::set<std::string> controllers;
    std::vector<std::string> paths = {profile_path(GetParam())};
    for (const auto& o : others) paths.push_back(profile_path(o));
    for (const auto& path : paths) {
      auto c = compile_for_host(path, "nsplan-t-probe");
      if (!c->ok()) {
        ADD_FAILURE() << "this host cannot take " << path << ":\n" << diagnostics_text(*c);
        return json{};
      }
      for (const auto& ctl : controllers_of(*c->plan)) controllers.insert(ctl);
    }
    CgroupParent parent({controllers.begin(), controllers.end()});
    if (!parent.ok()) {
      ADD_FAILURE() << "cannot make the test's cgroup parent: " << parent.error();
      return json{};
    }
    SweepSpec spec;
    spec.path = paths.front();
    spec.others.assign(paths.begin() + 1, paths.end());
    spec.parent = parent.name();
    spec.parent_dirs = parent.dirs();
    spec.sweep = sweep;
    std::string text = run_in_new_sandbox([&] { return run_sweep(spec); }, 180);
    EXPECT_EQ(parent.descendants(), std::vector<std::string>{}) << "cgroups left below the parent";
    if (starts_with(text, "SANDBOX-ERROR")) {
      ADD_FAILURE() << text;
      return json{};
    }
    json r;
    try {
      r = json::parse(text);
    } catch (const std::exception& e) {
      ADD_FAILURE() << e.what() << "\n" << text;
      return json{};
    }
    EXPECT_FALSE(r.contains("error")) << r.dump(2);
    if (r.contains("error")) return json{};
    EXPECT_TRUE(r["clean"]["ok"].get<bool>()) << r["clean"].dump(2);
    EXPECT_EQ(r["clean_pending"], json::array()) << "not applied as the profile says after a clean apply";
    EXPECT_TRUE(r["clean_destroy"]["ok"].get<bool>()) << r["clean_destroy"].dump(2);
    EXPECT_EQ(r["clean_left"], json::array()) << "a clean apply + destroy left residue";
    for (const auto& d : r.value("others_destroyed", json::array()))
      EXPECT_TRUE(d["ok"].get<bool>()) << "destroying a profile applied before: " << d.dump(2);
    if (r.contains("final")) {
      EXPECT_TRUE(r["final"]["ok"].get<bool>()) << r["final"].dump(2);
      EXPECT_TRUE(r["final_destroy"]["ok"].get<bool>()) << r["final_destroy"].dump(2);
      EXPECT_EQ(r["final_left"], json::array()) << "residue after the final apply + destroy";
    }
    return r;
  }

  // Every shipped profile but this one.
  std::vector<std::string> others() const {
    std::vector<std::string> out;
    for (const auto& n : applied_profiles())
      if (n != GetParam()) out.push_back(n);
    return out;
  }

  // The change sweep's assertions: each fault fails the apply at the step's profile line and is
  // rolled back completely.
  void check_change_faults(const json& r) {
    const json& clean = r["clean"];
    const size_t n = clean["mutations"].get<size_t>();
    ASSERT_GT(n, 0u);
    ASSERT_EQ(n, clean["changes"].size()) << "one kernel change per step\n" << calls_of(clean);
    for (const json& f : r["runs"]) {
      const size_t k = f["k"].get<size_t>();
      const json& step = clean["changes"][k - 1];
      SCOPED_TRACE("failing kernel change " + std::to_string(k) + " of " + std::to_string(n) + ": " +
                   step["text"].get<std::string>() + " (" + step["where"].get<std::string>() + ")");
      EXPECT_FALSE(f["ok"].get<bool>());
      const std::string error = f["error"].get<std::string>();
      const std::string where = step["where"].get<std::string>() + ": error: ";
      EXPECT_EQ(error.substr(0, where.size()), where) << "the error does not name the step's profile line";
      EXPECT_NE(error.find("injected fault"), std::string::npos) << error;
      EXPECT_NE(error.find(std::strerror(EIO)), std::string::npos) << error;
      EXPECT_FALSE(f["injected"].get<std::string>().empty()) << "the fault was never reached";
      EXPECT_EQ(f["changes"].size(), k - 1) << "changes reported undone";
      EXPECT_EQ(f["rollback_errors"], json::array()) << calls_of(f);
      EXPECT_EQ(f["left"], json::array()) << "residue on the live system after the rollback:\n" << calls_of(f);
      // The same k-1 changes as the clean run, then the failure, then only undos.
      ASSERT_GE(f["calls"].size(), k);
      for (size_t i = 0; i + 1 < k; ++i) EXPECT_EQ(f["calls"][i], clean["calls"][i]);
    }
    EXPECT_EQ(r["runs"].size(), n) << "the sweep stopped at the first residue";
  }

  static std::string calls_of(const json& r) {
    std::string s;
    for (const auto& c : r.value("calls", json::array())) s += "    " + c.get<std::string>() + "\n";
    return s;
  }
  static void report(const std::string& what) { std::printf("[   FAULTS ] %s\n", what.c_str()); }
};

TEST_P(Faults, EveryKernelChangeFailingIsRolledBackWithoutResidue) {
  json r = run(Sweep::Changes);
  ASSERT_TRUE(r.is_object() && r.contains("runs"));
  check_change_faults(r);
  report(GetParam() + ": " + std::to_string(r["steps"].get<size_t>()) + " plan steps, " +
         std::to_string(r["runs"].size()) + " kernel changes failed in turn: " + (HasFailure() ? "FAILED" : "no residue"));
}

// The same with every other shipped profile applied first (build-jail and isolated-shell share
// the cgroup "nsplan" below the parent): the rollback takes back only what this apply made.
TEST_P(Faults, EveryKernelChangeFailingOnALivedInHostLeavesTheOthersAlone) {
  json r = run(Sweep::Changes, others());
  ASSERT_TRUE(r.is_object() && r.contains("runs"));
  check_change_faults(r);
  report(GetParam() + " (after " + r["others"].dump() + "): " + std::to_string(r["runs"].size()) +
         " kernel changes failed in turn: " + (HasFailure() ? "FAILED" : "no residue"));
}

// A failing read (an observation before a change, or the dump of a namespace's links): the apply
// may fail (naming a profile line) or go on, but it leaves nothing after its rollback or destroy.
TEST_P(Faults, EveryFailingReadLeavesNothingAfterRollbackOrDestroy) {
  json r = run(Sweep::Reads);
  ASSERT_TRUE(r.is_object() && r.contains("runs"));
  const size_t reads = r["clean"]["reads"].get<size_t>();
  size_t failed = 0;
  for (const json& f : r["runs"]) {
    SCOPED_TRACE("failing read " + std::to_string(f["k"].get<size_t>()) + " of " + std::to_string(reads) + ": " +
                 f["injected"].get<std::string>());
    if (f["ok"].get<bool>()) {
      EXPECT_TRUE(f["destroy"]["ok"].get<bool>()) << f["destroy"].dump(2);
    } else {
      ++failed;
      EXPECT_EQ(f["rollback_errors"], json::array()) << f.dump(2);
      EXPECT_TRUE(std::regex_search(f["error"].get<std::string>(), std::regex(R"(\.yaml:\d+:\d+: error: )"))) << f["error"];
    }
    EXPECT_EQ(f["left"], json::array()) << "residue:\n" << f.dump(2);
  }
  EXPECT_EQ(r["runs"].size(), reads) << "the sweep stopped at the first residue";
  report(GetParam() + ": " + std::to_string(r["runs"].size()) + " reads failed in turn (" + std::to_string(failed) +
         " made the apply fail): " + (HasFailure() ? "FAILED" : "no residue"));
}

// A failing read during a re-apply of an applied profile: whatever the apply concludes, the
// profile stays applied exactly as before (nothing changed, nothing pending).
TEST_P(Faults, EveryFailingReadOfAReapplyKeepsTheProfileAsApplied) {
  json r = run(Sweep::ReapplyReads);
  ASSERT_TRUE(r.is_object() && r.contains("runs"));
  ASSERT_TRUE(r["reapply"]["ok"].get<bool>()) << r["reapply"].dump(2);
  ASSERT_EQ(r["reapply"]["mutations"], 0) << r["reapply"].dump(2);
  const size_t reads = r["reapply"]["reads"].get<size_t>();
  size_t failed = 0;
  for (const json& f : r["runs"]) {
    SCOPED_TRACE("failing read " + std::to_string(f["k"].get<size_t>()) + " of " + std::to_string(reads) +
                 " of a re-apply: " + f["injected"].get<std::string>());
    failed += !f["ok"].get<bool>();
    EXPECT_EQ(f["rollback_errors"], json::array()) << f.dump(2);
    EXPECT_EQ(f["left"], json::array()) << "the applied state changed:\n" << f.dump(2);
    EXPECT_EQ(f["pending"], json::array()) << "no longer applied as the profile says:\n" << f.dump(2);
  }
  EXPECT_EQ(r["runs"].size(), reads) << "the sweep stopped at the first difference";
  report(GetParam() + ": " + std::to_string(r["runs"].size()) + " reads of a re-apply failed in turn (" +
         std::to_string(failed) + " made it fail): " + (HasFailure() ? "FAILED" : "the profile stayed applied"));
}

INSTANTIATE_TEST_SUITE_P(Profiles, Faults, ::testing::ValuesIn(applied_profiles()), profile_param_name);

}  // namespace
}  // namespace nsplan::kernel_test
