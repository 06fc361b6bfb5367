#include "compiler/checks.h"

#include <algorithm>
#include <map>
#include <set>

#include "compiler/cgroup_limits.h"
#include "compiler/cgroup_value_checks.h"
#include "compiler/link_tunnels.h"
#include "compiler/mount_overlay.h"
#include "compiler/process_checks.h"
#include "compiler/profile_reader.h"
#include "compiler/rootless_net.h"
#include "compiler/seccomp_checks.h"
#include "compiler/uplink.h"
#include "schema/link_kinds.h"

namespace nsplan {
namespace {

std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }
std::string netns_label(const std::string& ns) { return ns.empty() ? "the host" : "net namespace " + quoted(ns); }

void check_id_map(const std::vector<Located<IdRange>>& map, const char* what, Diagnostics& diags) {
  if (map.size() > 340)
    diags.error(map[340].loc, std::string(what) + " has more than 340 ranges, the kernel's limit");
  for (size_t i = 0; i < map.size(); ++i) {
    for (size_t j = 0; j < i; ++j) {
      const IdRange& a = map[i].value;
      const IdRange& b = map[j].value;
      auto overlap = [](uint64_t x, uint64_t n, uint64_t y, uint64_t m) { return x < y + m && y < x + n; };
      if (overlap(a.inside, a.count, b.inside, b.count))
        diags.error(map[i].loc, std::string(what) + " ranges overlap inside the namespace",
                    "this range and the one at line " + std::to_string(map[j].loc.line) + " both map id " +
                        std::to_string(std::max(a.inside, b.inside)));
      else if (overlap(a.outside, a.count, b.outside, b.count))
        diags.error(map[i].loc, std::string(what) + " ranges overlap outside the namespace",
                    "this range and the one at line " + std::to_string(map[j].loc.line) + " both use host id " +
                        std::to_string(std::max(a.outside, b.outside)));
    }
  }
}

// join, path and persist exclude each other; options of a new namespace need a new one.
// `option` is where the first option of a new namespace is written (invalid: none given).
void check_namespace(const NamespaceCommon& ns, const char* kind, SourceLoc option, Diagnostics& diags) {
  int given = (ns.join ? 1 : 0) + (ns.path ? 1 : 0) + (ns.persist ? 1 : 0);
  if (given > 1) {
    SourceLoc at = ns.persist ? ns.persist->loc : ns.path ? ns.path->loc : ns.join->loc;
    diags.error(at, std::string(kind) + " namespace: join, path and persist exclude each other",
                "join or path enter an existing namespace; persist keeps a new one");
  }
  if ((ns.join || ns.path) && option.valid())
    diags.error(option, std::string(kind) + " namespace options apply to a new namespace, not to a joined one",
                "remove join/path, or the options");
}

class NetworkChecker {
 public:
  NetworkChecker(const Profile& p, Diagnostics& diags) : p_(p), diags_(diags) {}

  void run() {
    collect_namespaces();
    if (!p_.network) return;
    const NetworkSpec& net = *p_.network;
    // Pass 1: every interface the profile makes, per namespace.
    for (const LinkSpec& link : net.links) {
      std::string ns = netns_of(link.netns);
      add_link(ns, link.name_inside ? *link.name_inside : link.name, link.kind.value);
      if (link.peer) add_link(netns_of(link.peer->netns), link.peer->name, "veth");
    }
    // Bridges of the host: never one the profile makes there too (whose would it be?).
    for (const auto& b : net.host_bridges) {
      if (auto it = links_[""].find(b.value); it != links_[""].end())
        diags_.error(b.loc, quoted(b.value) + " is a link this profile makes on the host (line " + std::to_string(it->second.second.line) + ")",
                     "host_bridges lists bridges that exist already; drop it here or from links");
      else if (!host_bridges_.insert(b.value).second)
        diags_.error(b.loc, "bridge " + quoted(b.value) + " is listed twice");
    }
    // Pass 2: per-link rules and references.
    for (const LinkSpec& link : net.links) check_link(link);
    for (const RouteSpec& route : net.routes) check_route(route);
  }

 private:
  void collect_namespaces() {
    if (p_.namespaces && p_.namespaces->net && p_.namespaces->net->persist)
      namespaces_.emplace(p_.namespaces->net->persist->value, p_.namespaces->net->persist->loc);
    if (!p_.network) return;
    for (const auto& ns : p_.network->namespaces) {
      auto [it, fresh] = namespaces_.emplace(ns.value, ns.loc);
      if (!fresh)
        diags_.error(ns.loc, "net namespace " + quoted(ns.value) + " is declared twice",
                     "first at line " + std::to_string(it->second.line));
    }
  }

