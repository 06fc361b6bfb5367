// FakeKernel: an in-memory applier::Kernel for testing the executor's ordering and rollback.
// It simulates cgroup hierarchies (v1 or v2, as HostFacts say), network namespaces with links,
// addresses and routes, persistent namespace files and uts names. It records every call, can
// fail the k-th mutating call (or every call whose text contains a string) with a given errno,
// can "kill" the process at the k-th mutating call (throws FakeCrash, which nothing in the
// applier catches), and offers a snapshot of its whole state comparable with ==.
//
// This is a model good enough to test ordering and rollback, NOT a claim about the kernel. What it
// enforces (each from the kernel it imitates):
//   cgroups: mkdir needs the parent, EEXIST if present; rmdir EBUSY with child cgroups; files
//     appear with default values when a directory is made (v1: the hierarchy's controllers; v2:
//     the controllers enabled in the parent's cgroup.subtree_control); writes to a missing file
//     fail ENOENT; values are read back in the kernel's form (memory limits rounded down to the
//     page, -1 read as 9223372036854771712, cpu.max "Q P", io.weight "default N", io.max per
//     device with every key, cpu lists canonical); v1 memory.limit_in_bytes <= memsw at every
//     write (EINVAL); v1 cpuset.cpus/mems within the parent's; v2 cgroup.subtree_control "+x -y":
//     +x needs x in cgroup.controllers (ENOENT), -x fails EBUSY while a child has x in its own
//     subtree_control, and children gain or lose x's files; v1 devices: devices.list starts as
//     the parent's, "a" to devices.deny empties it and to devices.allow makes it "a *:* rwm",
//     a rule to devices.allow joins a default-deny list (merged by type and numbers), denials of
//     a default-allow cgroup are kept out of sight (as the kernel's devices.list hides them);
//     v2 device programs are a list "ID NAME" per cgroup (the pseudo-file bpf.device).
//   net: "" is the host and always exists; a new namespace holds lo (down, mtu 65536); links have
//     kind/mtu (1500; stacked links inherit their parent's)/master/up/group; a veth makes both
//     ends (the group goes on the requested end only, as with libnl), deleting either deletes
//     both; deleting a link deletes links stacked on it, its addresses and routes, and releases
//     its bridge ports; deleting a namespace deletes its virtual links (with their veth peers
//     elsewhere) and returns physical devices to the host (down, no addresses); a move drops
//     addresses, routes and master and leaves the link down; link_group_delete deletes every link
//     of the group in that namespace (ENODEV if none, EINVAL for group 0); addresses EEXIST /
//     EADDRNOTAVAIL; a route needs its device up (ENETDOWN) and a gateway on a connected subnet of
//     an up link (ENETUNREACH); setting a link down drops its routes; routes() lists the main
//     table only, as LinuxKernel::routes does (main_table_only).
//   ns files and uts: ns_create EEXIST; a new uts namespace has the host's names ("fakehost",
//     "(none)"); set_hostname sets the domain only when it is not empty (as applier::set_hostname).
// Not modelled: processes (cgroup.procs, populated cgroups, v2's no-internal-process rule),
// kernel-made routes and addresses (connected routes, 127.0.0.1 on lo, IPv6 link-local),
// asynchronous namespace teardown, permissions. Identities (inodes, ifindexes) are numbers of the
// fake's own, new whenever nsplan makes an object.
#pragma once
#include <arpa/inet.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <compare>
#include <cstring>
#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "applier/cgroup_values.h"
#include "applier/kernel.h"
#include "applier/undo.h"
#include "compiler/cgroup_files.h"
#include "compiler/device_rules.h"
#include "compiler/host_facts.h"

namespace nsplan::testing {

inline constexpr const char* kDefaultMac = "52:54:00:12:34:56";
struct FakeLink {
  std::string kind;  // "veth", "bridge", ...; "" for lo and physical devices
  uint32_t mtu = 1500;
  std::string master;
  bool up = false;
  uint32_t group = 0;
  std::string peer_netns, peer;      // veth: the other end
  std::string parent_netns, parent;  // macvlan, ipvlan, vlan: the lower device
  std::string mac = kDefaultMac;     // every fake link starts with the same address
  bool operator==(const FakeLink&) const = default;
};

struct FakeRoute {
  std::string to, via, dev;
  uint32_t table = 254;
  uint32_t metric = 0;
  int family = 4;
  auto operator<=>(const FakeRoute&) const = default;
};

struct FakeNetns {
  std::map<std::string, FakeLink> links;
  std::set<std::pair<std::string, std::string>> addresses;  // (dev, cidr)
  std::set<FakeRoute> routes;
  bool operator==(const FakeNetns&) const = default;
};

inline std::string fake_ns_label(const std::string& ns) { return ns.empty() ? "host" : ns; }

// The whole simulated state. Comparable with ==; dump() gives one self-contained line per fact,
// so two dumps can be diffed line by line.
struct FakeState {
  std::map<std::string, std::map<std::string, std::string>> cgroups;  // dir -> file -> value
  std::map<std::string, FakeNetns> netns;                             // "" = the host
  std::map<std::string, plan::NsKind> ns_files;                       // persistent ns files
  std::map<std::string, std::pair<std::string, std::string>> uts;     // ns file -> host, domain
  // The ids of each cgroup's device programs, in the order of its pseudo-file bpf.device (which
  // holds their names): not compared, as the kernel gives a program made again another id.
  std::map<std::string, std::vector<uint32_t>> program_ids;
  // Owners and modes changed from the kernel's (root:root, directories 0755, files 0644), by
  // "DIR/FILE" ("DIR/." for the directory).
  std::map<std::string, applier::FileAccess> access;
  // systemd's units (plan::DelegatedUnit): name -> cgroup directory.
  std::map<std::string, std::string> units;
  // The uplink's: sysctls of the host's namespace (forwarding off, as in a new one), and the
  // nftables tables, "FAMILY NAME" -> comment (their handles: not compared, like program ids).
  std::map<std::string, std::string> sysctls{{"net.ipv4.ip_forward", "0"}};
  std::map<std::string, std::string> nft_tables;
  std::map<std::string, uint64_t> nft_handles;
  // /etc/netns/NETNS/FILE (net.etc): "NETNS/FILE" -> text; and the NETNS directories there.
  std::map<std::string, std::string> etc_files;
  std::set<std::string> etc_dirs;
  bool operator==(const FakeState& o) const {
    return cgroups == o.cgroups && netns == o.netns && ns_files == o.ns_files && uts == o.uts && access == o.access && units == o.units &&
           sysctls == o.sysctls && nft_tables == o.nft_tables && etc_files == o.etc_files && etc_dirs == o.etc_dirs;
  }

  std::vector<std::string> lines() const {
    std::vector<std::string> out;
    auto esc = [](std::string v) {
      for (size_t p = 0; (p = v.find('\n', p)) != std::string::npos; p += 2) v.replace(p, 1, "\\n");
      return v;
    };
    for (const auto& [dir, files] : cgroups) {
      out.push_back("cgroup " + dir);
      for (const auto& [f, v] : files) out.push_back("cgroup " + dir + " " + f + " = '" + esc(v) + "'");
    }
    for (const auto& [ns, sp] : netns) {
      std::string n = fake_ns_label(ns);
      out.push_back("netns " + n);
      for (const auto& [name, l] : sp.links) {
        std::string s = "link " + n + ":" + name + " kind=" + l.kind + " mtu=" + std::to_string(l.mtu) +
                        (l.up ? " up" : " down") + " master=" + l.master + " group=" + std::to_string(l.group);
        if (l.mac != kDefaultMac) s += " mac=" + l.mac;
        if (!l.peer.empty()) s += " peer=" + fake_ns_label(l.peer_netns) + ":" + l.peer;
        if (!l.parent.empty()) s += " parent=" + fake_ns_label(l.parent_netns) + ":" + l.parent;
        out.push_back(s);
      }
      for (const auto& [dev, cidr] : sp.addresses) out.push_back("address " + n + ":" + dev + " " + cidr);
      for (const auto& r : sp.routes)
        out.push_back("route " + n + ": " + r.to + " via " + r.via + " dev " + r.dev + " table " + std::to_string(r.table) +
                      " metric " + std::to_string(r.metric) + " family " + std::to_string(r.family));
    }
    for (const auto& [path, kind] : ns_files) out.push_back(std::string("ns ") + path + " " + plan::to_string(kind));
    for (const auto& [path, names] : uts) out.push_back("uts " + path + " " + names.first + " " + names.second);
    for (const auto& [path, a] : access) out.push_back("access " + path + " " + applier::access_text(a));
    for (const auto& [unit, dir] : units) out.push_back("unit " + unit + " " + dir);
    for (const auto& [key, value] : sysctls) out.push_back("sysctl " + key + " = " + value);
    for (const auto& [table, comment] : nft_tables) out.push_back("nft table " + table + " '" + comment + "'");
    for (const auto& dir : etc_dirs) out.push_back("etc dir /etc/netns/" + dir);
    for (const auto& [file, text] : etc_files) out.push_back("etc /etc/netns/" + file + " = '" + esc(text) + "'");
    return out;
  }
  std::string dump() const {
    std::string s;
    for (const auto& l : lines()) s += l + "\n";
    return s;
  }
};

// Lines only in A ("- ...") and only in B ("+ ..."): a readable difference of two states.
inline std::string fake_state_diff(const FakeState& a, const FakeState& b) {
  auto la = a.lines(), lb = b.lines();
  std::set<std::string> sa(la.begin(), la.end()), sb(lb.begin(), lb.end());
  std::string out;
  for (const auto& l : la)
    if (!sb.count(l)) out += "- " + l + "\n";
  for (const auto& l : lb)
    if (!sa.count(l)) out += "+ " + l + "\n";
  return out.empty() ? "(no difference)\n" : out;
}

// One call the applier made.
struct FakeCall {
  std::string op;      // see the table in FakeKernel
  std::string ns;      // network namespace of link/address/route calls ("" = host)
  std::string target;  // dir, dir/file, netns name, ns path, link name, "TO table T", group
  std::string arg;     // write: the value as written; address: the cidr; route: the spec's dev;
                       // link_add: the kind; ns_add: the kind
  std::string before, after;  // the attribute before and after (write, mtu, master, updown,
                              // sethostname, link_move: namespaces)
  uint32_t group = 0;         // link_add
  std::string peer;           // link_add of a veth: "netns/name" of the other end
  bool mutating = false;
  int err = 0;       // errno answered (0: success)
  std::string text;  // readable: "mkdir /sys/fs/cgroup/x"

