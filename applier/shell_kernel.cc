#include "applier/shell_kernel.h"

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "applier/delegated_unit.h"
#include "applier/shell_files.h"
#include "applier/systemd_client.h"
#include "compiler/device_rules.h"
#include "compiler/link_tunnels.h"
#include "compiler/shell_quote.h"

namespace nsplan::applier {
namespace {

std::string parent_of(const std::string& path) { return path.substr(0, path.rfind('/')); }

// A namespace of the profile that the script has not made yet reads as absent.
SysError not_there(const std::string& what) { return SysError{ENOENT, what + ": not there yet (explain)", 0, {}}; }

std::string route_words(const RouteSpec& r, const char* verb) {
  std::string out = ip_in(r.netns) + (r.family == 6 ? " -6" : "") + " route " + verb + " " + sh_quote(r.to);
  if (!r.via.empty()) out += " via " + sh_quote(r.via);
  if (!r.dev.empty()) out += " dev " + sh_quote(r.dev);
  if (r.metric) out += " metric " + std::to_string(*r.metric);
  if (r.table) out += " table " + std::to_string(*r.table);
  return out;
}

}  // namespace

std::string ip_in(const std::string& netns) { return netns.empty() ? "ip" : "ip -n " + sh_quote(netns); }

std::string ShellKernel::take() {
  std::string out;
  out.swap(out_);
  last_announced_.clear();
  return out;
}

void ShellKernel::put(const std::string& command) { out_ += command + "\n"; }

Status ShellKernel::line(const std::string& command) {
  put(command);
  return {};
}

void ShellKernel::announce(const std::string& what, const std::vector<std::string>& notes, const std::string& where) {
  // Consecutive steps of one profile line share a comment. The comparison includes WHERE even
  // when it is not printed, so the script has the same comments with and without locations.
  std::string located = where.empty() ? what : where + ": " + what;
  if (located == last_announced_) return;
  last_announced_ = located;
  out_ += "\n# " + sh_comment_text(locations_ ? located : what) + "\n";
  for (const auto& note : notes) out_ += "#   " + sh_comment_text(note) + "\n";
}

// ---- cgroups -------------------------------------------------------------------------------

SysResult<bool> ShellKernel::cgroup_exists(const std::string&) { return false; }
// -p: a shared ancestor (nsplan/) may be there already; apply then leaves it as it is.
Status ShellKernel::cgroup_mkdir(const std::string& dir) { return line("mkdir -p " + sh_quote(dir)); }
Status ShellKernel::cgroup_rmdir(const std::string& dir) { return line("rmdir " + sh_quote(dir)); }
SysResult<std::string> ShellKernel::cgroup_read(const std::string& dir, const std::string& file) {
  return not_there(dir + "/" + file);
}
Status ShellKernel::cgroup_write(const std::string& dir, const std::string& file, const std::string& value) {
  return line(sh_write(value, dir + "/" + file));
}
Status ShellKernel::cgroup_copy_from_parent(const std::string& dir, const std::string& file) {
  return line("cat " + sh_quote(parent_of(dir) + "/" + file) + " > " + sh_quote(dir + "/" + file));
}
SysResult<bool> ShellKernel::cgroup_disable_unless_used(const std::string& dir, const std::vector<std::string>& controllers) {
  std::string value;
  for (const auto& c : controllers) value += (value.empty() ? "-" : " -") + c;
  // v2 only (subtree_control): cgroup.stat counts the cgroups below.
  put("if grep -qx 'nr_descendants 0' " + sh_quote(dir + "/cgroup.stat") + "; then " +
       sh_write(value, dir + "/cgroup.subtree_control") + "; fi");
  return true;
}
SysResult<bool> ShellKernel::cgroup_remove_unless_shared(const std::string& dir) {
  // rmdir refuses while tasks or cgroups are inside; with no task inside, other cgroups are
  // below it, and then it stays.
  put("rmdir " + sh_quote(dir) + " || [ -z \"$(cat " + sh_quote(dir + "/cgroup.procs") + ")\" ]");
  return true;
}

SysResult<KernelId> ShellKernel::cgroup_id(const std::string&) { return KernelId{}; }

// ---- systemd -------------------------------------------------------------------------------

namespace {
// The unit's process as the script reads it, where it uses it.
std::string main_pid_text(const std::string& unit) { return "$(systemctl show --value --property=MainPID " + sh_quote(unit) + ")"; }
}  // namespace

// A unit the script has not started reads as absent; one it started, as systemd would show it.
SysResult<UnitState> ShellKernel::unit_state(const std::string& unit) {
  auto it = units_started_.find(unit);
  if (it == units_started_.end()) return not_there(unit);
  return UnitState{"active", it->second, true, true, main_pid_text(unit)};
}
// systemd-run waits until the unit's command runs (Type=exec).
Status ShellKernel::unit_start(const std::string& unit, const std::string& slice) {
  std::string command = "systemd-run";
  for (const auto& a : delegated_unit_run_arguments(unit, slice)) command += " " + sh_quote(a);
  return line(command);
}
// ---- the uplink --------------------------------------------------------------------------------

namespace {
std::string proc_sys(const std::string& key) {
  std::string path = "/proc/sys/" + key;
  for (size_t i = 10; i < path.size(); ++i)
    if (path[i] == '.') path[i] = '/';
  return path;
}
}  // namespace

// The value of a new network namespace, the host the script is written for (forwarding off):
// apply records the value it finds instead.
SysResult<std::string> ShellKernel::sysctl_read(const std::string& key) {
  if (key == "net.ipv4.ip_forward") return std::string("0");
  return not_there(key);
}
Status ShellKernel::sysctl_write(const std::string& key, const std::string& value) { return line(sh_write(value, proc_sys(key))); }
SysResult<bool> ShellKernel::sysctl_restore_unless_changed(const std::string& key, const std::string& old, const std::string& set) {
  const std::string path = proc_sys(key);
  put("if [ \"$(cat " + sh_quote(path) + ")\" = " + sh_quote(set) + " ]; then " + sh_write(old, path) + "; fi");
  return true;
}
// A table is there once the script has loaded it, with no handle a script could know (destroy's
// script deletes it by name).
SysResult<NftTableInfo> ShellKernel::nft_table(const std::string& family, const std::string& name) {
  if (nft_tables_.count(family + " " + name)) return NftTableInfo{};
  return not_there("nftables table " + family + " " + name);
}
// The ruleset as nft reads it: a quoted heredoc, so nothing in it is expanded by sh.
Status ShellKernel::nft_load(const std::string& family, const std::string& name, const std::string& ruleset) {
  nft_tables_.insert(family + " " + name);
  return line("nft -f - <<'NSPLAN_NFT'\n" + ruleset + "NSPLAN_NFT");
}
Status ShellKernel::nft_delete_table(const std::string& family, const std::string& name, uint64_t handle) {
  return line("nft delete table " + sh_quote(family) + " " + (handle ? "handle " + std::to_string(handle) : sh_quote(name)));
}

// The default's steps, with the process id read by the script itself: systemctl writes it
// straight into cgroup.procs.
Status ShellKernel::unit_start_delegated(const std::string& unit, const std::string& slice, const std::string& dir) {
  (void)unit_start(unit, slice);
  units_started_[unit] = dir;
  // The check apply makes: systemd chose the cgroup, and everything below depends on it.
  const std::string control_group = dir.compare(0, cgroup_root_.size(), cgroup_root_) == 0 ? dir.substr(cgroup_root_.size()) : dir;
  auto property = [&](const char* name) { return "\"$(systemctl show --value --property=" + std::string(name) + " " + sh_quote(unit) + ")\""; };
  put("if [ " + property("ControlGroup") + " != " + sh_quote(control_group) + " ] || [ " + property("Delegate") + " != yes ]; then");
  put("  echo " + sh_quote("nsplan: systemd did not give " + unit + " the cgroup " + control_group + " with Delegate=yes") + " >&2");
  put("  exit 1");
  put("fi");
  const std::string keeper = dir + "/" + kKeeperCgroup;
  put("mkdir " + sh_quote(keeper));
  put("systemctl show --value --property=MainPID " + sh_quote(unit) + " > " + sh_quote(keeper + "/cgroup.procs"));
  return {};
}
SysResult<bool> ShellKernel::unit_stop_unless_used(const std::string& unit, const std::string& dir, const std::string& main_pid) {
  units_started_.erase(unit);
  const std::string keeper = dir + "/" + kKeeperCgroup;
  put("if grep -qx 'nr_descendants 1' " + sh_quote(dir + "/cgroup.stat") + " && [ -z \"$(cat " + sh_quote(dir + "/cgroup.procs") +
      ")\" ] && [ \"$(cat " + sh_quote(keeper + "/cgroup.procs") + ")\" = \"" + main_pid +
      "\" ]; then systemctl stop " + sh_quote(unit) + "; fi");
  return true;
}

SysResult<std::vector<FileAccess>> ShellKernel::cgroup_access(const std::string& dir, const std::vector<std::string>&,
                                                              const std::vector<std::string>&) {
  return not_there(dir);
}
// chown(1) and chmod(1) as an admin types them: "*" is the shell's glob, and with files left out
// a find(1) over the directory's files.
Status ShellKernel::cgroup_set_access(const std::string& dir, const std::vector<std::string>& files,
                                      const std::vector<std::string>& except, const std::string& user,
                                      const std::string& group, std::optional<uint32_t> mode) {
  auto word = [](const std::string& w) {
    const bool plain = std::all_of(w.begin(), w.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; });
    return plain ? w : sh_quote(w);
  };
  const std::string owner = user.empty() && group.empty() ? "" : word(user) + (group.empty() ? "" : ":" + word(group));
  char octal[8];
  if (mode) std::snprintf(octal, sizeof octal, "%04o", *mode);
  if (files.size() == 1 && files[0] == "*" && !except.empty()) {
    std::string cmd = "find " + sh_quote(dir) + " -maxdepth 1 -type f";
    for (const auto& e : except) cmd += " ! -name " + sh_quote(e);
    if (!owner.empty()) cmd += " -exec chown " + owner + " {} +";
    if (mode) cmd += std::string(" -exec chmod ") + octal + " {} +";
    return line(cmd);
  }
  std::string operands;
  for (const auto& f : files)
    operands += " " + (f == "." ? sh_quote(dir) : f == "*" ? sh_quote(dir) + "/*" : sh_quote(dir + "/" + f));
  if (!owner.empty()) put("chown " + owner + operands);
  if (mode) put(std::string("chmod ") + octal + operands);
  return {};
}