  // "" for the host; reports unknown names.
  std::string netns_of(const Opt<std::string>& ref) {
    if (!ref) return "";
    if (!namespaces_.count(ref->value)) {
      std::vector<std::string_view> names;
      for (const auto& [n, loc] : namespaces_) names.push_back(n);
      std::string best = closest_match(ref->value, names);
      if (reported_.insert(ref->loc.line * 1000 + ref->loc.col).second)
        diags_.error(ref->loc, "unknown net namespace " + quoted(ref->value),
                     best.empty() ? "declare it in network.namespaces, or as namespaces.net.persist"
                                  : "did you mean " + quoted(best) + "?");
    }
    return ref->value;
  }

  void add_link(const std::string& ns, const Located<std::string>& name, const std::string& kind) {
    if (name.value.empty()) return;  // the name itself was invalid, and said so
    auto [it, fresh] = links_[ns].emplace(name.value, std::make_pair(kind, name.loc));
    if (!fresh)
      diags_.error(name.loc, "duplicate link " + quoted(name.value) + " in " + netns_label(ns),
                   "first defined at line " + std::to_string(it->second.second.line));
  }

  void check_master(const std::string& ns, const Opt<std::string>& master) {
    if (!master) return;
    auto& here = links_[ns];
    auto it = here.find(master->value);
    if (it == here.end() && ns.empty() && host_bridges_.count(master->value)) return;
    if (it == here.end()) {
      std::vector<std::string_view> bridges;
      for (const auto& [n, info] : here)
        if (takes_ports(info.first)) bridges.push_back(n);
      std::string best = closest_match(master->value, bridges);
      diags_.error(master->loc, "unknown bridge " + quoted(master->value) + " in " + netns_label(ns),
                   best.empty() ? std::string(ns.empty() ? "master must name a bridge link of this profile, or one listed in network.host_bridges"
                                                         : "master must name a bridge link of this profile in the same namespace")
                                : "did you mean " + quoted(best) + "?");
    } else if (!takes_ports(it->second.first)) {
      diags_.error(master->loc, quoted(master->value) + " is a " + it->second.first + ", not a bridge");
    }
  }

  static bool takes_ports(const std::string& kind) {
    const LinkKindInfo* k = find_link_kind(kind);
    return k && k->ports;
  }

  // "macvlan mode must be bridge, private, vepa or passthru": the registry's modes, in its order.
  void check_mode(const std::string& kind, const LinkKindInfo& info, const Located<std::string>& mode) {
    if (info.modes.empty()) {
      diags_.error(mode.loc, "mode applies to " + link_kinds_where([](const LinkKindInfo& k) { return !k.modes.empty(); }) +
                                 ", not to a " + kind);
      return;
    }
    if (std::find(info.modes.begin(), info.modes.end(), mode.value) != info.modes.end()) return;
    std::string list;
    for (size_t i = 0; i < info.modes.size(); ++i)
      list += std::string(i == 0 ? "" : i + 1 == info.modes.size() ? " or " : ", ") + std::string(info.modes[i]);
    diags_.error(mode.loc, kind + " mode must be " + list);
  }

  void check_addresses(const std::vector<Located<Cidr>>& addresses) {
    std::set<std::string> seen;
    for (const auto& a : addresses)
      if (!seen.insert(a.value.text()).second)
        diags_.error(a.loc, "address " + a.value.text() + " is given twice");
  }