  static bool valued(const std::string& op) {
    return op == "write" || op == "mtu" || op == "mac" || op == "master" || op == "updown" || op == "sethostname" || op == "link_move";
  }
  // The canonical form of a call, shared with expectations: "rmdir /sys/fs/cgroup/x",
  // "write /sys/fs/cgroup/x/memory.max => max", "link_del host:veth0", "addr_del lab-a:eth0 10.0.0.2/24".
  static std::string render(const std::string& op, const std::string& ns, const std::string& target, const std::string& arg,
                            const std::optional<std::string>& value) {
    static const std::set<std::string> global = {"mkdir",   "rmdir",  "write",      "netns_add", "netns_del",
                                                 "ns_add",  "ns_del", "sethostname", "exists",   "read",
                                                 "netns_exists", "ns_exists", "hostname"};
    std::string s = op + " " + (global.count(op) ? target : fake_ns_label(ns) + ":" + target);
    if (op == "addr_add" || op == "addr_del") s += " " + arg;
    if (value) s += " => " + (op == "link_move" ? fake_ns_label(*value) : *value);
    return s;
  }
  std::string signature() const {
    return render(op, ns, target, arg, valued(op) ? std::optional<std::string>(after) : std::nullopt);
  }
};

// Thrown by a FakeKernel told to "kill" the apply: the applier does not catch it, so the
// journal and the simulated kernel are left exactly as at that moment.
struct FakeCrash : std::runtime_error {
  using std::runtime_error::runtime_error;
};

// Calls and their ops (mutating ones marked *):
//   cgroup_exists exists, cgroup_read read, cgroup_mkdir mkdir*, cgroup_rmdir rmdir*,
//   cgroup_write write*, netns_exists netns_exists, netns_create netns_add*, netns_delete
//   netns_del*, ns_exists ns_exists, ns_create ns_add*, ns_delete ns_del*, hostname hostname,
//   set_hostname sethostname*, link_create link_add*, link_delete link_del*, link_group_delete
//   group_del*, link_move link_move*, link_rename link_rename*, link_mtu mtu*, link_mac mac*, link_master master*, link_up updown*,
//   address_add addr_add*, address_del addr_del*, route_add route_add*, route_del route_del*,
//   links links, link link, link_by_ifindex link_by_ifindex, addresses addrs, routes routes,
//   settle_links settle.
class FakeKernel final : public applier::Kernel {
 public:
  static constexpr const char* kV1NoLimit = "9223372036854771712";
  static constexpr const char* kHostname = "fakehost";

  explicit FakeKernel(const HostFacts& facts = HostFacts::stated(CgroupMode::V2)) : facts_(facts) {
    v2_ = facts.mode == CgroupMode::V2;
    if (v2_) {
      std::set<std::string> cs;
      for (const auto& c : kernel_order())
        if (facts.controllers.empty() || facts.controllers.count(c)) cs.insert(c);
      hierarchies_.push_back({facts.cgroup_root, cs});
    } else {
      std::map<std::string, std::set<std::string>> by_mount;
      for (const auto& [c, mount] : facts.v1_mounts) by_mount[mount].insert(c);
      for (const auto& [mount, cs] : by_mount) hierarchies_.push_back({mount, cs});
    }
    for (const auto& h : hierarchies_) s_.cgroups[h.mount] = root_files(h);
    FakeNetns host;
    host.links["lo"] = FakeLink{"", 65536, "", true, 0, "", "", "", ""};
    host.links["eth0"] = FakeLink{"", 1500, "", true, 0, "", "", "", ""};
    host.links["eth1"] = FakeLink{"", 1500, "", true, 0, "", "", "", ""};
    host.links["eth2"] = FakeLink{"", 1500, "", false, 0, "", "", "", ""};
    host.links["br-host"] = FakeLink{"bridge", 1500, "", true, 0, "", "", "", ""};  // the host's own bridge
    host.links["bond0"] = FakeLink{"bond", 1500, "", true, 0, "", "", "", ""};      // takes ports, but is no bridge
    host.addresses.insert({"lo", "127.0.0.1/8"});
    host.addresses.insert({"eth0", "192.168.1.10/24"});
    host.routes.insert(FakeRoute{"default", "192.168.1.1", "eth0", 254, 0, 4});
    s_.netns[""] = host;
  }

  // ---- the simulation ----
  const FakeState& state() const { return s_; }
  FakeState snapshot() const { return s_; }
  void restore(const FakeState& s) { s_ = s; }
  FakeState& mutable_state() { return s_; }  // to set up unusual initial conditions directly

  // ---- the trace ----
  const std::vector<FakeCall>& calls() const { return calls_; }
  std::vector<FakeCall> mutations() const {
    std::vector<FakeCall> out;
    for (const auto& c : calls_)
      if (c.mutating) out.push_back(c);
    return out;
  }
  std::vector<std::string> mutation_signatures() const {
    std::vector<std::string> out;
    for (const auto& c : calls_)
      if (c.mutating) out.push_back(c.signature());
    return out;
  }
  size_t mutation_count() const { return mutations_; }
  // Forgets the trace; mutating calls are numbered from 1 again.
  void clear_calls() {
    calls_.clear();
    mutations_ = 0;
  }
  std::string trace() const {
    std::string s;
    for (const auto& c : calls_)
      s += std::string(c.mutating ? "* " : "  ") + c.text + (c.err ? std::string(" -> ") + std::strerror(c.err) : "") + "\n";
    return s;
  }

  // routes() lists the main table only, as LinuxKernel::routes does today (it calls
  // list_routes with the default RouteFilter). Set to false when that changes.
  bool main_table_only = false;

  // ---- faults ----
  // The K-th mutating call (counted from the last clear_calls, from 1) fails with ERR and
  // changes nothing.
  void fail_mutation(size_t k, int err) { fail_at_[k] = err; }
  // The next TIMES calls (mutating or not) whose text contains TEXT fail with ERR.
  void fail_calls_containing(const std::string& text, int err, int times = 1) { fail_text_.push_back({text, err, times}); }
  // At the K-th mutating call, throw FakeCrash: before the call has any effect, or after it has
  // taken effect (and returned, as far as the kernel is concerned).
  void crash_at_mutation(size_t k, bool before_the_call) { crash_ = Crash{k, before_the_call}; }
  void clear_faults() {
    fail_at_.clear();
    fail_text_.clear();
    crash_.reset();
  }

  // ---- cgroups ----
  applier::SysResult<bool> cgroup_exists(const std::string& dir) override {
    FakeCall c = call("exists", "", dir, "cgroup_exists " + dir);
    return observe<bool>(c, [&]() -> applier::SysResult<bool> {
      if (!hierarchy_of(dir)) return applier::SysError{EINVAL, dir + " is not below a cgroup mount of this host", 0, {}};
      return s_.cgroups.count(dir) > 0;
    });
  }
  applier::Status cgroup_mkdir(const std::string& dir) override {
    return mutate(call("mkdir", "", dir, "mkdir " + dir), [&](FakeCall& c) -> applier::Status {
      const Hierarchy* h = hierarchy_of(dir);
      if (!h) return fail(c, EINVAL);
      if (s_.cgroups.count(dir)) return fail(c, EEXIST);
      if (!s_.cgroups.count(parent_of(dir))) return fail(c, ENOENT);
      s_.cgroups[dir] = child_files(*h, dir);
      renew_id("cgroup " + dir);
      return {};
    });
  }
  applier::Status cgroup_rmdir(const std::string& dir) override {
    return mutate(call("rmdir", "", dir, "rmdir " + dir), [&](FakeCall& c) -> applier::Status {
      const Hierarchy* h = hierarchy_of(dir);
      if (!h) return fail(c, EINVAL);
      if (!s_.cgroups.count(dir)) return fail(c, ENOENT);
      if (dir == h->mount || !children(dir).empty()) return fail(c, EBUSY);
      s_.cgroups.erase(dir);
      for (auto it = s_.access.lower_bound(dir + "/"); it != s_.access.end() && it->first.rfind(dir + "/", 0) == 0;)
        it = s_.access.erase(it);
      return {};
    });
  }
  // ---- systemd (plan::DelegatedUnit): a transient unit is a cgroup systemd makes, in which the
  // controllers it delegates are enabled on the way down; stopping it removes that cgroup and
  // everything below (systemd kills what is in it) ----
  applier::SysResult<applier::UnitState> unit_state(const std::string& unit) override {
    FakeCall c = call("unit", "", unit, "unit_state " + unit);
    return observe<applier::UnitState>(c, [&]() -> applier::SysResult<applier::UnitState> {
      auto it = s_.units.find(unit);
      if (it == s_.units.end()) return applier::SysError{ENOENT, c.text, 0, {}};
      return applier::UnitState{"active", it->second, true, unit_transient_, kFakeUnitPid};
    });
  }
  // Its cgroup is system.slice/UNIT below the mount; its process is kFakeUnitPid, in that cgroup.
  applier::Status unit_start(const std::string& unit, const std::string& slice) override {
    return mutate(call("unit_start", "", unit, "systemd-run " + unit + " in " + slice), [&](FakeCall& c) -> applier::Status {
      const std::string dir = facts_.cgroup_root + "/" + slice + "/" + unit;
      const Hierarchy* h = hierarchy_of(dir);
      if (!h || !v2_) return fail(c, EINVAL);
      if (s_.units.count(unit) || s_.cgroups.count(dir)) return fail(c, EEXIST);
      // Enabled from the root down, as systemd does for a unit with Delegate=yes.
      std::string want;
      for (const char* ctl : {"cpu", "cpuset", "io", "memory", "pids"})
        if (h->controllers.count(ctl)) want += (want.empty() ? "+" : " +") + std::string(ctl);
      for (size_t slash = h->mount.size(); slash != std::string::npos && slash < dir.size(); slash = dir.find('/', slash + 1)) {
        const std::string ancestor = dir.substr(0, slash);
        make_cgroup_now(ancestor);
        if (write_subtree_control(ancestor, want) != 0) return fail(c, EBUSY);
      }
      make_cgroup_now(dir);
      s_.cgroups[dir]["cgroup.procs"] = kFakeUnitPid;
      renew_id("cgroup " + dir);
      s_.units[unit] = dir;
      return {};
    });
  }
  applier::Status unit_stop(const std::string& unit) override {
    return mutate(call("unit_stop", "", unit, "systemctl stop " + unit), [&](FakeCall& c) -> applier::Status {
      auto it = s_.units.find(unit);
      if (it == s_.units.end()) return fail(c, ENOENT);
      const std::string dir = it->second;
      for (auto d = s_.cgroups.lower_bound(dir); d != s_.cgroups.end() && (d->first == dir || d->first.rfind(dir + "/", 0) == 0);)
        d = s_.cgroups.erase(d);
      s_.units.erase(it);
      return {};
    });
  }
  // A unit of that name made from a unit file by someone else (test helper, not recorded).
  void add_unit_now(const std::string& unit, const std::string& dir, bool transient) {
    make_cgroup_now(dir, {"cpu", "cpuset", "io", "memory", "pids"});
    if (!s_.cgroups.count(dir + "/nsplan-keeper")) make_cgroup_now(dir + "/nsplan-keeper");
    s_.cgroups[dir + "/nsplan-keeper"]["cgroup.procs"] = kFakeUnitPid;
    s_.units[unit] = dir;
    unit_transient_ = transient;
  }