// sh cannot load a BPF program: the line says what apply does instead, marked so that a reader
// (and explain --strict) cannot take the script for the whole of it.
SysResult<std::vector<AttachedProgram>> ShellKernel::device_programs(const std::string&) {
  return std::vector<AttachedProgram>{};
}
Status ShellKernel::device_program_attach(const std::string& dir, bool default_allow, const std::vector<std::string>& exceptions) {
  not_in_sh_.push_back(last_announced_);
  std::string rules;
  for (const auto& e : exceptions) rules += (rules.empty() ? "" : ", ") + e;
  put("# NOT IN SH: nsplan apply loads a BPF device program (" + device_rules::program_name(default_allow, exceptions) +
      ") and attaches it to " + sh_comment_text(dir) + ": " + (default_allow ? "every device but " : "no device but ") +
      (rules.empty() ? "none" : sh_comment_text(rules)));
  return {};
}
Status ShellKernel::device_program_detach(const std::string& dir, uint32_t) {
  put("# NOT IN SH: nsplan destroy detaches its BPF device program from " + sh_comment_text(dir));
  return {};
}

// ---- namespaces ----------------------------------------------------------------------------

SysResult<bool> ShellKernel::netns_exists(const std::string&) { return false; }
Status ShellKernel::netns_create(const std::string& name) { return line("ip netns add " + sh_quote(name)); }
Status ShellKernel::netns_delete(const std::string& name) { return line("ip netns delete " + sh_quote(name)); }
SysResult<bool> ShellKernel::ns_exists(const std::string&) { return false; }
Status ShellKernel::ns_create(plan::NsKind kind, const std::string& path) {
  // As `ip netns add` keeps /run/netns: a private directory, a shared mount, a file to bind on.
  std::string dir = sh_quote(parent_of(path));
  put("mkdir -p -m 0700 " + dir);
  put("mount --make-shared " + dir + " 2>/dev/null || { mount --bind " + dir + " " + dir + " && mount --make-shared " + dir + "; }");
  put("touch " + sh_quote(path));
  return line(std::string("unshare ") + plan::unshare_flag(kind) + "=" + sh_quote(path) + " true");
}
Status ShellKernel::ns_delete(const std::string& path) {
  put("umount -l " + sh_quote(path));
  return line("rm -f " + sh_quote(path));
}
SysResult<KernelId> ShellKernel::ns_id(const std::string&) { return KernelId{}; }
SysResult<std::pair<std::string, std::string>> ShellKernel::hostname(const std::string& ns_path) { return not_there(ns_path); }
Status ShellKernel::set_hostname(const std::string& ns_path, const std::string& host, const std::string& domain) {
  if (!host.empty()) put("nsenter --uts=" + sh_quote(ns_path) + " hostname " + sh_quote(host));
  if (!domain.empty()) put("nsenter --uts=" + sh_quote(ns_path) + " domainname " + sh_quote(domain));
  return {};
}