  void check_link(const LinkSpec& link) {
    const std::string& kind = link.kind.value;
    // An unknown kind was reported by the reader; check the rest as for a kind that takes nothing.
    static const LinkKindInfo unknown{};
    const LinkKindInfo* found = find_link_kind(kind);
    const LinkKindInfo& info = found ? *found : unknown;
    std::string ns = link.netns ? link.netns->value : "";
    if (info.peer && !link.peer)
      diags_.error(link.loc, kind + " " + quoted(link.name.value) + " needs a peer", "add peer: {name: ..., netns: ...}");
    if (!info.peer && link.peer)
      diags_.error(link.loc, "only a " + link_kinds_where(&LinkKindInfo::peer) + " has a peer; " + quoted(link.name.value) + " is a " + kind);
    if (found) check_link_kind_keys(link, info, diags_);
    if (info.parent && !info.underlay && !link.parent)
      diags_.error(link.loc, kind + " " + quoted(link.name.value) + " needs a parent", "the device it sits on, e.g. parent: eth0");
    if (!info.parent && link.parent)
      diags_.error(link.parent->loc, "parent applies to " + link_kinds_where(&LinkKindInfo::parent) + ", not to a " + kind);
    if (link.parent_netns) {
      if (!link.parent) diags_.error(link.parent_netns->loc, "parent_netns without a parent");
      std::string pns = netns_of(link.parent_netns);
      if (link.parent && namespaces_.count(pns) && !links_[pns].count(link.parent->value))
        diags_.error(link.parent->loc, "no link " + quoted(link.parent->value) + " of this profile in " + netns_label(pns),
                     "parent_netns names where a link of this profile is; a device of the host needs no parent_netns");
    }
    if (found && !info.created) {
      // A device is moved from the host. Links the profile makes are born where they live:
      // moving one is never needed, and its place in the plan (and that of the links stacked on
      // it) would depend on when it moved.
      auto& host = links_[""];
      auto it = host.find(link.name.value);
      if (it != host.end() && it->second.first != kind)
        diags_.error(link.loc, "device " + quoted(link.name.value) + " is a " + it->second.first + " this profile makes on the host (line " +
                                   std::to_string(it->second.second.line) + "), not a device that exists already",
                     "give that link the netns it should live in instead of moving it");
    }
    if (link.name_inside && found && info.created)
      diags_.error(link.name_inside->loc, "name_inside renames a device moved from the host; a " + kind + " is made under its own name",
                   "write the name it should have as name");
    if (info.id && !link.vlan_id)
      diags_.error(link.loc, kind + " " + quoted(link.name.value) + " needs an id (1..4094)");
    if (!info.id && link.vlan_id)
      diags_.error(link.vlan_id->loc, "id applies to a " + link_kinds_where(&LinkKindInfo::id) + ", not to a " + kind);
    if (link.mode) check_mode(kind, info, *link.mode);
    if (found && !info.created && !link.netns)
      diags_.error(link.loc, kind + " " + quoted(link.name.value) + " needs a netns to move into",
                   "a device that stays on the host needs no entry");
    if (link.parent && link.parent->value == link.name.value)
      diags_.error(link.parent->loc, "a link cannot be its own parent");
    if (link.master && link.master->value == (link.name_inside ? *link.name_inside : link.name).value)
      diags_.error(link.master->loc, "a link cannot be its own master");
    if (info.ports && link.master)
      diags_.error(link.master->loc, "a bridge cannot be enslaved to another bridge");
    check_master(ns, link.master);
    check_addresses(link.addresses);
    if (link.mac && !info.own_mac && info.parent)
      diags_.error(link.mac->loc, kind + " links have no address of their own: they use their parent's",
                   "set mac on the parent, or use a macvlan for an address of its own");
    else if (link.mac && !info.own_mac)
      diags_.error(link.mac->loc, kind + " links have no Ethernet address (a layer 3 device)");
    check_mac(link.name.value, link.mac);
    if (link.peer) {
      std::string peer_ns = link.peer->netns ? link.peer->netns->value : "";
      check_master(peer_ns, link.peer->master);
      check_addresses(link.peer->addresses);
      check_mac(link.peer->name.value, link.peer->mac);
    }
  }

  // One address per link: two links of the profile with the same MAC confuse every switch and
  // bridge they meet (a veth's two ends included).
  void check_mac(const std::string& link, const Opt<std::string>& mac) {
    if (!mac) return;
    auto [it, fresh] = macs_.emplace(mac->value, std::make_pair(link, mac->loc));
    if (!fresh)
      diags_.error(mac->loc, "MAC address " + mac->value + " is " + it->second.first + "'s too (line " + std::to_string(it->second.second.line) + ")",
                   "give each link an address of its own");
  }

  void check_route(const RouteSpec& route) {
    std::string ns = netns_of(route.netns);
    if (!route.via && !route.dev)
      diags_.error(route.loc, "a route needs via, dev or both");
    if (route.via && route.to.value != "default") {
      bool to_v6 = route.to.value.find(':') != std::string::npos;
      if (to_v6 != (route.via->value.family == 6))
        diags_.error(route.via->loc, "gateway " + route.via->value.text + " is not of the family of " + route.to.value);
    }
    if (route.dev && !ns.empty() && route.dev->value != "lo" && !links_[ns].count(route.dev->value))
      diags_.error(route.dev->loc, "unknown device " + quoted(route.dev->value) + " in " + netns_label(ns),
                   "a new namespace holds only lo and the links this profile puts there");
  }