  // ---- owners (cgroup.permissions) ----
  applier::SysResult<std::vector<applier::FileAccess>> cgroup_access(const std::string& dir, const std::vector<std::string>& files,
                                                                     const std::vector<std::string>& except) override {
    FakeCall c = call("access", "", dir, "access " + dir);
    return observe<std::vector<applier::FileAccess>>(c, [&]() { return access_of(dir, files, except); });
  }
  applier::Status cgroup_set_access(const std::string& dir, const std::vector<std::string>& files,
                                    const std::vector<std::string>& except, const std::string& user, const std::string& group,
                                    std::optional<uint32_t> mode) override {
    std::string list;
    for (const auto& f : files) list += (list.empty() ? "" : ",") + f;
    FakeCall c0 = call("chown", "", dir + "/" + list, "chown " + user + ":" + group + " " + dir + "/" + list);
    return mutate(c0, [&](FakeCall& c) -> applier::Status {
      auto ids = account_ids(user, group);
      if (!ids.ok()) return fail(c, ids.err());
      auto present = access_of(dir, files, except);
      if (!present.ok()) return fail(c, present.err());
      for (auto f : present.value()) {
        if (ids.value().first >= 0) f.uid = static_cast<uint32_t>(ids.value().first);
        if (ids.value().second >= 0) f.gid = static_cast<uint32_t>(ids.value().second);
        if (mode) f.mode = *mode;
        // Back as the kernel made it: no longer a change (so states compare as the kernel's).
        if (f.uid == 0 && f.gid == 0 && f.mode == (f.file == "." ? 0755u : 0644u)) s_.access.erase(dir + "/" + f.file);
        else s_.access[dir + "/" + f.file] = f;
      }
      return {};
    });
  }
  applier::SysResult<std::pair<int64_t, int64_t>> account_ids(const std::string& user, const std::string& group) override {
    static const std::map<std::string, int64_t> users = {{"root", 0}, {"alice", 1000}, {"bob", 1001}};
    static const std::map<std::string, int64_t> groups = {{"root", 0}, {"users", 100}, {"webmaster", 1100}};
    auto id = [](const std::string& name, const std::map<std::string, int64_t>& known) -> std::optional<int64_t> {
      if (name.empty()) return -1;
      if (std::all_of(name.begin(), name.end(), [](unsigned char ch) { return std::isdigit(ch); })) return std::stoll(name);
      auto it = known.find(name);
      return it == known.end() ? std::nullopt : std::optional<int64_t>(it->second);
    };
    auto u = id(user, users), g = id(group, groups);
    if (!u || !g) return applier::SysError{ENOENT, "no account " + (u ? group : user), 0, {}};
    return std::make_pair(*u, *g);
  }

  applier::SysResult<std::string> cgroup_read(const std::string& dir, const std::string& file) override {
    FakeCall c = call("read", "", dir + "/" + file, "read " + dir + "/" + file);
    return observe<std::string>(c, [&]() -> applier::SysResult<std::string> {
      if (!hierarchy_of(dir)) return applier::SysError{EINVAL, c.text, 0, {}};
      auto d = s_.cgroups.find(dir);
      if (d == s_.cgroups.end()) return applier::SysError{ENOENT, c.text, 0, {}};
      if (file == "cgroup.stat") {
        // Computed, as the kernel does: the live cgroups below this one.
        size_t below = 0;
        for (const auto& [other, files] : s_.cgroups)
          if (other.size() > dir.size() && other.compare(0, dir.size() + 1, dir + "/") == 0) ++below;
        return "nr_descendants " + std::to_string(below) + "\nnr_dying_descendants 0";
      }
      if (file == "cgroup.events" && v2_) return std::string("populated 0\nfrozen 0\n");  // no processes here
      auto f = d->second.find(file);
      if (f == d->second.end()) return applier::SysError{ENOENT, c.text, 0, {}};
      return f->second;
    });
  }
  applier::Status cgroup_write(const std::string& dir, const std::string& file, const std::string& value) override {
    FakeCall c0 = call("write", "", dir + "/" + file, "write " + dir + "/" + file + " '" + value + "'");
    c0.arg = value;
    return mutate(c0, [&](FakeCall& c) -> applier::Status {
      const Hierarchy* h = hierarchy_of(dir);
      if (!h) return fail(c, EINVAL);
      auto d = s_.cgroups.find(dir);
      if (d == s_.cgroups.end() || !d->second.count(file)) return fail(c, ENOENT);
      std::string v = value;
      if (!v.empty() && v.back() == '\n') v.pop_back();
      c.before = d->second[file];
      if (file == "cgroup.subtree_control") {
        if (int e = write_subtree_control(dir, v)) return fail(c, e);
      } else if (!v2_ && (file == "devices.allow" || file == "devices.deny")) {
        if (int e = write_devices(d->second, file == "devices.allow", v)) return fail(c, e);
        c.before = "";
      } else if (file == "cgroup.procs" && v == kFakeUnitPid) {
        // The one process modelled: a systemd unit's, moved from cgroup to cgroup.
        for (auto& [other, files] : s_.cgroups)
          if (files.count("cgroup.procs") && files["cgroup.procs"] == v) files["cgroup.procs"] = "";
        d->second[file] = v;
      } else {
        if (file == "cgroup.controllers" || file == "cgroup.procs" || file == "tasks") return fail(c, EINVAL);
        auto n = normalize(file, v, c.before);
        if (!n) return fail(c, EINVAL);
        if (int e = check_invariants(*h, dir, file, *n)) return fail(c, e);
        d->second[file] = *n;
      }
      c.after = s_.cgroups[dir][file];
      return {};
    });
  }

  // ---- namespaces ----
  // ---- /etc/netns (net.etc): netns_etc_read etc_read, netns_etc_create etc_add*, netns_etc_id
  // etc_id, netns_etc_remove etc_del* ----
  applier::SysResult<std::optional<std::string>> netns_etc_read(const std::string& netns, const std::string& file) override {
    FakeCall c = call("etc_read", netns, file, "cat /etc/netns/" + netns + "/" + file);
    return observe<std::optional<std::string>>(c, [&]() -> applier::SysResult<std::optional<std::string>> {
      auto it = s_.etc_files.find(netns + "/" + file);
      if (it == s_.etc_files.end()) return std::optional<std::string>();
      return std::optional<std::string>(it->second);
    });
  }
  applier::Status netns_etc_create(const std::string& netns, const std::string& file, const std::string& text) override {
    return mutate(call("etc_add", netns, file, "create /etc/netns/" + netns + "/" + file), [&](FakeCall& c) -> applier::Status {
      if (s_.etc_files.count(netns + "/" + file)) return fail(c, EEXIST);
      s_.etc_dirs.insert(netns);
      s_.etc_files[netns + "/" + file] = text;
      return {};
    });
  }
  // FILE "": the directory /etc/netns/NETNS.
  applier::SysResult<applier::KernelId> netns_etc_id(const std::string& netns, const std::string& file) override {
    FakeCall c = call("etc_id", netns, file, "stat /etc/netns/" + netns + "/" + file);
    return observe<applier::KernelId>(c, [&]() -> applier::SysResult<applier::KernelId> {
      if (file.empty() ? !s_.etc_dirs.count(netns) : !s_.etc_files.count(netns + "/" + file)) return applier::SysError{ENOENT, c.text, 0, {}};
      return applier::KernelId{3, object_id("etc " + netns + "/" + file)};
    });
  }
  applier::Status netns_etc_remove(const std::string& netns, const std::string& file, bool dir_too) override {
    return mutate(call("etc_del", netns, file, "rm /etc/netns/" + netns + "/" + file), [&](FakeCall& c) -> applier::Status {
      if (!s_.etc_files.erase(netns + "/" + file)) return fail(c, ENOENT);
      const std::string prefix = netns + "/";
      auto next = s_.etc_files.lower_bound(prefix);
      const bool empty = next == s_.etc_files.end() || next->first.compare(0, prefix.size(), prefix) != 0;
      if (dir_too && empty) s_.etc_dirs.erase(netns);
      return {};
    });
  }

  // ---- the uplink: sysctl_read sysctl, sysctl_write sysctl_set*, nft_table nft_table, nft_load
  // nft_load*, nft_delete_table nft_del* ----
  applier::SysResult<std::string> sysctl_read(const std::string& key) override {
    FakeCall c = call("sysctl", "", key, "sysctl " + key);
    return observe<std::string>(c, [&]() -> applier::SysResult<std::string> {
      auto it = s_.sysctls.find(key);
      if (it == s_.sysctls.end()) return applier::SysError{ENOENT, c.text, 0, {}};
      return it->second;
    });
  }
  applier::Status sysctl_write(const std::string& key, const std::string& value) override {
    return mutate(call("sysctl_set", "", key, "sysctl " + key + "=" + value), [&](FakeCall& c) -> applier::Status {
      if (!s_.sysctls.count(key)) return fail(c, ENOENT);
      s_.sysctls[key] = value;
      return {};
    });
  }
  applier::SysResult<applier::NftTableInfo> nft_table(const std::string& family, const std::string& name) override {
    FakeCall c = call("nft_table", "", family + " " + name, "nft list table " + family + " " + name);
    return observe<applier::NftTableInfo>(c, [&]() -> applier::SysResult<applier::NftTableInfo> {
      auto it = s_.nft_tables.find(family + " " + name);
      if (it == s_.nft_tables.end()) return applier::SysError{ENOENT, c.text, 0, {}};
      return applier::NftTableInfo{s_.nft_handles[it->first], 1, it->second};
    });
  }
  // The comment is the ruleset's: `comment "TEXT"` on its first line.
  applier::Status nft_load(const std::string& family, const std::string& name, const std::string& ruleset) override {
    return mutate(call("nft_load", "", family + " " + name, "nft -f - (table " + family + " " + name + ")"), [&](FakeCall& c) -> applier::Status {
      const std::string table = family + " " + name;
      if (s_.nft_tables.count(table)) return fail(c, EEXIST);
      const size_t at = ruleset.find("comment \""), end = at == std::string::npos ? at : ruleset.find('"', at + 9);
      s_.nft_tables[table] = end == std::string::npos ? "" : ruleset.substr(at + 9, end - at - 9);
      s_.nft_handles[table] = ++last_id_;
      return {};
    });
  }
  applier::Status nft_delete_table(const std::string& family, const std::string& name, uint64_t handle) override {
    return mutate(call("nft_del", "", family + " " + name, "nft delete table " + family + " " + name), [&](FakeCall& c) -> applier::Status {
      const std::string table = family + " " + name;
      if (!s_.nft_tables.count(table)) return fail(c, ENOENT);
      if (handle && s_.nft_handles[table] != handle) return fail(c, ENOENT);  // by handle: that table is gone
      s_.nft_tables.erase(table);
      s_.nft_handles.erase(table);
      return {};
    });
  }