SysResult<std::optional<std::string>> ShellKernel::netns_etc_read(const std::string&, const std::string&) {
  return std::optional<std::string>();
}
Status ShellKernel::netns_etc_create(const std::string& netns, const std::string& file, const std::string& text) {
  etc_dirs_.insert(netns);
  out_ += render_netns_etc_create(netns, file, text);
  return {};
}
// The host the script is written for has no /etc/netns/NETNS of the profile's until it makes one.
SysResult<KernelId> ShellKernel::netns_etc_id(const std::string& netns, const std::string& file) {
  if (file.empty() && !etc_dirs_.count(netns)) return not_there("/etc/netns/" + netns);
  return KernelId{};
}
Status ShellKernel::netns_etc_remove(const std::string& netns, const std::string& file, bool dir_too) {
  out_ += render_netns_etc_remove(netns, file, dir_too);
  return {};
}

// ---- links ---------------------------------------------------------------------------------

uint32_t ShellKernel::link_group_claim(uint32_t preferred, const std::set<uint32_t>& taken) {
  uint32_t group = Kernel::link_group_claim(preferred, taken);
  announce("the link group of the profile's host-side links: " + std::to_string(group),
           {"destroy deletes the profile's host-side links with one request for the group"});
  out_ += "# nsplan apply: takes " + std::to_string(preferred) +
          " unless another profile's state records it, then the next group none records\n";
  put("group=" + std::to_string(group));
  claimed_group_ = group;
  return group;
}