  const Profile& p_;
  Diagnostics& diags_;
  std::map<std::string, SourceLoc> namespaces_;
  std::map<std::string, std::map<std::string, std::pair<std::string, SourceLoc>>> links_;
  std::set<uint64_t> reported_;
  std::set<std::string> host_bridges_;
  std::map<std::string, std::pair<std::string, SourceLoc>> macs_;  // address -> link, where
};

void check_cgroup(const CgroupSpec& cg, Diagnostics& diags) {
  if (cg.cpu) {
    const CpuSpec& cpu = *cg.cpu;
    if (cpu.period && !cpu.max)
      diags.error(cpu.period->loc, "cpu period without cpu max", "period sets the window of max: 50%, 1.5 or QUOTA/PERIOD");
    if (cpu.period && cpu.max && cpu.max->value.period_given)
      diags.error(cpu.period->loc, "cpu max already names its period (QUOTA/PERIOD)", "remove one of the two periods");
  }
  if (cg.memory) {
    const MemorySpec& m = *cg.memory;
    // Sizes are compared with sizes and shares of RAM with shares; the planner knows the RAM.
    auto bytes = [](const Opt<ByteLimit>& v) {
      return v && !v->value.unlimited && !v->value.ram_hundredths ? std::optional<uint64_t>(v->value.bytes) : std::nullopt;
    };
    auto share = [](const Opt<ByteLimit>& v) {
      return v && v->value.ram_hundredths ? std::optional<uint32_t>(v->value.ram_hundredths) : std::nullopt;
    };
    auto mx = bytes(m.max);
    auto mx_share = share(m.max);
    for (const auto* lower : {&m.soft, &m.low, &m.min, &m.high}) {
      if (mx && bytes(*lower) && *bytes(*lower) > *mx)
        diags.warning((*lower)->loc, "this is above memory max (" + std::to_string(*mx) + " bytes) and has no effect");
      if (mx_share && share(*lower) && *share(*lower) > *mx_share)
        diags.warning((*lower)->loc, "this is a larger share of RAM than memory max and has no effect");
    }
  }
  if (cg.io) {
    const IoSpec& io = *cg.io;
    std::set<std::string> seen;
    for (const auto& d : io.devices) {
      if (!seen.insert(d.device.value).second)
        diags.error(d.device.loc, "device " + d.device.value + " is limited twice", "merge the two entries");
      if (!d.rbps && !d.wbps && !d.riops && !d.wiops)
        diags.error(d.loc, "io device entry sets no limit", "add rbps, wbps, riops or wiops");
    }
    // Both would be the one weight file of the cgroup.
    if (io.weight && io.blkio_weight)
      diags.error(io.blkio_weight->loc, "io blkio_weight and io weight are both given; both set the cgroup's one io weight",
                  "keep one: weight is at line " + std::to_string(io.weight->loc.line));
    std::set<std::string> weighted;
    for (const auto& d : io.device_weights)
      if (!weighted.insert(d.device.value).second)
        diags.error(d.device.loc, "device " + d.device.value + " is given two weights", "keep one entry per device");
  }
  if (cg.permissions) {
    // Set-id and sticky bits mean nothing on a cgroup file and only make it look odd.
    auto bits_only = [&](const Opt<std::string>& mode) {
      if (mode && std::stoul(mode->value, nullptr, 8) > 0777)
        diags.error(mode->loc, "mode " + mode->value + " of a cgroup file has set-id or sticky bits",
                    "give permission bits only, such as 664 or 0775");
    };
    const PermissionsSpec& p = *cg.permissions;
    if (p.tasks) {
      bits_only(p.tasks->mode);
      if (!p.tasks->user && !p.tasks->group && !p.tasks->mode)
        diags.error(p.tasks->loc, "permissions tasks names no user, group or mode", "add user, group or mode, or remove tasks");
    }
    if (p.admin) {
      bits_only(p.admin->dir_mode);
      bits_only(p.admin->file_mode);
      if (!p.admin->user && !p.admin->group && !p.admin->dir_mode && !p.admin->file_mode)
        diags.error(p.admin->loc, "permissions admin names no user, group or mode",
                    "add user, group, dir_mode or file_mode, or remove admin");
    }
    if (!p.tasks && !p.admin) diags.error(p.loc, "permissions gives neither tasks nor admin", "add one of them, or remove permissions");
  }
  if (cg.cpu && cg.cpu->rt_runtime) {
    // kernel/sched/rt.c tg_rt_schedulable: EINVAL for a runtime longer than its period.
    const CpuSpec& c = *cg.cpu;
    const uint64_t period = c.rt_period ? c.rt_period->value : cgroup_limits::kDefaultRtPeriodUs;
    if (c.rt_runtime->value > period)
      diags.error(c.rt_runtime->loc,
                  "cpu rt_runtime " + std::to_string(c.rt_runtime->value) + " µs is longer than rt_period (" +
                      std::to_string(period) + " µs" + (c.rt_period ? "" : ", the default") + ")",
                  "the kernel refuses a runtime above its period (EINVAL); lower rt_runtime or raise rt_period");
  }
}

// What nsplan mounts on the system's own paths (a /dev, /dev/mqueue, a /sys, files over /etc)
// would reach the host's mount table too under shared propagation: refused at the key.
void check_shared_propagation(const NamespacesSpec& ns, Diagnostics& diags) {
  const MntNamespaceSpec& m = *ns.mnt;
  if (!m.propagation || m.propagation->value != "shared") return;
  auto refuse = [&](SourceLoc loc, const std::string& what) {
    diags.error(loc, what + " would be mounted over the host's too: propagation is shared",
                "use propagation: slave (the host's new mounts still reach the namespace, none go back), or private");
  };
  if (m.dev && m.dev->value) refuse(m.dev->loc, "the minimal /dev");
  if (m.mqueue && m.mqueue->value) refuse(m.mqueue->loc, "/dev/mqueue");
  if (m.sysfs && m.sysfs->value) refuse(m.sysfs->loc, "the read-only /sys");
  if (ns.net && ns.net->etc) refuse(ns.net->etc->loc, "the network namespace's files in /etc");
}

}  // namespace