  applier::SysResult<bool> netns_exists(const std::string& name) override {
    FakeCall c = call("netns_exists", "", name, "netns_exists " + name);
    return observe<bool>(c, [&]() -> applier::SysResult<bool> { return s_.netns.count(name) > 0; });
  }
  applier::Status netns_create(const std::string& name) override {
    return mutate(call("netns_add", "", name, "netns add " + name), [&](FakeCall& c) -> applier::Status {
      if (name.empty() || name.find('/') != std::string::npos) return fail(c, EINVAL);
      if (s_.netns.count(name)) return fail(c, EEXIST);
      FakeNetns n;
      n.links["lo"] = FakeLink{"", 65536, "", false, 0, "", "", "", ""};
      s_.netns[name] = n;
      renew_id("netns " + name);
      return {};
    });
  }
  applier::Status netns_delete(const std::string& name) override {
    return mutate(call("netns_del", "", name, "netns del " + name), [&](FakeCall& c) -> applier::Status {
      if (name.empty()) return fail(c, EINVAL);
      if (!s_.netns.count(name)) return fail(c, ENOENT);
      std::vector<std::string> names;
      for (const auto& [n, l] : s_.netns[name].links) names.push_back(n);
      for (const auto& n : names) {
        auto sp = s_.netns.find(name);
        if (sp == s_.netns.end()) break;
        auto it = sp->second.links.find(n);
        if (it == sp->second.links.end()) continue;  // went with an earlier one
        if (it->second.kind.empty() && n != "lo") {
          // A physical device goes back to the host namespace; as devN when the host has its name.
          std::string back = n;
          for (int i = 0; space("")->links.count(back); ++i) back = "dev" + std::to_string(i);
          move_link_state(name, n, "", back);
        } else {
          remove_link(name, n);
        }
      }
      s_.netns.erase(name);
      return {};
    });
  }
  applier::SysResult<bool> ns_exists(const std::string& path) override {
    FakeCall c = call("ns_exists", "", path, "ns_exists " + path);
    return observe<bool>(c, [&]() -> applier::SysResult<bool> { return s_.ns_files.count(path) > 0; });
  }
  applier::Status ns_create(plan::NsKind kind, const std::string& path) override {
    FakeCall c0 = call("ns_add", "", path, std::string("ns add ") + plan::to_string(kind) + " " + path);
    c0.arg = plan::to_string(kind);
    return mutate(c0, [&](FakeCall& c) -> applier::Status {
      if (path.empty() || path[0] != '/') return fail(c, EINVAL);
      if (s_.ns_files.count(path)) return fail(c, EEXIST);
      s_.ns_files[path] = kind;
      renew_id("ns " + path);
      if (kind == plan::NsKind::Uts) s_.uts[path] = {kHostname, "(none)"};
      return {};
    });
  }
  applier::Status ns_delete(const std::string& path) override {
    return mutate(call("ns_del", "", path, "ns del " + path), [&](FakeCall& c) -> applier::Status {
      if (!s_.ns_files.count(path)) return fail(c, ENOENT);
      s_.ns_files.erase(path);
      s_.uts.erase(path);
      return {};
    });
  }
  applier::SysResult<std::pair<std::string, std::string>> hostname(const std::string& ns_path) override {
    FakeCall c = call("hostname", "", ns_path, "hostname " + ns_path);
    return observe<std::pair<std::string, std::string>>(c, [&]() -> applier::SysResult<std::pair<std::string, std::string>> {
      if (!s_.ns_files.count(ns_path)) return applier::SysError{ENOENT, c.text, 0, {}};
      auto it = s_.uts.find(ns_path);
      if (it == s_.uts.end()) return applier::SysError{EINVAL, c.text, 0, {}};
      return it->second;
    });
  }
  applier::Status set_hostname(const std::string& ns_path, const std::string& host, const std::string& domain) override {
    return mutate(call("sethostname", "", ns_path, "sethostname " + ns_path + " '" + host + "' '" + domain + "'"),
                  [&](FakeCall& c) -> applier::Status {
                    if (!s_.ns_files.count(ns_path)) return fail(c, ENOENT);
                    auto it = s_.uts.find(ns_path);
                    if (it == s_.uts.end()) return fail(c, EINVAL);
                    if (host.size() > 64 || domain.size() > 64) return fail(c, EINVAL);
                    c.before = it->second.first + " " + it->second.second;
                    it->second.first = host;
                    if (!domain.empty()) it->second.second = domain;
                    c.after = it->second.first + " " + it->second.second;
                    return {};
                  });
  }