std::string ShellKernel::group_text(uint32_t group) const {
  return group == claimed_group_ ? std::string("\"$group\"") : std::to_string(group);
}

// `ip link add NAME type KIND`, the form the registry's entry asks for: a peer's name and
// namespace, a parent (the request runs where the parent is), ` id N` or ` mode M`.
Status ShellKernel::link_create(const plan::CreateLink& a) {
  const LinkKindInfo& k = link_kind(a.kind);
  std::string group = a.group ? " group " + group_text(a.group) : "";
  std::string out;
  if (k.parent && k.underlay && !a.parent.empty())  // the request runs where the underlay is
    out = ip_in(a.parent_netns) + " link add " + sh_quote(a.name) + (a.netns != a.parent_netns ? " netns " + sh_quote(a.netns) : "");
  else if (k.parent && !a.parent.empty())
    out = ip_in(a.parent_netns) + " link add link " + sh_quote(a.parent) + " name " + sh_quote(a.name) +
          (a.netns != a.parent_netns ? " netns " + sh_quote(a.netns) : "");
  else
    out = ip_in(a.netns) + " link add " + sh_quote(a.name);
  out += (a.netns.empty() ? group : "") + " type " + std::string(k.name);
  if (k.peer) out += " peer name " + sh_quote(a.peer_name) + (a.peer_netns.empty() ? group : " netns " + sh_quote(a.peer_netns));
  if (k.id) out += " id " + std::to_string(a.vlan_id);
  if (!k.modes.empty()) out += " mode " + sh_quote(a.mode);
  if (a.kind == plan::LinkKind::Vxlan) out += vxlan_words(a);
  if (Status s = line(out); !s || a.kind != plan::LinkKind::Wireguard) return s;
  // The same arguments apply gives /usr/bin/wg (compiler/link_tunnels.h), in the link's namespace.
  out_ += "# nsplan apply: refuses a key file that is a symlink, not a regular file, not root's (or the\n"
          "#   invoking user's) or open to group or other, before anything changes\n";
  std::string wg = a.netns.empty() ? std::string() : "ip netns exec " + sh_quote(a.netns) + " ";
  std::vector<std::string> args = wg_set_args(a.name, a.wireguard);
  for (size_t i = 0; i < args.size(); ++i) wg += (i ? " " : "") + sh_quote(args[i]);
  return line(wg);
}

