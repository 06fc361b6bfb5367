// The decisions destroy makes on what it finds, written once over the plain primitives. The real
// kernel and the fake use these; the script writer renders the same tests as sh.
#include "applier/kernel.h"

#include "applier/delegated_unit.h"

#include <cstdlib>

namespace nsplan::applier {
namespace {

std::string parent_dir(const std::string& dir) { return dir.substr(0, dir.rfind('/')); }

// v2: how many cgroups are below DIR (cgroup.stat counts them); an error when it cannot be read.
SysResult<unsigned long> descendants(Kernel& kernel, const std::string& dir) {
  auto stat = kernel.cgroup_read(dir, "cgroup.stat");
  if (!stat.ok()) return stat.error();
  auto pos = stat.value().find("nr_descendants ");
  return pos == std::string::npos ? 0ul : std::strtoul(stat.value().c_str() + pos + 15, nullptr, 10);
}

// Whether any cgroup remains below DIR; v1 has no cgroup.stat, and reads as none.
bool in_use_below(Kernel& kernel, const std::string& dir) {
  auto n = descendants(kernel, dir);
  return n.ok() && n.value() > 0;
}

// After an rmdir refused with EBUSY: whether DIR holds child cgroups (v1 and v2) rather than
// tasks. v1 has no cgroup.stat; there, a cgroup without tasks refuses rmdir only for children.
bool has_children(Kernel& kernel, const std::string& dir) {
  if (in_use_below(kernel, dir)) return true;
  auto procs = kernel.cgroup_read(dir, "cgroup.procs");
  return procs.ok() && procs.value().empty();
}

}  // namespace

Status Kernel::cgroup_copy_from_parent(const std::string& dir, const std::string& file) {
  auto parent = cgroup_read(parent_dir(dir), file);
  if (!parent.ok()) return parent.error();
  return cgroup_write(dir, file, parent.value());
}

SysResult<bool> Kernel::cgroup_disable_unless_used(const std::string& dir, const std::vector<std::string>& controllers) {
  if (in_use_below(*this, dir)) return false;
  std::string value;
  for (const auto& c : controllers) value += (value.empty() ? "-" : " -") + c;
  if (Status s = cgroup_write(dir, "cgroup.subtree_control", value); !s.ok()) return s.error();
  return true;
}

SysResult<std::vector<FileAccess>> Kernel::cgroup_access(const std::string& dir, const std::vector<std::string>&,
                                                         const std::vector<std::string>&) {
  return SysError{ENOSYS, "the owners of the files of " + dir, 0, {}};
}
Status Kernel::cgroup_set_access(const std::string& dir, const std::vector<std::string>&, const std::vector<std::string>&,
                                 const std::string&, const std::string&, std::optional<uint32_t>) {
  return SysError{ENOSYS, "changing the owners of the files of " + dir, 0, {}};
}
SysResult<std::pair<int64_t, int64_t>> Kernel::account_ids(const std::string& user, const std::string& group) {
  return SysError{ENOSYS, "looking up " + user + ":" + group, 0, {}};
}

SysResult<std::optional<std::string>> Kernel::netns_etc_read(const std::string& netns, const std::string& file) {
  return SysError{ENOSYS, "reading /etc/netns/" + netns + "/" + file, 0, {}};
}
Status Kernel::netns_etc_create(const std::string& netns, const std::string& file, const std::string&) {
  return SysError{ENOSYS, "writing /etc/netns/" + netns + "/" + file, 0, {}};
}
SysResult<KernelId> Kernel::netns_etc_id(const std::string& netns, const std::string& file) {
  return SysError{ENOSYS, "the identity of /etc/netns/" + netns + "/" + file, 0, {}};
}
Status Kernel::netns_etc_remove(const std::string& netns, const std::string& file, bool) {
  return SysError{ENOSYS, "removing /etc/netns/" + netns + "/" + file, 0, {}};
}
SysResult<std::vector<AttachedProgram>> Kernel::device_programs(const std::string& dir) {
  return SysError{ENOSYS, "device programs of " + dir, 0, {}};
}
Status Kernel::device_program_attach(const std::string& dir, bool, const std::vector<std::string>&) {
  return SysError{ENOSYS, "attaching a device program to " + dir, 0, {}};
}
Status Kernel::device_program_detach(const std::string& dir, uint32_t id) {
  return SysError{ENOSYS, "detaching device program " + std::to_string(id) + " from " + dir, 0, {}};
}

SysResult<std::string> Kernel::sysctl_read(const std::string& key) { return SysError{ENOSYS, "reading " + key, 0, {}}; }
Status Kernel::sysctl_write(const std::string& key, const std::string&) { return SysError{ENOSYS, "setting " + key, 0, {}}; }
SysResult<bool> Kernel::sysctl_restore_unless_changed(const std::string& key, const std::string& old, const std::string& set) {
  auto now = sysctl_read(key);
  if (!now.ok()) return now.error();
  if (now.value() != set) return false;
  if (Status s = sysctl_write(key, old); !s.ok()) return s.error();
  return true;
}
SysResult<NftTableInfo> Kernel::nft_table(const std::string& family, const std::string& name) {
  return SysError{ENOSYS, "nftables table " + family + " " + name, 0, {}};
}
Status Kernel::nft_load(const std::string& family, const std::string& name, const std::string&) {
  return SysError{ENOSYS, "making nftables table " + family + " " + name, 0, {}};
}
Status Kernel::nft_delete_table(const std::string& family, const std::string& name, uint64_t) {
  return SysError{ENOSYS, "deleting nftables table " + family + " " + name, 0, {}};
}

Status Kernel::link_files_check(const plan::CreateLink&) { return {}; }

uint32_t Kernel::link_group_claim(uint32_t preferred, const std::set<uint32_t>& taken) {
  uint32_t g = preferred;
  while (taken.count(g)) g = g >= 0x7fffffffu ? 0x10000u : g + 1;  // link_group_of's range
  return g;
}

Status Kernel::link_require_bridge(const std::string& netns, const std::string& name) {
  auto l = link(netns, name);
  if (!l.ok()) return l.error();
  const std::string where = netns.empty() ? "on the host" : "in " + netns;
  if (!l.value()) return SysError{ENODEV, "bridge '" + name + "' is not there " + where + " (the profile joins it, never makes it)", 0, {}};
  if (l.value()->kind != "bridge")
    return SysError{EINVAL, "'" + name + "' " + where + " is " + (l.value()->kind.empty() ? "a device" : "a " + l.value()->kind) + ", not a bridge", 0, {}};
  return {};
}

SysResult<std::optional<LinkInfo>> Kernel::link(const std::string& netns, const std::string& name) {
  auto all = links(netns);
  if (!all.ok()) return all.error();
  for (LinkInfo& l : all.value())
    if (l.name == name) return std::optional<LinkInfo>(std::move(l));
  return std::optional<LinkInfo>();
}

SysResult<std::optional<LinkInfo>> Kernel::link_by_ifindex(const std::string& netns, int ifindex) {
  auto all = links(netns);
  if (!all.ok()) return all.error();
  for (LinkInfo& l : all.value())
    if (l.ifindex == ifindex) return std::optional<LinkInfo>(std::move(l));
  return std::optional<LinkInfo>();
}

SysResult<NamespaceContent> Kernel::netns_content(const std::string& netns) {
  NamespaceContent c;
  auto l = links(netns);
  if (!l.ok()) return l.error();
  c.links = std::move(l).value();
  auto a = addresses(netns);
  if (!a.ok()) return a.error();
  c.addresses = std::move(a).value();
  auto r = routes(netns);
  if (!r.ok()) return r.error();
  c.routes = std::move(r).value();
  return c;
}

void Kernel::settle_links(const std::string& netns, const std::vector<std::string>& names) { (void)links_named(netns, names); }

SysResult<std::vector<std::optional<LinkInfo>>> Kernel::links_named(const std::string& netns,
                                                                    const std::vector<std::string>& names) {
  std::vector<std::optional<LinkInfo>> out;
  for (const auto& name : names) {
    auto l = link(netns, name);
    if (!l.ok()) return l.error();
    out.push_back(std::move(l).value());
  }
  return out;
}

SysResult<std::vector<AddressInfo>> Kernel::addresses_of(const std::string& netns, const std::string& dev, int) {
  auto all = addresses(netns);
  if (!all.ok()) return all.error();
  std::vector<AddressInfo> out;
  for (AddressInfo& a : all.value())
    if (a.dev == dev) out.push_back(std::move(a));
  return out;
}

SysResult<std::vector<RouteInfo>> Kernel::routes_of(const std::string& netns, uint32_t table, const std::string& dev, int) {
  auto all = routes(netns);
  if (!all.ok()) return all.error();
  std::vector<RouteInfo> out;
  for (RouteInfo& r : all.value())
    if ((table == 0 || r.table == table) && (dev.empty() || r.dev == dev)) out.push_back(std::move(r));
  return out;
}

SysResult<UnitState> Kernel::unit_state(const std::string& unit) { return SysError{ENOSYS, "asking systemd about " + unit, 0, {}}; }
Status Kernel::unit_start(const std::string& unit, const std::string&) { return SysError{ENOSYS, "asking systemd for " + unit, 0, {}}; }
Status Kernel::unit_stop(const std::string& unit) { return SysError{ENOSYS, "stopping " + unit, 0, {}}; }

Status Kernel::unit_start_delegated(const std::string& unit, const std::string& slice, const std::string& dir) {
  if (Status s = unit_start(unit, slice); !s.ok()) return s;
  // systemd chose the cgroup: it must be the one the plan names, or nothing below is right.
  auto state = unit_state(unit);
  if (!state.ok()) return state.error();
  const UnitState& u = state.value();
  if (u.active_state != "active" || !u.delegate || u.cgroup != dir)
    return SysError{EIO,
                    "systemd unit " + unit + " is " + u.active_state + (u.delegate ? "" : ", not delegated") + ", with cgroup '" + u.cgroup +
                        "', not active with " + dir + " (see: systemctl status " + unit + ")",
                    0, {}};
  // "0" written to cgroup.procs would move the writer: nsplan itself.
  if (u.main_pid.empty() || u.main_pid == "0")
    return SysError{EIO, "systemd unit " + unit + " has no process (see: systemctl status " + unit + ")", 0, {}};
  const std::string keeper = dir + "/" + kKeeperCgroup;
  if (Status s = cgroup_mkdir(keeper); !s.ok()) return s;
  return cgroup_write(keeper, "cgroup.procs", u.main_pid);
}

SysResult<bool> Kernel::unit_stop_unless_used(const std::string& unit, const std::string& dir, const std::string& main_pid) {
  // Below DIR: at most the keeper's cgroup, holding the unit's own process and nothing else; in
  // DIR itself no process. A file that cannot be read stops nothing.
  auto below = descendants(*this, dir);
  if (!below.ok()) return below.error();
  auto procs = cgroup_read(dir, "cgroup.procs");
  if (!procs.ok()) return procs.error();
  auto keeper = cgroup_read(dir + "/" + kKeeperCgroup, "cgroup.procs");
  if (!keeper.ok() && keeper.err() != ENOENT) return keeper.error();
  auto trimmed = [](std::string s) {
    while (!s.empty() && (s.back() == '\n' || s.back() == ' ')) s.pop_back();
    return s;
  };
  const std::string in_keeper = keeper.ok() ? trimmed(keeper.value()) : "";
  const bool only_ours = below.value() == (keeper.ok() ? 1u : 0u) && trimmed(procs.value()).empty() &&
                         (in_keeper.empty() || in_keeper == main_pid);
  if (!only_ours) return false;
  if (Status s = unit_stop(unit); !s.ok()) return s.error();
  return true;
}

SysResult<bool> Kernel::cgroup_remove_unless_shared(const std::string& dir) {
  Status s = cgroup_rmdir(dir);
  if (s.ok()) return true;
  if ((s.err() == EBUSY || s.err() == ENOTEMPTY) && has_children(*this, dir)) return false;
  return s.error();
}

}  // namespace nsplan::applier