  // ---- links ----
  applier::Status link_create(const plan::CreateLink& l) override {
    std::string kind = plan::to_string(l.kind);
    std::string text = "link add " + kind + " " + l.name + in(l.netns);
    if (!l.peer_name.empty()) text += " peer " + l.peer_name + in(l.peer_netns);
    if (!l.parent.empty()) text += " on " + l.parent + in(l.parent_netns);
    if (l.group) text += " group " + std::to_string(l.group);
    FakeCall c0 = call("link_add", l.netns, l.name, text);
    c0.arg = kind;
    c0.group = l.group;
    if (!l.peer_name.empty()) c0.peer = l.peer_netns + "/" + l.peer_name;
    return mutate(c0, [&](FakeCall& c) -> applier::Status {
      if (!valid_ifname(l.name)) return fail(c, EINVAL);
      FakeNetns* sp = space(l.netns);
      if (!sp) return fail(c, ENOENT);
      if (sp->links.count(l.name)) return fail(c, EEXIST);
      FakeLink nl;
      nl.kind = kind;
      nl.group = l.group;
      switch (l.kind) {
        case plan::LinkKind::Veth: {
          if (!valid_ifname(l.peer_name)) return fail(c, EINVAL);
          FakeNetns* pp = space(l.peer_netns);
          if (!pp) return fail(c, ENOENT);
          if (pp->links.count(l.peer_name) || (l.peer_netns == l.netns && l.peer_name == l.name)) return fail(c, EEXIST);
          nl.peer_netns = l.peer_netns;
          nl.peer = l.peer_name;
          FakeLink peer;
          peer.kind = kind;
          peer.peer_netns = l.netns;
          peer.peer = l.name;
          pp->links[l.peer_name] = peer;
          renew_id("link " + l.peer_netns + "/" + l.peer_name);
          break;
        }
        case plan::LinkKind::Macvlan:
        case plan::LinkKind::Ipvlan:
        case plan::LinkKind::Vlan: {
          FakeNetns* ps = space(l.parent_netns);
          if (!ps) return fail(c, ENOENT);
          auto p = ps->links.find(l.parent);
          if (p == ps->links.end()) return fail(c, ENODEV);
          if (l.kind == plan::LinkKind::Vlan && (l.vlan_id < 1 || l.vlan_id > 4094)) return fail(c, EINVAL);
          nl.mtu = p->second.mtu;
          nl.parent_netns = l.parent_netns;
          nl.parent = l.parent;
          break;
        }
        case plan::LinkKind::Vxlan: {
          if (l.vxlan.vni < 1 || l.vxlan.vni > 16777215) return fail(c, EINVAL);
          if (l.parent.empty()) break;  // no underlay: the route decides
          FakeNetns* ps = space(l.parent_netns);
          if (!ps) return fail(c, ENOENT);
          if (!ps->links.count(l.parent)) return fail(c, ENODEV);
          break;
        }
        case plan::LinkKind::Bridge:
        case plan::LinkKind::Dummy:
        case plan::LinkKind::Wireguard:
          break;
      }
      space(l.netns)->links[l.name] = nl;
      renew_id("link " + l.netns + "/" + l.name);
      return {};
    });
  }
  applier::Status link_delete(const std::string& netns, const std::string& name) override {
    return mutate(call("link_del", netns, name, "link del " + name + in(netns)), [&](FakeCall& c) -> applier::Status {
      FakeNetns* sp = space(netns);
      if (!sp) return fail(c, ENOENT);
      auto it = sp->links.find(name);
      if (it == sp->links.end()) return fail(c, ENODEV);
      if (it->second.kind.empty()) return fail(c, EOPNOTSUPP);
      remove_link(netns, name);
      return {};
    });
  }
  applier::Status link_group_delete(const std::string& netns, uint32_t group, const std::set<int>& ours) override {
    return mutate(call("group_del", netns, std::to_string(group), "link del group " + std::to_string(group) + in(netns)),
                  [&](FakeCall& c) -> applier::Status {
                    if (group == 0) return fail(c, EINVAL);
                    FakeNetns* sp = space(netns);
                    if (!sp) return fail(c, ENOENT);
                    std::vector<std::string> names;
                    for (const auto& [n, l] : sp->links)
                      if (l.group == group && !l.kind.empty()) names.push_back(n);
                    if (names.empty()) return fail(c, ENODEV);
                    // As LinuxKernel: a link of the group that is not one of OURS is never deleted.
                    for (const auto& n : names)
                      if (!ours.count(static_cast<int>(object_id("link " + netns + "/" + n)))) return fail(c, EPERM);
                    for (const auto& n : names) remove_link(netns, n);
                    return {};
                  });
  }
  applier::Status link_move(const std::string& from, const std::string& name, const std::string& to, const std::string& new_name) override {
    FakeCall c0 = call("link_move", from, name,
                       "link move " + name + " " + fake_ns_label(from) + " -> " + fake_ns_label(to) + (new_name.empty() ? "" : " as " + new_name));
    c0.before = from;
    c0.after = to;
    return mutate(c0, [&](FakeCall& c) -> applier::Status {
      FakeNetns* sf = space(from);
      FakeNetns* st = space(to);
      if (!sf || !st) return fail(c, ENOENT);
      auto it = sf->links.find(name);
      if (it == sf->links.end()) return fail(c, ENODEV);
      if (name == "lo" || it->second.kind == "bridge") return fail(c, EINVAL);
      // As the kernel: the move uses NEW_NAME only when NAME is taken there, then renames; a
      // rename refused after the move leaves the device moved under NAME.
      const std::string& last = new_name.empty() ? name : new_name;
      if (st->links.count(name) && (new_name.empty() || st->links.count(new_name))) return fail(c, EEXIST);
      const std::string arrives = st->links.count(name) ? new_name : name;
      move_link_state(from, name, to, arrives);
      if (arrives != last) {
        if (st->links.count(last)) return fail(c, EEXIST);
        rename_link_state(to, arrives, last);
      }
      return {};
    });
  }
  applier::Status link_rename(const std::string& netns, const std::string& name, const std::string& new_name) override {
    return mutate(call("link_rename", netns, name, "link rename " + name + in(netns) + " " + new_name), [&](FakeCall& c) -> applier::Status {
      FakeNetns* sp = space(netns);
      if (!sp) return fail(c, ENOENT);
      auto it = sp->links.find(name);
      if (it == sp->links.end()) return fail(c, ENODEV);
      if (it->second.up) return fail(c, EBUSY);
      if (sp->links.count(new_name)) return fail(c, EEXIST);
      rename_link_state(netns, name, new_name);
      return {};
    });
  }
  applier::Status link_mtu(const std::string& netns, const std::string& dev, uint32_t mtu) override {
    return mutate(call("mtu", netns, dev, "link " + dev + in(netns) + " mtu " + std::to_string(mtu)), [&](FakeCall& c) -> applier::Status {
      FakeLink* l = fake_link(netns, dev);
      if (!space(netns)) return fail(c, ENOENT);
      if (!l) return fail(c, ENODEV);
      if (mtu < 68 || mtu > 65535) return fail(c, EINVAL);
      c.before = std::to_string(l->mtu);
      l->mtu = mtu;
      c.after = std::to_string(mtu);
      return {};
    });
  }
  applier::Status link_mac(const std::string& netns, const std::string& dev, const std::string& mac) override {
    return mutate(call("mac", netns, dev, "link " + dev + in(netns) + " address " + mac), [&](FakeCall& c) -> applier::Status {
      FakeLink* l = fake_link(netns, dev);
      if (!space(netns)) return fail(c, ENOENT);
      if (!l) return fail(c, ENODEV);
      if (l->kind == "ipvlan") return fail(c, EOPNOTSUPP);  // as the kernel: no ndo_set_mac_address
      c.before = l->mac;
      l->mac = mac;
      c.after = mac;
      return {};
    });
  }
  applier::Status link_master(const std::string& netns, const std::string& dev, const std::string& master) override {
    return mutate(call("master", netns, dev, "link " + dev + in(netns) + (master.empty() ? " nomaster" : " master " + master)),
                  [&](FakeCall& c) -> applier::Status {
                    if (!space(netns)) return fail(c, ENOENT);
                    FakeLink* l = fake_link(netns, dev);
                    if (!l) return fail(c, ENODEV);
                    if (!master.empty()) {
                      FakeLink* m = fake_link(netns, master);
                      if (!m) return fail(c, ENODEV);
                      if (m->kind != "bridge" || master == dev) return fail(c, EOPNOTSUPP);
                    }
                    c.before = l->master;
                    l->master = master;
                    c.after = master;
                    return {};
                  });
  }
  applier::Status link_up(const std::string& netns, const std::string& dev, bool up) override {
    return mutate(call("updown", netns, dev, "link " + dev + in(netns) + (up ? " up" : " down")), [&](FakeCall& c) -> applier::Status {
      FakeNetns* sp = space(netns);
      if (!sp) return fail(c, ENOENT);
      FakeLink* l = fake_link(netns, dev);
      if (!l) return fail(c, ENODEV);
      c.before = l->up ? "up" : "down";
      l->up = up;
      if (!up) drop_routes(*sp, dev);
      c.after = up ? "up" : "down";
      return {};
    });
  }
  applier::Status address_add(const std::string& netns, const std::string& dev, const std::string& cidr, bool /*nodad*/) override {
    FakeCall c0 = call("addr_add", netns, dev, "addr add " + cidr + " dev " + dev + in(netns));
    c0.arg = cidr;
    return mutate(c0, [&](FakeCall& c) -> applier::Status {
      FakeNetns* sp = space(netns);
      if (!sp) return fail(c, ENOENT);
      if (!sp->links.count(dev)) return fail(c, ENODEV);
      if (!parse_cidr(cidr)) return fail(c, EINVAL);
      if (sp->addresses.count({dev, cidr})) return fail(c, EEXIST);
      sp->addresses.insert({dev, cidr});
      return {};
    });
  }
  applier::Status address_del(const std::string& netns, const std::string& dev, const std::string& cidr) override {
    FakeCall c0 = call("addr_del", netns, dev, "addr del " + cidr + " dev " + dev + in(netns));
    c0.arg = cidr;
    return mutate(c0, [&](FakeCall& c) -> applier::Status {
      FakeNetns* sp = space(netns);
      if (!sp) return fail(c, ENOENT);
      if (!sp->links.count(dev)) return fail(c, ENODEV);
      if (!sp->addresses.erase({dev, cidr})) return fail(c, EADDRNOTAVAIL);
      return {};
    });
  }
  applier::Status route_add(const applier::RouteSpec& r) override {
    FakeCall c0 = call("route_add", r.netns, route_target(r), "route add " + route_text(r));
    c0.arg = r.dev;
    return mutate(c0, [&](FakeCall& c) -> applier::Status {
      FakeNetns* sp = space(r.netns);
      if (!sp) return fail(c, ENOENT);
      int family = route_family(r);
      if (r.to != "default" && !parse_cidr(r.to)) return fail(c, EINVAL);
      std::string dev = r.dev;
      if (!dev.empty()) {
        auto l = sp->links.find(dev);
        if (l == sp->links.end()) return fail(c, ENODEV);
        if (!l->second.up) return fail(c, ENETDOWN);
      }
      if (!r.via.empty()) {
        auto via = parse_cidr(r.via);
        if (!via) return fail(c, EINVAL);
        std::string found;
        for (const auto& [adev, acidr] : sp->addresses) {
          if (!dev.empty() && adev != dev) continue;
          auto net = parse_cidr(acidr);
          auto l = sp->links.find(adev);
          if (net && l != sp->links.end() && l->second.up && contains(*net, *via)) {
            found = adev;
            break;
          }
        }
        if (found.empty()) return fail(c, ENETUNREACH);
        dev = found;
      } else if (dev.empty()) {
        return fail(c, EINVAL);
      }
      FakeRoute fr{r.to, r.via, dev, r.table.value_or(254), r.metric.value_or(family == 6 ? 1024 : 0), family};
      for (const auto& x : sp->routes)
        if (x.to == fr.to && x.table == fr.table && x.metric == fr.metric && x.family == fr.family) return fail(c, EEXIST);
      sp->routes.insert(fr);
      return {};
    });
  }
  applier::Status route_del(const applier::RouteSpec& r) override {
    FakeCall c0 = call("route_del", r.netns, route_target(r), "route del " + route_text(r));
    c0.arg = r.dev;
    return mutate(c0, [&](FakeCall& c) -> applier::Status {
      FakeNetns* sp = space(r.netns);
      if (!sp) return fail(c, ENOENT);
      int family = route_family(r);
      for (auto it = sp->routes.begin(); it != sp->routes.end(); ++it) {
        if (it->to != r.to || it->table != r.table.value_or(254) || it->family != family) continue;
        if (!r.via.empty() && it->via != r.via) continue;
        if (!r.dev.empty() && it->dev != r.dev) continue;
        if (r.metric && it->metric != *r.metric) continue;
        sp->routes.erase(it);
        return {};
      }
      return fail(c, ESRCH);
    });
  }
  applier::SysResult<std::vector<applier::LinkInfo>> links(const std::string& netns) override {
    FakeCall c = call("links", netns, "", "links" + in(netns));
    return observe<std::vector<applier::LinkInfo>>(c, [&]() -> applier::SysResult<std::vector<applier::LinkInfo>> {
      FakeNetns* sp = space(netns);
      if (!sp) return applier::SysError{ENOENT, c.text, 0, {}};
      std::vector<applier::LinkInfo> out;
      for (const auto& [name, l] : sp->links) {
        out.push_back(link_info(netns, name, l));
      }
      return out;
    });
  }
  // One link, the addresses of one link, the routes through one: as LinuxKernel asks the kernel
  // for them in a namespace the profile does not make (recorded as "link", "addrs of", "routes of").
  applier::SysResult<std::optional<applier::LinkInfo>> link(const std::string& netns, const std::string& name) override {
    FakeCall c = call("link", netns, name, "link " + name + in(netns));
    return observe<std::optional<applier::LinkInfo>>(c, [&]() -> applier::SysResult<std::optional<applier::LinkInfo>> {
      FakeNetns* sp = space(netns);
      if (!sp) return applier::SysError{ENOENT, c.text, 0, {}};
      auto it = sp->links.find(name);
      if (it == sp->links.end()) return std::optional<applier::LinkInfo>();
      return std::optional<applier::LinkInfo>(link_info(netns, name, it->second));
    });
  }
  // Recorded as "settle", the names (comma-separated) as its target.
  void settle_links(const std::string& netns, const std::vector<std::string>& names) override {
    std::string joined;
    for (const auto& n : names) joined += (joined.empty() ? "" : ",") + n;
    calls_.push_back(call("settle", netns, joined, "settle " + joined + in(netns)));
  }
  // Recorded as "link_by_ifindex", the ifindex as its target.
  applier::SysResult<std::optional<applier::LinkInfo>> link_by_ifindex(const std::string& netns, int ifindex) override {
    const std::string index = std::to_string(ifindex);
    FakeCall c = call("link_by_ifindex", netns, index, "link_by_ifindex " + index + in(netns));
    return observe<std::optional<applier::LinkInfo>>(c, [&]() -> applier::SysResult<std::optional<applier::LinkInfo>> {
      FakeNetns* sp = space(netns);
      if (!sp) return applier::SysError{ENOENT, c.text, 0, {}};
      if (ifindex <= 0) return applier::SysError{EINVAL, c.text, 0, {}};  // as NetlinkClient refuses it
      for (const auto& [name, l] : sp->links)
        if (link_info(netns, name, l).ifindex == ifindex) return std::optional<applier::LinkInfo>(link_info(netns, name, l));
      return std::optional<applier::LinkInfo>();  // the kernel's ENODEV
    });
  }
  applier::SysResult<std::vector<applier::AddressInfo>> addresses_of(const std::string& netns, const std::string& dev, int) override {
    FakeCall c = call("addrs_of", netns, dev, "addrs of " + dev + in(netns));
    return observe<std::vector<applier::AddressInfo>>(c, [&]() -> applier::SysResult<std::vector<applier::AddressInfo>> {
      FakeNetns* sp = space(netns);
      if (!sp) return applier::SysError{ENOENT, c.text, 0, {}};
      if (!sp->links.count(dev)) return applier::SysError{ENODEV, c.text, 0, {}};
      std::vector<applier::AddressInfo> out;
      for (const auto& [d, cidr] : sp->addresses)
        if (d == dev) out.push_back(address_info(d, cidr));
      return out;
    });
  }
  applier::SysResult<std::vector<applier::RouteInfo>> routes_of(const std::string& netns, uint32_t table, const std::string& dev, int) override {
    FakeCall c = call("routes_of", netns, dev, "routes of " + (dev.empty() ? "table " + std::to_string(table) : dev) + in(netns));
    return observe<std::vector<applier::RouteInfo>>(c, [&]() -> applier::SysResult<std::vector<applier::RouteInfo>> {
      FakeNetns* sp = space(netns);
      if (!sp) return applier::SysError{ENOENT, c.text, 0, {}};
      if (!dev.empty() && !sp->links.count(dev)) return applier::SysError{ENODEV, c.text, 0, {}};
      std::vector<applier::RouteInfo> out;
      for (const auto& r : sp->routes) {
        if ((table != 0 && r.table != table) || (!dev.empty() && r.dev != dev)) continue;
        out.push_back(route_info(r));
      }
      return out;
    });
  }
  applier::SysResult<std::vector<applier::AddressInfo>> addresses(const std::string& netns) override {
    FakeCall c = call("addrs", netns, "", "addrs" + in(netns));
    return observe<std::vector<applier::AddressInfo>>(c, [&]() -> applier::SysResult<std::vector<applier::AddressInfo>> {
      FakeNetns* sp = space(netns);
      if (!sp) return applier::SysError{ENOENT, c.text, 0, {}};
      std::vector<applier::AddressInfo> out;
      for (const auto& [dev, cidr] : sp->addresses) out.push_back(address_info(dev, cidr));
      return out;
    });
  }
  // What LinuxKernel reports of a link, an address, a route.
  applier::LinkInfo link_info(const std::string& netns, const std::string& name, const FakeLink& l) {
    applier::LinkInfo i;
    i.name = name;
    i.kind = l.kind;
    i.mtu = l.mtu;
    i.mac = l.mac;
    i.master = l.master;
    i.up = l.up;
    i.group = l.group;
    i.ifindex = static_cast<int>(object_id("link " + netns + "/" + name));
    return i;
  }
  static applier::AddressInfo address_info(const std::string& dev, const std::string& cidr) {
    applier::AddressInfo a;
    a.dev = dev;
    a.cidr = cidr;
    a.family = cidr.find(':') != std::string::npos ? 6 : 4;
    return a;
  }
  static applier::RouteInfo route_info(const FakeRoute& r) {
    applier::RouteInfo i;
    i.to = r.to;
    i.via = r.via;
    i.dev = r.dev;
    i.metric = r.metric;
    i.table = r.table;
    i.family = r.family;
    i.protocol = 3;  // RTPROT_BOOT, as `ip route add` makes them
    i.type = 1;      // RTN_UNICAST
    return i;
  }
  // ---- identities: an id per object, new whenever nsplan makes one (renew_id for tests that
  // make one behind nsplan's back); a moved link keeps its ifindex, as in the kernel ----
  applier::SysResult<applier::KernelId> cgroup_id(const std::string& dir) override {
    FakeCall c = call("cgroup_id", "", dir, "cgroup_id " + dir);
    return observe<applier::KernelId>(c, [&]() -> applier::SysResult<applier::KernelId> {
      if (!s_.cgroups.count(dir)) return applier::SysError{ENOENT, c.text, 0, {}};
      return applier::KernelId{1, object_id("cgroup " + dir)};
    });
  }
  applier::SysResult<std::vector<applier::AttachedProgram>> device_programs(const std::string& dir) override {
    FakeCall c = call("device_programs", "", dir, "device_programs " + dir);
    return observe<std::vector<applier::AttachedProgram>>(c, [&]() -> applier::SysResult<std::vector<applier::AttachedProgram>> {
      auto d = s_.cgroups.find(dir);
      if (d == s_.cgroups.end()) return applier::SysError{ENOENT, c.text, 0, {}};
      auto names = d->second.find("bpf.device");
      return programs_of(dir, names == d->second.end() ? std::string() : names->second);
    });
  }
  applier::Status device_program_attach(const std::string& dir, bool default_allow, const std::vector<std::string>& exceptions) override {
    const std::string name = device_rules::program_name(default_allow, exceptions);
    return mutate(call("bpf_attach", "", dir, "bpf_attach " + dir + " " + name), [&](FakeCall& c) -> applier::Status {
      if (!v2_ || !s_.cgroups.count(dir)) return fail(c, v2_ ? ENOENT : EINVAL);
      attach_program(dir, static_cast<uint32_t>(++last_id_), name);
      return {};
    });
  }
  applier::Status device_program_detach(const std::string& dir, uint32_t id) override {
    return mutate(call("bpf_detach", "", dir, "bpf_detach " + dir + " " + std::to_string(id)), [&](FakeCall& c) -> applier::Status {
      auto d = s_.cgroups.find(dir);
      if (d == s_.cgroups.end()) return fail(c, ENOENT);
      auto programs = programs_of(dir, d->second["bpf.device"]);
      auto it = std::find_if(programs.begin(), programs.end(), [&](const applier::AttachedProgram& p) { return p.id == id; });
      if (it == programs.end()) return fail(c, ENOENT);
      programs.erase(it);
      std::string names;
      std::vector<uint32_t> ids;
      for (const auto& p : programs) {
        names += (names.empty() ? "" : "\n") + p.name;
        ids.push_back(p.id);
      }
      d->second["bpf.device"] = names;
      s_.program_ids[dir] = ids;
      return {};
    });
  }
  // A program attached by someone else (a test's setup), with the id the kernel gave it.
  void attach_program(const std::string& dir, uint32_t id, const std::string& name) {
    std::string& names = s_.cgroups.at(dir)["bpf.device"];
    names += (names.empty() ? "" : "\n") + name;
    s_.program_ids[dir].push_back(id);
  }
  applier::SysResult<applier::KernelId> ns_id(const std::string& path) override {
    FakeCall c = call("ns_id", "", path, "ns_id " + path);
    return observe<applier::KernelId>(c, [&]() -> applier::SysResult<applier::KernelId> {
      const std::string run = "/run/netns/";
      if (path.compare(0, run.size(), run) == 0 && s_.netns.count(path.substr(run.size())))
        return applier::KernelId{2, object_id("netns " + path.substr(run.size()))};
      if (s_.ns_files.count(path)) return applier::KernelId{2, object_id("ns " + path)};
      return applier::SysError{ENOENT, c.text, 0, {}};
    });
  }
  applier::SysResult<applier::KernelId> link_id(const std::string& netns, const std::string& name) override {
    FakeCall c = call("link_id", netns, name, "link_id " + name + in(netns));
    return observe<applier::KernelId>(c, [&]() -> applier::SysResult<applier::KernelId> {
      FakeNetns* sp = space(netns);
      if (!sp) return applier::SysError{ENOENT, c.text, 0, {}};
      if (!sp->links.count(name)) return applier::SysError{ENODEV, c.text, 0, {}};
      return applier::KernelId{object_id("netns " + netns), object_id("link " + netns + "/" + name)};
    });
  }
  // A new identity for KEY ("cgroup DIR", "link NS/NAME", "netns NAME", "ns PATH").
  void renew_id(const std::string& key) { ids_[key] = ++last_id_; }