// ` id N dstport P remote A [local B] [dev PARENT] [ttl T]`: a vxlan's own words.
std::string ShellKernel::vxlan_words(const plan::CreateLink& a) {
  const plan::VxlanSettings& v = a.vxlan;
  std::string out = " id " + std::to_string(v.vni) + " dstport " + std::to_string(v.port);
  if (!v.remote.empty()) out += " remote " + sh_quote(v.remote);
  if (!v.group.empty()) out += " group " + sh_quote(v.group);
  if (!v.local.empty()) out += " local " + sh_quote(v.local);
  if (!a.parent.empty()) out += " dev " + sh_quote(a.parent);
  if (v.ttl) out += " ttl " + std::to_string(v.ttl);
  return out;
}
Status ShellKernel::link_delete(const std::string& netns, const std::string& name) {
  return line(ip_in(netns) + " link delete " + sh_quote(name));
}
Status ShellKernel::link_group_delete(const std::string& netns, uint32_t group, const std::set<int>&) {
  return line(ip_in(netns) + " link delete group " + group_text(group));
}
Status ShellKernel::link_move(const std::string& from, const std::string& name, const std::string& to, const std::string& new_name) {
  // A device going back to the host: destroy gives it what the host had given it, as apply found
  // it (the MoveLinkBack and RestoreMtu records); the script's apply saw no device (it observes
  // a host where nothing of the profile exists), so there is nothing to render but the move.
  if (to.empty())
    out_ += "# nsplan destroy: gives " + sh_quote(new_name.empty() ? name : new_name) + " back as the host had it before apply (mtu, up, bridge,\n"
            "#   addresses, routes); this script, written before apply, does not know that: it moves it back\n";
  // "" is the namespace nsplan runs in: the script's own ("$$").
  return line(ip_in(from) + " link set " + sh_quote(name) + " netns " + (to.empty() ? std::string("\"$$\"") : sh_quote(to)) +
              (new_name.empty() ? std::string() : " name " + sh_quote(new_name)));
}
Status ShellKernel::link_rename(const std::string& netns, const std::string& name, const std::string& new_name) {
  return line(ip_in(netns) + " link set " + sh_quote(name) + " name " + sh_quote(new_name));
}
// ip(8) lists a link of another kind as nothing at all under `type bridge`.
Status ShellKernel::link_require_bridge(const std::string& netns, const std::string& name) {
  put("if [ -z \"$(" + ip_in(netns) + " -o link show dev " + sh_quote(name) + " type bridge 2>/dev/null)\" ]; then");
  put("  echo " + sh_quote("nsplan: " + name + " is not a bridge of " + (netns.empty() ? std::string("the host") : netns)) + " >&2");
  put("  exit 1");
  put("fi");
  return {};
}
Status ShellKernel::link_mac(const std::string& netns, const std::string& dev, const std::string& mac) {
  return line(ip_in(netns) + " link set " + sh_quote(dev) + " address " + sh_quote(mac));
}
Status ShellKernel::link_mtu(const std::string& netns, const std::string& dev, uint32_t mtu) {
  return line(ip_in(netns) + " link set " + sh_quote(dev) + " mtu " + std::to_string(mtu));
}
Status ShellKernel::link_master(const std::string& netns, const std::string& dev, const std::string& master) {
  return line(ip_in(netns) + " link set " + sh_quote(dev) + (master.empty() ? std::string(" nomaster") : " master " + sh_quote(master)));
}
Status ShellKernel::link_up(const std::string& netns, const std::string& dev, bool up) {
  return line(ip_in(netns) + " link set " + sh_quote(dev) + (up ? " up" : " down"));
}
void ShellKernel::settle_links(const std::string& netns, const std::vector<std::string>& names) {
  for (const auto& name : names) (void)line(ip_in(netns) + " link show dev " + sh_quote(name) + " > /dev/null");
}
Status ShellKernel::address_add(const std::string& netns, const std::string& dev, const std::string& cidr, bool nodad) {
  return line(ip_in(netns) + " addr add " + sh_quote(cidr) + " dev " + sh_quote(dev) + (nodad ? " nodad" : ""));
}
Status ShellKernel::address_del(const std::string& netns, const std::string& dev, const std::string& cidr) {
  return line(ip_in(netns) + " addr del " + sh_quote(cidr) + " dev " + sh_quote(dev));
}
Status ShellKernel::route_add(const RouteSpec& r) { return line(route_words(r, "add")); }
Status ShellKernel::route_del(const RouteSpec& r) { return line(route_words(r, "del")); }
SysResult<std::vector<LinkInfo>> ShellKernel::links(const std::string&) { return std::vector<LinkInfo>(); }
SysResult<std::vector<AddressInfo>> ShellKernel::addresses(const std::string&) { return std::vector<AddressInfo>(); }
SysResult<std::vector<RouteInfo>> ShellKernel::routes(const std::string&) { return std::vector<RouteInfo>(); }
SysResult<KernelId> ShellKernel::link_id(const std::string&, const std::string&) { return KernelId{}; }

}  // namespace nsplan::applier