void check_profile(const Profile& p, Diagnostics& diags) {
  if (p.run) check_process(*p.run, diags);
  if (p.cgroup) {
    check_cgroup(*p.cgroup, diags);
    check_cgroup_values(*p.cgroup, diags);
  }
  if (p.namespaces) {
    const NamespacesSpec& ns = *p.namespaces;
    auto first = [](std::initializer_list<SourceLoc> locs) {
      for (auto l : locs)
        if (l.valid()) return l;
      return SourceLoc{};
    };
    auto at = [](const auto& opt) { return opt ? opt->loc : SourceLoc{}; };
    if (ns.cgroup) check_namespace(*ns.cgroup, "cgroup", {}, diags);
    if (ns.ipc) check_namespace(*ns.ipc, "ipc", {}, diags);
    if (ns.net) check_namespace(*ns.net, "net", {}, diags);
    if (ns.pid) check_namespace(*ns.pid, "pid", {}, diags);
    if (ns.time) check_namespace(*ns.time, "time", first({at(ns.time->monotonic), at(ns.time->boottime)}), diags);
    if (ns.uts) check_namespace(*ns.uts, "uts", first({at(ns.uts->hostname), at(ns.uts->domainname)}), diags);
    if (ns.user) {
      const UserNamespaceSpec& u = *ns.user;
      SourceLoc option = first({u.uid_map.empty() ? SourceLoc{} : u.uid_map[0].loc,
                                u.gid_map.empty() ? SourceLoc{} : u.gid_map[0].loc, at(u.setgroups)});
      check_namespace(u, "user", option, diags);
      check_id_map(u.uid_map, "uid_map", diags);
      check_id_map(u.gid_map, "gid_map", diags);
    }
    if (ns.mnt) {
      const MntNamespaceSpec& m = *ns.mnt;
      SourceLoc option = first({at(m.propagation), at(m.proc), m.tmpfs.empty() ? SourceLoc{} : m.tmpfs[0].loc,
                                m.bind.empty() ? SourceLoc{} : m.bind[0].loc,
                                m.read_only.empty() ? SourceLoc{} : m.read_only[0].loc, at(m.root)});
      check_namespace(m, "mnt", option, diags);
      check_mnt_created(m, diags);
      if (m.proc && m.proc->value && !ns.pid)
        diags.warning(m.proc->loc, "a fresh /proc without a new pid namespace still shows every process of the host",
                      "add `pid: {}` to namespaces");
      check_shared_propagation(ns, diags);
    }
  }
  if (p.run && p.run->command.empty())
    diags.error(p.run->loc, "run command is empty", "write command: [program, arg, ...]");
  if (p.cgroup && p.cgroup->ephemeral && p.cgroup->ephemeral->value && !p.run)
    diags.error(p.cgroup->ephemeral->loc, "an ephemeral cgroup lives as long as the command of run, and this profile has no run",
                "add run: {command: [...]}, or drop ephemeral (apply keeps the cgroup until destroy)");
  NetworkChecker(p, diags).run();
  check_seccomp_and_init(p, diags);
  check_uplink(p, diags);
  check_rootless_net(p, diags);
}

}  // namespace nsplan