  applier::SysResult<std::vector<applier::RouteInfo>> routes(const std::string& netns) override {
    FakeCall c = call("routes", netns, "", "routes" + in(netns));
    return observe<std::vector<applier::RouteInfo>>(c, [&]() -> applier::SysResult<std::vector<applier::RouteInfo>> {
      FakeNetns* sp = space(netns);
      if (!sp) return applier::SysError{ENOENT, c.text, 0, {}};
      std::vector<applier::RouteInfo> out;
      for (const auto& r : sp->routes) {
        if (main_table_only && r.table != 254) continue;
        out.push_back(route_info(r));
      }
      return out;
    });
  }

  // ---- test helpers acting directly on the state (not recorded) ----
  // Makes DIR and its missing ancestors, enabling in every v2 ancestor the controllers needed.
  void make_cgroup_now(const std::string& dir, const std::set<std::string>& controllers = {}) {
    const Hierarchy* h = hierarchy_of(dir);
    if (!h) throw std::logic_error(dir + " is not below a cgroup mount");
    if (s_.cgroups.count(dir)) return;
    std::string parent = parent_of(dir);
    make_cgroup_now(parent, controllers);
    if (v2_) {
      std::string want;
      for (const auto& c : controllers) want += (want.empty() ? "+" : " +") + c;
      if (!want.empty() && write_subtree_control(parent, want) != 0) throw std::logic_error("cannot enable " + want + " in " + parent);
    }
    s_.cgroups[dir] = child_files(*h, dir);
  }
  void set_file_now(const std::string& dir, const std::string& file, const std::string& value) {
    const Hierarchy* h = hierarchy_of(dir);
    auto d = s_.cgroups.find(dir);
    if (!h || d == s_.cgroups.end() || !d->second.count(file)) throw std::logic_error("no file " + dir + "/" + file);
    if (file == "cgroup.subtree_control") {
      if (write_subtree_control(dir, value) != 0) throw std::logic_error("cannot write " + value + " to " + dir + "/" + file);
      return;
    }
    auto n = normalize(file, value, d->second[file]);
    if (!n || check_invariants(*h, dir, file, *n) != 0) throw std::logic_error("cannot write " + value + " to " + dir + "/" + file);
    d->second[file] = *n;
  }

 private:
  applier::SysResult<std::vector<applier::FileAccess>> access_of(const std::string& dir, const std::vector<std::string>& files,
                                                                 const std::vector<std::string>& except) const {
    auto d = s_.cgroups.find(dir);
    if (d == s_.cgroups.end()) return applier::SysError{ENOENT, dir, 0, {}};
    auto entry = [&](const std::string& f) {
      auto it = s_.access.find(dir + "/" + f);
      return it != s_.access.end() ? it->second : applier::FileAccess{f, 0, 0, f == "." ? 0755u : 0644u};
    };
    std::vector<applier::FileAccess> out;
    for (const auto& f : files) {
      if (f == "*") {
        for (const auto& [name, value] : d->second)
          if (std::find(except.begin(), except.end(), name) == except.end()) out.push_back(entry(name));
      } else if (f == "." || d->second.count(f)) {
        out.push_back(entry(f));
      } else {
        return applier::SysError{ENOENT, dir + "/" + f, 0, {}};
      }
    }
    return out;
  }

  struct Hierarchy {
    std::string mount;
    std::set<std::string> controllers;
  };
  struct TextFault {
    std::string text;
    int err;
    int times;
  };
  struct Crash {
    size_t k;
    bool before;
  };

  static const std::vector<std::string>& kernel_order() {
    static const auto v2 = cgroup_files::controllers(cgroup_files::Hierarchy::V2);
    static const std::vector<std::string> order(v2.begin(), v2.end());
    return order;
  }
  static std::string in(const std::string& ns) { return ns.empty() ? "" : " in " + ns; }
  static std::string parent_of(const std::string& dir) { return dir.substr(0, dir.rfind('/')); }
  static std::vector<std::string> words(const std::string& s) {
    std::istringstream in(s);
    std::vector<std::string> out;
    std::string w;
    while (in >> w) out.push_back(w);
    return out;
  }
  static bool valid_ifname(const std::string& n) {
    return !n.empty() && n.size() <= 15 && n != "." && n != ".." && n.find_first_of("/: \t\n") == std::string::npos;
  }
  static std::optional<unsigned long long> number(const std::string& s) {
    if (s.empty() || s.size() > 20) return std::nullopt;
    unsigned long long v = 0;
    for (char ch : s) {
      if (ch < '0' || ch > '9') return std::nullopt;
      v = v * 10 + static_cast<unsigned>(ch - '0');
    }
    return v;
  }

  FakeCall call(const std::string& op, const std::string& ns, const std::string& target, const std::string& text) const {
    FakeCall c;
    c.op = op;
    c.ns = ns;
    c.target = target;
    c.text = text;
    return c;
  }
  applier::Status fail(FakeCall& c, int err) const { return applier::SysError{err, c.text, 0, {}}; }

  int injected_by_text(const std::string& text) {
    for (auto& f : fail_text_)
      if (f.times != 0 && text.find(f.text) != std::string::npos) {
        if (f.times > 0) --f.times;
        return f.err;
      }
    return 0;
  }

  template <class F>
  applier::Status mutate(FakeCall c, F&& body) {
    c.mutating = true;
    size_t n = ++mutations_;
    if (crash_ && crash_->k == n && crash_->before) {
      crash_.reset();
      c.text += "  [killed before it]";
      c.err = EINTR;
      calls_.push_back(c);
      throw FakeCrash("killed before mutating call " + std::to_string(n) + ": " + c.text);
    }
    applier::Status s;
    int e = 0;
    if (auto it = fail_at_.find(n); it != fail_at_.end()) e = it->second;
    if (!e) e = injected_by_text(c.text);
    if (e) s = applier::SysError{e, c.text, 0, {}};
    else s = body(c);
    c.err = s.err();
    calls_.push_back(c);
    if (crash_ && crash_->k == n) {
      crash_.reset();
      throw FakeCrash("killed after mutating call " + std::to_string(n) + ": " + c.text);
    }
    return s;
  }
  template <class T, class F>
  applier::SysResult<T> observe(FakeCall c, F&& body) {
    int e = injected_by_text(c.text);
    applier::SysResult<T> r = e ? applier::SysResult<T>(applier::SysError{e, c.text, 0, {}}) : body();
    c.err = r.err();
    calls_.push_back(c);
    return r;
  }

  // ---- cgroup model ----
  const Hierarchy* hierarchy_of(const std::string& dir) const {
    const Hierarchy* best = nullptr;
    for (const auto& h : hierarchies_)
      if ((dir == h.mount || dir.rfind(h.mount + "/", 0) == 0) && (!best || h.mount.size() > best->mount.size())) best = &h;
    return best;
  }
  std::vector<std::string> children(const std::string& dir) const {
    std::vector<std::string> out;
    for (auto it = s_.cgroups.upper_bound(dir + "/"); it != s_.cgroups.end() && it->first.rfind(dir + "/", 0) == 0; ++it)
      if (parent_of(it->first) == dir) out.push_back(it->first);
    // upper_bound skips an exact "dir/" key, which cannot exist.
    return out;
  }
  // A new cgroup's files of controller `c`, from nsplan's table of cgroup files, and two files
  // nsplan never writes, there so a test can tell they are left alone.
  std::map<std::string, std::string> controller_files(const std::string& c, bool root) const {
    using cgroup_files::Hierarchy;
    std::map<std::string, std::string> f;
    if (v2_ && root) return f;  // the v2 root has no controller interface files worth modelling
    const Hierarchy h = v2_ ? Hierarchy::V2 : Hierarchy::V1;
    for (const auto& row : cgroup_files::all()) {
      if (row.hierarchy != h || c != row.controller || (root && !row.on_root)) continue;
      if (row.setting == cgroup_files::Setting::MemorySwap && !facts_.swap_accounting) continue;
      if (row.setting == cgroup_files::Setting::IoWeight && !v2_ && facts_.v1_io_weight_file != row.name) continue;
      if (row.setting == cgroup_files::Setting::IoDeviceWeight && facts_.v1_io_weight_file + "_device" != row.name) continue;
      if (auto known = facts_.kernel_files.find(row.name); known != facts_.kernel_files.end() && !known->second) continue;
      if (row.form == cgroup_files::Form::HugePageBytes) {
        // One file per huge page size; v1 shows "no limit" as the counter's maximum in whole pages.
        for (uint64_t size : facts_.huge_page_sizes.value_or(std::vector<uint64_t>{2u << 20})) {
          std::string name = cgroup_files::file_name(row, size);
          f[name] = v2_ ? "max" : *normalize(name, "-1", "");
        }
        continue;
      }
      f[row.name] = row.new_value;
    }
    if (c == "memory") f[v2_ ? "memory.peak" : "memory.oom_control"] = v2_ ? "0" : "oom_kill_disable 0";
    if (!v2_ && c == "cpuset" && root) f = {{"cpuset.cpus", "0-3"}, {"cpuset.mems", "0"}};
    if (!v2_ && c == "devices") f = {{"devices.allow", ""}, {"devices.deny", ""}, {"devices.list", "a *:* rwm"}, {"devices.denied", ""}};
    return f;
  }
  std::string ordered(const std::set<std::string>& cs) const {
    std::string s;
    for (const auto& c : kernel_order())
      if (cs.count(c)) s += (s.empty() ? "" : " ") + c;
    return s;
  }
  std::map<std::string, std::string> root_files(const Hierarchy& h) const {
    std::map<std::string, std::string> f;
    if (v2_) {
      f["cgroup.subtree_control"] = "";
      f["cgroup.controllers"] = ordered(h.controllers);
      f["cgroup.procs"] = "";
    } else {
      f["cgroup.procs"] = "";
      f["tasks"] = "";
      for (const auto& c : h.controllers)
        for (auto& kv : controller_files(c, true)) f.insert(kv);
    }
    return f;
  }
  std::map<std::string, std::string> child_files(const Hierarchy& h, const std::string& dir) const {
    std::map<std::string, std::string> f;
    if (v2_) {
      std::string enabled = s_.cgroups.at(parent_of(dir)).at("cgroup.subtree_control");
      f["cgroup.subtree_control"] = "";
      f["cgroup.controllers"] = enabled;
      f["cgroup.procs"] = "";
      f["cgroup.threads"] = "";
      for (const auto& c : words(enabled))
        for (auto& kv : controller_files(c, false)) f.insert(kv);
    } else {
      f["cgroup.procs"] = "";
      f["tasks"] = "";
      for (const auto& c : h.controllers)
        for (auto& kv : controller_files(c, false)) f.insert(kv);
      if (h.controllers.count("devices")) {
        const auto& parent = s_.cgroups.at(parent_of(dir));
        f["devices.list"] = parent.at("devices.list");
        f["devices.denied"] = parent.at("devices.denied");
      }
    }
    return f;
  }
  // v1 devices.allow (ALLOW) or devices.deny; 0 or an errno.
  static int write_devices(std::map<std::string, std::string>& files, bool allow, const std::string& v) {
    std::string& list = files["devices.list"];
    std::string& denied = files["devices.denied"];
    if (!v.empty() && v[0] == 'a') {
      list = allow ? "a *:* rwm" : "";
      denied.clear();
      return 0;
    }
    std::string error;
    auto rules = device_rules::parse(v, error);
    if (!rules || rules->size() != 1) return EINVAL;
    const bool default_allow = list == "a *:* rwm";
    // The exception list of the mode (shown or hidden), with this rule joined or taken out.
    std::string& exceptions = default_allow ? denied : list;
    std::vector<device_rules::Rule> have;
    std::istringstream in(exceptions);
    for (std::string line; std::getline(in, line);)
      if (auto r = device_rules::parse(line, error)) have.push_back(r->front());
    const device_rules::Rule& r = rules->front();
    if (allow != default_allow) {
      have.push_back(r);
      have = device_rules::merged(have);
    } else {
      for (auto& h : have)
        if (h.type == r.type && h.major == r.major && h.minor == r.minor) h.access &= ~r.access;
      have.erase(std::remove_if(have.begin(), have.end(), [](const device_rules::Rule& h) { return h.access == 0; }), have.end());
    }
    exceptions.clear();
    for (const auto& h : have) exceptions += (exceptions.empty() ? "" : "\n") + device_rules::text(h);
    return 0;
  }

  // 0 or an errno; changes nothing on failure.
  int write_subtree_control(const std::string& dir, const std::string& value) {
    auto& files = s_.cgroups.at(dir);
    auto have = words(files.at("cgroup.subtree_control"));
    auto avail = words(files.at("cgroup.controllers"));
    std::set<std::string> enabled(have.begin(), have.end()), available(avail.begin(), avail.end()), next = enabled;
    for (const auto& tok : words(value)) {
      if (tok.size() < 2 || (tok[0] != '+' && tok[0] != '-')) return EINVAL;
      std::string c = tok.substr(1);
      if (std::find(kernel_order().begin(), kernel_order().end(), c) == kernel_order().end()) return EINVAL;
      if (tok[0] == '+') {
        if (!enabled.count(c) && !available.count(c)) return ENOENT;
        next.insert(c);
      } else if (enabled.count(c)) {
        for (const auto& child : children(dir))
          for (const auto& w : words(s_.cgroups.at(child).at("cgroup.subtree_control")))
            if (w == c) return EBUSY;
        next.erase(c);
      }
    }
    files["cgroup.subtree_control"] = ordered(next);
    for (const auto& child : children(dir)) {
      auto& cf = s_.cgroups.at(child);
      cf["cgroup.controllers"] = ordered(next);
      for (const auto& c : next)
        if (!enabled.count(c))
          for (auto& kv : controller_files(c, false)) cf.insert(kv);
      for (const auto& c : enabled)
        if (!next.count(c))
          for (auto& kv : controller_files(c, false)) cf.erase(kv.first);
    }
    return 0;
  }
  static std::optional<std::vector<int>> cpu_members(const std::string& list) {
    std::vector<int> out;
    std::stringstream ss(list);
    std::string item;
    while (std::getline(ss, item, ',')) {
      if (item.empty()) return std::nullopt;
      auto dash = item.find('-');
      auto lo = number(item.substr(0, dash));
      auto hi = dash == std::string::npos ? lo : number(item.substr(dash + 1));
      if (!lo || !hi || *lo > *hi || *hi > 4095) return std::nullopt;
      for (auto i = *lo; i <= *hi; ++i) out.push_back(static_cast<int>(i));
    }
    std::sort(out.begin(), out.end());
    out.erase(std::unique(out.begin(), out.end()), out.end());
    return out;
  }
  static std::string cpu_list(const std::vector<int>& m) {
    std::string s;
    for (size_t i = 0; i < m.size();) {
      size_t j = i;
      while (j + 1 < m.size() && m[j + 1] == m[j] + 1) ++j;
      s += (s.empty() ? "" : ",") + std::to_string(m[i]) + (j > i ? "-" + std::to_string(m[j]) : "");
      i = j + 1;
    }
    return s;
  }
  // Per-device files: "MAJ:MIN ..." lines; the line of the device written is replaced.
  static std::optional<std::string> merge_device_line(const std::string& current, const std::string& value, bool io_max,
                                                       const cgroup_files::File* row = nullptr) {
    auto w = words(value);
    if (w.empty() || w[0].find(':') == std::string::npos) return std::nullopt;
    std::string dev = w[0];
    std::map<std::string, std::string> lines;
    std::istringstream in(current);
    std::string l;
    while (std::getline(in, l))
      if (!l.empty()) lines[l.substr(0, l.find(' '))] = l;
    if (io_max) {
      std::map<std::string, std::string> kv = {{"rbps", "max"}, {"wbps", "max"}, {"riops", "max"}, {"wiops", "max"}};
      if (auto it = lines.find(dev); it != lines.end())
        for (const auto& word : words(it->second))
          if (auto eq = word.find('='); eq != std::string::npos) kv[word.substr(0, eq)] = word.substr(eq + 1);
      for (size_t i = 1; i < w.size(); ++i) {
        auto eq = w[i].find('=');
        if (eq == std::string::npos) return std::nullopt;
        std::string k = w[i].substr(0, eq), v = w[i].substr(eq + 1);
        if (!kv.count(k) || (v != "max" && !number(v))) return std::nullopt;
        kv[k] = v;
      }
      bool all_max = true;
      for (const auto& [k, v] : kv) all_max &= v == "max";
      if (all_max) lines.erase(dev);
      else lines[dev] = dev + " rbps=" + kv["rbps"] + " wbps=" + kv["wbps"] + " riops=" + kv["riops"] + " wiops=" + kv["wiops"];
    } else {
      // The row's no-limit value ("0", BFQ's "default") removes the device's line.
      const std::string no_limit = row ? row->no_limit : "0";
      if (w.size() != 2) return std::nullopt;
      if (w[1] == no_limit) {
        lines.erase(dev);
      } else {
        auto n = number(w[1]);
        if (!n || (row && row->max && (*n < row->min || *n > row->max))) return std::nullopt;
        if (*n == 0) lines.erase(dev);
        else lines[dev] = dev + " " + w[1];
      }
    }
    std::string out;
    for (const auto& [d, line] : lines) out += (out.empty() ? "" : "\n") + line;
    return out;
  }
  std::optional<std::string> normalize(const std::string& file, const std::string& v, const std::string& current) const {
    auto page = static_cast<unsigned long long>(applier::page_size());
    auto in_range = [&](unsigned long long lo, unsigned long long hi) -> std::optional<std::string> {
      auto n = number(v);
      if (!n || *n < lo || *n > hi) return std::nullopt;
      return std::to_string(*n);
    };
    const auto* row = cgroup_files::find(v2_ ? cgroup_files::Hierarchy::V2 : cgroup_files::Hierarchy::V1, file);
    if (!row) return v;
    using cgroup_files::Form;
    switch (row->form) {
      case Form::MemoryBytes: {
        if (v == row->no_limit) return std::string(v2_ ? "max" : kV1NoLimit);
        auto n = number(v);
        if (!n) return std::nullopt;
        if (v2_) return std::to_string(*n / page * page);
        return std::to_string(std::min(*n / page * page, *number(kV1NoLimit)));
      }
      case Form::Number:
        if (*row->no_limit && v == row->no_limit) return v;
        return row->max ? in_range(row->min, row->max) : in_range(0, ~0ull);
      case Form::CpuMax: {
        auto w = words(v);
        auto cur = words(current);
        if (w.empty() || w.size() > 2) return std::nullopt;
        if (w[0] != "max" && (!number(w[0]) || *number(w[0]) < 1000)) return std::nullopt;
        std::string period = w.size() == 2 ? w[1] : (cur.size() == 2 ? cur[1] : "100000");
        auto p = number(period);
        if (!p || *p < 1000 || *p > 1000000) return std::nullopt;
        return w[0] + " " + period;
      }
      case Form::DefaultWeight: {
        if (auto w = words(v); !w.empty() && w[0].find(':') != std::string::npos) {
          // A device's line after the default one (blk-iocost.c ioc_weight_write): "MAJ:MIN W",
          // or "MAJ:MIN default" to remove it.
          if (w.size() != 2) return std::nullopt;
          if (w[1] != "default" && (!number(w[1]) || *number(w[1]) < row->min || *number(w[1]) > row->max)) return std::nullopt;
          std::string first = current.substr(0, current.find('\n'));
          std::string rest = current.find('\n') == std::string::npos ? "" : current.substr(current.find('\n') + 1);
          auto merged = merge_device_line(rest, w[1] == "default" ? w[0] + " 0" : v, false);
          if (!merged) return std::nullopt;
          return first + (merged->empty() ? "" : "\n" + *merged);
        }
        std::string n = v.rfind("default ", 0) == 0 ? v.substr(8) : v;
        auto x = number(n);
        if (!x || *x < row->min || *x > row->max) return std::nullopt;
        // The devices' lines stay.
        const size_t nl = current.find('\n');
        return "default " + n + (nl == std::string::npos ? "" : current.substr(nl));
      }
      case Form::HugePageBytes: {
        const uint64_t huge = cgroup_files::page_size_of_file(file);
        const unsigned long long pages_max = (v2_ ? ~0ull >> 1 : *number(kV1NoLimit)) / page;
        unsigned long long pages = 0;
        if (v == row->no_limit) pages = pages_max;
        else if (auto n = number(v)) pages = std::min(*n / page, pages_max);
        else return std::nullopt;
        pages = pages / (huge / page) * (huge / page);
        if (v2_ && pages == pages_max / (huge / page) * (huge / page)) return std::string("max");
        return std::to_string(pages * page);
      }
      case Form::DeviceKeys: return merge_device_line(current, v, true);
      case Form::DeviceValue: return merge_device_line(current, v, false, row);
      case Form::Percent: {
        // kernel/sched/core.c: two decimals at most, 0..100; 100.00 shows as max.
        if (v == "max") return v;
        auto dot = v.find('.');
        auto whole = number(v.substr(0, dot));
        std::string frac = dot == std::string::npos ? "00" : v.substr(dot + 1);
        if (frac.size() == 1) frac += '0';
        auto f = number(frac);
        if (!whole || !f || frac.size() != 2 || *whole * 100 + *f > 10000) return std::nullopt;
        if (*whole * 100 + *f == 10000) return std::string("max");
        return std::to_string(*whole) + "." + frac;
      }
      case Form::CpuList: break;
    }
    if (file == "cpuset.cpus" || file == "cpuset.mems") {
      if (v.empty()) return v;
      auto m = cpu_members(v);
      if (!m) return std::nullopt;
      return cpu_list(*m);
    }
    return v;
  }
  int check_invariants(const Hierarchy& h, const std::string& dir, const std::string& file, const std::string& value) const {
    const auto& files = s_.cgroups.at(dir);
    if (!v2_ && file == "memory.limit_in_bytes" && files.count("memory.memsw.limit_in_bytes") &&
        *number(value) > *number(files.at("memory.memsw.limit_in_bytes")))
      return EINVAL;
    if (!v2_ && file == "memory.memsw.limit_in_bytes" && *number(value) < *number(files.at("memory.limit_in_bytes"))) return EINVAL;
    if (!v2_ && (file == "cpuset.cpus" || file == "cpuset.mems") && !value.empty() && dir != h.mount) {
      auto mine = cpu_members(value);
      auto parent = cpu_members(s_.cgroups.at(parent_of(dir)).at(file));
      if (!mine || !parent) return EINVAL;
      for (int x : *mine)
        if (!std::binary_search(parent->begin(), parent->end(), x)) return EINVAL;
    }
    return 0;
  }

  // ---- net model ----
  std::vector<applier::AttachedProgram> programs_of(const std::string& dir, const std::string& names) const {
    std::vector<applier::AttachedProgram> out;
    auto ids = s_.program_ids.find(dir);
    std::istringstream in(names);
    size_t i = 0;
    for (std::string name; std::getline(in, name); ++i)
      out.push_back({ids != s_.program_ids.end() && i < ids->second.size() ? ids->second[i] : 0, name});
    return out;
  }
  uint64_t object_id(const std::string& key) {
    auto it = ids_.find(key);
    if (it == ids_.end()) it = ids_.emplace(key, ++last_id_).first;
    return it->second;
  }
  std::map<std::string, uint64_t> ids_;
  uint64_t last_id_ = 100;

  FakeNetns* space(const std::string& ns) {
    auto it = s_.netns.find(ns);
    return it == s_.netns.end() ? nullptr : &it->second;
  }
  FakeLink* fake_link(const std::string& ns, const std::string& name) {
    FakeNetns* sp = space(ns);
    if (!sp) return nullptr;
    auto it = sp->links.find(name);
    return it == sp->links.end() ? nullptr : &it->second;
  }
  static void drop_routes(FakeNetns& sp, const std::string& dev) {
    for (auto it = sp.routes.begin(); it != sp.routes.end();) it = it->dev == dev ? sp.routes.erase(it) : std::next(it);
  }
  static void rename_l3(FakeNetns& sp, const std::string& dev, const std::string& new_name) {
    std::set<std::pair<std::string, std::string>> addresses;
    for (const auto& [d, cidr] : sp.addresses) addresses.insert({d == dev ? new_name : d, cidr});
    sp.addresses = addresses;
    std::set<FakeRoute> routes;
    for (FakeRoute r : sp.routes) {
      if (r.dev == dev) r.dev = new_name;
      routes.insert(r);
    }
    sp.routes = routes;
  }
  static void drop_l3(FakeNetns& sp, const std::string& dev) {
    for (auto it = sp.addresses.begin(); it != sp.addresses.end();) it = it->first == dev ? sp.addresses.erase(it) : std::next(it);
    drop_routes(sp, dev);
  }
  // Removes a link with everything that goes with it (peer, stacked links, addresses, routes).
  void remove_link(const std::string& ns, const std::string& name) {
    FakeNetns* sp = space(ns);
    if (!sp) return;
    auto it = sp->links.find(name);
    if (it == sp->links.end()) return;
    FakeLink l = it->second;
    sp->links.erase(it);
    drop_l3(*sp, name);
    for (auto& [n, other] : sp->links)
      if (other.master == name) other.master.clear();
    if (l.kind == "veth" && !l.peer.empty()) remove_link(l.peer_netns, l.peer);
    std::vector<std::pair<std::string, std::string>> stacked;
    for (const auto& [n2, sp2] : s_.netns)
      for (const auto& [ln, other] : sp2.links)
        if (!other.parent.empty() && other.parent_netns == ns && other.parent == name) stacked.push_back({n2, ln});
    for (const auto& [n2, ln] : stacked) remove_link(n2, ln);
  }
  // A link changes namespace: it arrives down, without addresses, routes or master.
  void move_link_state(const std::string& from, const std::string& name, const std::string& to, std::string arrives = {}) {
    if (arrives.empty()) arrives = name;
    ids_["link " + to + "/" + arrives] = object_id("link " + from + "/" + name);
    ids_.erase("link " + from + "/" + name);
    FakeNetns& sf = *space(from);
    FakeLink l = sf.links.at(name);
    sf.links.erase(name);
    drop_l3(sf, name);
    for (auto& [n, other] : sf.links)
      if (other.master == name) other.master.clear();
    l.up = false;
    l.master.clear();
    space(to)->links[arrives] = l;
    for (auto& [n2, sp2] : s_.netns)
      for (auto& [ln, other] : sp2.links) {
        if (other.peer == name && other.peer_netns == from) other.peer_netns = to, other.peer = arrives;
        if (other.parent == name && other.parent_netns == from) other.parent_netns = to, other.parent = arrives;
      }
  }
  // A link of NETNS renamed: it keeps its ifindex, addresses and routes.
  void rename_link_state(const std::string& netns, const std::string& name, const std::string& new_name) {
    ids_["link " + netns + "/" + new_name] = object_id("link " + netns + "/" + name);
    ids_.erase("link " + netns + "/" + name);
    FakeNetns& sp = *space(netns);
    sp.links[new_name] = sp.links.at(name);
    sp.links.erase(name);
    for (auto& [n, other] : sp.links)
      if (other.master == name) other.master = new_name;
    rename_l3(sp, name, new_name);
  }
  struct Cidr {
    int family = 4;
    unsigned char addr[16] = {};
    int prefix = 32;
  };
  static std::optional<Cidr> parse_cidr(const std::string& s) {
    Cidr c;
    std::string ip = s.substr(0, s.find('/'));
    c.family = ip.find(':') != std::string::npos ? 6 : 4;
    if (inet_pton(c.family == 6 ? AF_INET6 : AF_INET, ip.c_str(), c.addr) != 1) return std::nullopt;
    c.prefix = c.family == 6 ? 128 : 32;
    if (auto slash = s.find('/'); slash != std::string::npos) {
      auto p = number(s.substr(slash + 1));
      if (!p || *p > static_cast<unsigned long long>(c.prefix)) return std::nullopt;
      c.prefix = static_cast<int>(*p);
    }
    return c;
  }
  static bool contains(const Cidr& net, const Cidr& ip) {
    if (net.family != ip.family) return false;
    for (int bit = 0; bit < net.prefix; ++bit) {
      int byte = bit / 8, mask = 0x80 >> (bit % 8);
      if ((net.addr[byte] & mask) != (ip.addr[byte] & mask)) return false;
    }
    return true;
  }
  static int route_family(const applier::RouteSpec& r) {
    if (r.family) return r.family;
    return (r.to.find(':') != std::string::npos || r.via.find(':') != std::string::npos) ? 6 : 4;
  }
  static std::string route_target(const applier::RouteSpec& r) { return r.to + " table " + std::to_string(r.table.value_or(254)); }
  static std::string route_text(const applier::RouteSpec& r) {
    std::string s = r.to;
    if (!r.via.empty()) s += " via " + r.via;
    if (!r.dev.empty()) s += " dev " + r.dev;
    if (r.table) s += " table " + std::to_string(*r.table);
    if (r.metric) s += " metric " + std::to_string(*r.metric);
    return s + in(r.netns);
  }

  HostFacts facts_;
  bool v2_ = true;
  std::vector<Hierarchy> hierarchies_;
  FakeState s_;
  std::vector<FakeCall> calls_;
  size_t mutations_ = 0;
  std::map<size_t, int> fail_at_;
  bool unit_transient_ = true;
  static constexpr const char* kFakeUnitPid = "4242";
  std::vector<TextFault> fail_text_;
  std::optional<Crash> crash_;
};

}  // namespace nsplan::testing
