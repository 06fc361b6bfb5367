#include "compiler/overloaded.h"
#include "compiler/json_emitter.h"

#include <cstdio>

#include <nlohmann/json.hpp>

namespace nsplan {
namespace {

using namespace plan;
using json = nlohmann::ordered_json;

json vxlan_json(const VxlanSettings& v) {
  json j;
  j["vni"] = v.vni;
  if (!v.remote.empty()) j["remote"] = v.remote;
  if (!v.group.empty()) j["group"] = v.group;
  if (!v.local.empty()) j["local"] = v.local;
  j["port"] = v.port;
  if (v.ttl) j["ttl"] = v.ttl;
  return j;
}

// Key files by path only: the keys never enter the plan's text.
json wireguard_json(const WireguardSettings& w) {
  json j;
  j["private_key_file"] = w.private_key_file;
  if (w.listen_port) j["listen_port"] = w.listen_port;
  json peers = json::array();
  for (const auto& p : w.peers) {
    json pj;
    pj["public_key"] = p.public_key;
    if (!p.endpoint.empty()) pj["endpoint"] = p.endpoint;
    pj["allowed_ips"] = p.allowed_ips;
    if (p.persistent_keepalive) pj["persistent_keepalive"] = p.persistent_keepalive;
    if (!p.preshared_key_file.empty()) pj["preshared_key_file"] = p.preshared_key_file;
    peers.push_back(pj);
  }
  j["peers"] = peers;
  return j;
}


json action_json(const Action& action) {
  json j;
  j["op"] = op_name(action);
  std::visit(overloaded{
                 [&](const MakeCgroup& a) { j["dir"] = a.dir; },
                 [&](const EnableControllers& a) {
                   j["dir"] = a.dir;
                   j["controllers"] = a.controllers;
                 },
                 [&](const WriteCgroupFile& a) {
                   j["dir"] = a.dir;
                   j["file"] = a.file;
                   j["value"] = a.value;
                 },
                 [&](const CopyFromParent& a) {
                   j["dir"] = a.dir;
                   j["file"] = a.file;
                 },
                 [&](const SetDeviceAccess& a) {
                   j["dir"] = a.dir;
                   j["mechanism"] = a.bpf ? "bpf" : "v1";
                   j["default"] = a.default_allow ? "allow" : "deny";
                   j["exceptions"] = a.exceptions;
                 },
                 [&](const AddDeviceRule& a) {
                   j["dir"] = a.dir;
                   j["file"] = a.allow ? "devices.allow" : "devices.deny";
                   j["rule"] = a.rule;
                 },
                 [&](const DelegatedUnit& a) {
                   j["unit"] = a.unit;
                   j["slice"] = a.slice;
                   j["dir"] = a.dir;
                 },
                 [&](const SetCgroupAccess& a) {
                   j["dir"] = a.dir;
                   j["files"] = a.files;
                   if (!a.except.empty()) j["except"] = a.except;
                   if (!a.user.empty()) j["user"] = a.user;
                   if (!a.group.empty()) j["group"] = a.group;
                   if (a.mode) {
                     char mode[8];
                     std::snprintf(mode, sizeof mode, "%04o", *a.mode);
                     j["mode"] = mode;
                   }
                 },
                 [&](const CreateNetns& a) { j["name"] = a.name; },
                 [&](const CreateNamespace& a) {
                   j["kind"] = to_string(a.kind);
                   j["name"] = a.name;
                   j["path"] = a.path;
                 },
                 [&](const WriteNetnsFile& a) {
                   j["netns"] = a.netns;
                   j["file"] = a.file;
                   j["text"] = a.text;
                 },
                 [&](const SetHostname& a) {
                   j["ns_path"] = a.ns_path;
                   if (!a.hostname.empty()) j["hostname"] = a.hostname;
                   if (!a.domainname.empty()) j["domainname"] = a.domainname;
                 },
                 [&](const CreateLink& a) {
                   j["netns"] = a.netns;
                   j["name"] = a.name;
                   j["kind"] = to_string(a.kind);
                   if (a.group) j["group"] = a.group;
                   if (!a.parent.empty()) {
                     j["parent"] = a.parent;
                     j["parent_netns"] = a.parent_netns;
                   }
                   if (!a.mode.empty()) j["mode"] = a.mode;
                   if (a.vlan_id) j["vlan_id"] = a.vlan_id;
                   if (!a.peer_name.empty()) {
                     j["peer_name"] = a.peer_name;
                     j["peer_netns"] = a.peer_netns;
                   }
                   if (a.kind == LinkKind::Vxlan) j["vxlan"] = vxlan_json(a.vxlan);
                   if (a.kind == LinkKind::Wireguard) j["wireguard"] = wireguard_json(a.wireguard);
                 },
                 [&](const MoveLink& a) {
                   j["name"] = a.name;
                   j["netns"] = a.netns;
                   if (!a.new_name.empty()) j["new_name"] = a.new_name;
                 },
                 [&](const SetMac& a) {
                   j["netns"] = a.netns;
                   j["dev"] = a.dev;
                   j["mac"] = a.mac;
                 },
                 [&](const SetMtu& a) {
                   j["netns"] = a.netns;
                   j["dev"] = a.dev;
                   j["mtu"] = a.mtu;
                 },
                 [&](const SetMaster& a) {
                   j["netns"] = a.netns;
                   j["dev"] = a.dev;
                   j["master"] = a.master;
                   if (a.host_bridge) j["host_bridge"] = true;
                 },
                 [&](const AddAddress& a) {
                   j["netns"] = a.netns;
                   j["dev"] = a.dev;
                   j["cidr"] = a.cidr;
                   if (a.nodad) j["nodad"] = true;
                 },
                 [&](const SetLinkUp& a) {
                   j["netns"] = a.netns;
                   j["dev"] = a.dev;
                 },
                 [&](const AddRoute& a) {
                   j["netns"] = a.netns;
                   j["to"] = a.to;
                   if (!a.via.empty()) j["via"] = a.via;
                   if (!a.dev.empty()) j["dev"] = a.dev;
                   j["family"] = a.family;
                   if (a.metric) j["metric"] = *a.metric;
                   if (a.table) j["table"] = *a.table;
                 },
                 [&](const SetSysctl& a) {
                   j["key"] = a.key;
                   j["value"] = a.value;
                 },
                 [&](const NftTable& a) {
                   j["family"] = a.family;
                   j["name"] = a.name;
                   j["comment"] = a.comment;
                   j["ruleset"] = a.ruleset;
                 },
             },
             action);
  return j;
}

json inside_json(const InsideStep& step) {
  json j;
  std::visit(overloaded{
                 [&](const LoopbackUp&) { j["op"] = "loopback_up"; },
                 [&](const SetUtsName& s) {
                   j["op"] = "set_uts_name";
                   if (!s.hostname.empty()) j["hostname"] = s.hostname;
                   if (!s.domainname.empty()) j["domainname"] = s.domainname;
                 },
                 [&](const MountPropagation& s) {
                   j["op"] = "mount_propagation";
                   j["mode"] = s.mode;
                 },
                 [&](const MakeMountPoint& s) {
                   j["op"] = "make_mount_point";
                   j["path"] = s.path;
                   if (!s.source_of_kind.empty()) j["like"] = s.source_of_kind;
                 },
                 [&](const Mount& s) {
                   static const char* kTypes[] = {"proc", "tmpfs", "bind", "devpts", "mqueue", "sysfs"};
                   j["op"] = "mount";
                   j["type"] = kTypes[static_cast<int>(s.type)];
                   j["source"] = s.source;
                   j["target"] = s.target;
                   if (!s.flags.empty()) j["flags"] = s.flags;
                   if (!s.data.empty()) j["data"] = s.data;
                   if (s.recursive) j["recursive"] = true;
                 },
                 [&](const RemountReadOnly& s) {
                   j["op"] = "remount_read_only";
                   j["target"] = s.target;
                   j["recursive"] = s.recursive;
                 },
                 [&](const PivotRoot& s) {
                   j["op"] = "pivot_root";
                   j["root"] = s.root;
                 },
                 [&](const SetRlimit& s) {
                   auto v = [](uint64_t n) { return n == UINT64_MAX ? json("unlimited") : json(n); };
                   j["op"] = "set_rlimit";
                   j["name"] = s.name;
                   j["soft"] = v(s.soft);
                   j["hard"] = v(s.hard);
                 },
                 [&](const ChangeDir& s) {
                   j["op"] = "change_dir";
                   j["dir"] = s.dir;
                 },
                 [&](const WriteFile& s) {
                   j["op"] = "write_file";
                   j["path"] = s.path;
                   j["mode"] = s.mode;
                   j["text"] = s.text;
                 },
                 [&](const Unmount& s) {
                   j["op"] = "unmount";
                   j["target"] = s.target;
                 },
                 [&](const MakeSymlink& s) {
                   j["op"] = "make_symlink";
                   j["path"] = s.path;
                   j["target"] = s.target;
                 },
                 [&](const MountOverlay& s) {
                   j["op"] = "mount_overlay";
                   j["target"] = s.target;
                   j["lower"] = s.lower;
                   if (!s.upper.empty()) j["upper"] = s.upper;
                   if (!s.work.empty()) j["work"] = s.work;
                 },
                 [&](const CreatePath& s) {
                   using K = CreatePath::Kind;
                   j["op"] = s.kind == K::Dir ? "create_dir" : s.kind == K::File ? "create_file" : "create_symlink";
                   j["path"] = s.path;
                   if (s.kind == K::Symlink) j["target"] = s.target;
                   else j["mode"] = s.mode;
                   if (s.kind == K::File) j["text"] = s.text;
                 },
             },
             step);
  return j;
}


json capability_change_json(const CapabilityChange& c) {
  json j = json::object();
  if (c.clear_all) j["clear_all"] = true;
  j["add"] = c.add;
  j["drop"] = c.drop;
  return j;
}

// Launch::process (plan_process.h): only what the profile sets.
json process_json(const ProcessAttrs& p) {
  json j = json::object();
  if (p.umask) j["umask"] = *p.umask;
  if (p.nice) j["nice"] = *p.nice;
  if (p.oom_score_adj) j["oom_score_adj"] = *p.oom_score_adj;
  if (p.ioprio) j["ioprio"] = {{"class", p.ioprio->io_class}, {"level", p.ioprio->level}};
  if (p.sched) j["sched"] = {{"policy", p.sched->policy}, {"priority", p.sched->priority}};
  if (!p.cpus.empty()) j["cpus"] = p.cpus;
  if (p.caps.any())
    j["capabilities"] = {{"bounding", capability_change_json(p.caps.bounding)},
                         {"inheritable", capability_change_json(p.caps.inheritable)},
                         {"ambient", capability_change_json(p.caps.ambient)}};
  return j;
}

json launch_json(const Launch& l) {
  json j;
  j["from"] = l.origin.where;
  j["cgroup_procs"] = l.cgroup_procs;
  j["join"] = json::array();
  for (const auto& n : l.join) j["join"].push_back({{"kind", to_string(n.kind)}, {"path", n.path}});
  const NewNamespaces& u = l.unshare;
  j["unshare"] = json::array();
  for (auto k : u.kinds) j["unshare"].push_back(to_string(k));
  if (u.clear_groups_first) j["clear_groups_first"] = true;
  if (u.caller_keeps_groups) j["caller_keeps_groups"] = true;
  if (!u.uid_map.empty()) j["uid_map"] = u.uid_map;
  if (!u.gid_map.empty()) j["gid_map"] = u.gid_map;
  if (!u.setgroups.empty()) j["setgroups"] = u.setgroups;
  if (u.setuid_root) j["setuid_root"] = true;
  if (u.setgid_root) j["setgid_root"] = true;
  if (u.root_inside) j["root_inside"] = true;
  if (u.monotonic_offset) j["monotonic_offset"] = u.monotonic_offset;
  if (u.boottime_offset) j["boottime_offset"] = u.boottime_offset;
  j["inside"] = json::array();
  for (const auto& step : l.inside) j["inside"].push_back(inside_json(step));
  const Identity& id = l.identity;
  if (id.uid) j["uid"] = *id.uid;
  if (id.gid) j["gid"] = *id.gid;
  if (id.set_groups) j["groups"] = id.groups;
  j["no_new_privs"] = id.no_new_privs;
  if (l.process.any_attr() || l.process.caps.any()) j["process"] = process_json(l.process);
  j["keep_fds"] = l.keep_fds;
  j["clear_env"] = l.clear_env;
  if (!l.env.empty()) {
    json e = json::array();
    for (const auto& [k, v] : l.env) e.push_back({k, v});
    j["env"] = e;
  }
  j["command"] = l.command;
  if (l.ephemeral) j["ephemeral"] = true;
  if (l.seccomp) {
    const SeccompFilter& f = *l.seccomp;
    j["seccomp"] = {{"from", f.origin.where}, {"list", f.allow_list ? "allow" : "deny"}, {"action", f.action},
                    {"syscalls", f.syscalls}};
    if (f.action == "errno") j["seccomp"]["errno"] = f.errno_name;
  }
  if (l.init) j["init"] = true;
  if (l.rootless_net)
    j["rootless_net"] = {{"from", l.rootless_net->origin.where}, {"program", l.rootless_net->program}, {"options", l.rootless_net->options},
                         {"system_dirs_only", l.rootless_net->system_dirs_only}};
  return j;
}

}  // namespace

json diagnostic_json(const Diagnostic& d, const SourceManager& sm) {
  json j;
  const bool placed = d.loc.valid() && d.loc.file <= sm.size();
  j["file"] = placed ? json(sm.file(d.loc.file).path) : json(nullptr);
  j["line"] = placed ? json(d.loc.line) : json(nullptr);
  j["column"] = placed ? json(d.loc.col) : json(nullptr);
  j["where"] = placed ? sm.describe(d.loc) : "";
  j["severity"] = severity_name(d.severity);
  j["message"] = d.message;
  j["hint"] = d.hint.empty() ? json(nullptr) : json(d.hint);
  return j;
}

const char* op_name(const Action& action) {
  return std::visit(overloaded{
                        [](const DelegatedUnit&) { return "delegated_unit"; },
                        [](const MakeCgroup&) { return "make_cgroup"; },
                        [](const EnableControllers&) { return "enable_controllers"; },
                        [](const WriteCgroupFile&) { return "write_cgroup_file"; },
                        [](const CopyFromParent&) { return "copy_from_parent"; },
                        [](const SetDeviceAccess&) { return "set_device_access"; },
                        [](const AddDeviceRule&) { return "add_device_rule"; },
                        [](const SetCgroupAccess&) { return "set_cgroup_access"; },
                        [](const CreateNetns&) { return "create_netns"; },
                        [](const WriteNetnsFile&) { return "write_netns_file"; },
                        [](const CreateNamespace&) { return "create_namespace"; },
                        [](const SetHostname&) { return "set_hostname"; },
                        [](const CreateLink&) { return "create_link"; },
                        [](const MoveLink&) { return "move_link"; },
                        [](const SetMac&) { return "set_mac"; },
                        [](const SetMtu&) { return "set_mtu"; },
                        [](const SetMaster&) { return "set_master"; },
                        [](const AddAddress&) { return "add_address"; },
                        [](const SetLinkUp&) { return "set_link_up"; },
                        [](const AddRoute&) { return "add_route"; },
                        [](const SetSysctl&) { return "set_sysctl"; },
                        [](const NftTable&) { return "nft_table"; },
                    },
                    action);
}

std::string emit_json(const plan::Plan& plan, const Diagnostics& diags, const SourceManager& sm) {
  json j;
  j["nsplan_plan"] = Plan::kJsonVersion;
  j["profile"] = plan.profile;
  j["source"] = plan.source;
  json target;
  target["cgroup"] = to_string(plan.facts.mode);
  target["cgroup_root"] = plan.facts.cgroup_root;
  if (!plan.facts.cgroup_parent.empty()) target["cgroup_parent"] = plan.facts.cgroup_parent;
  if (plan.facts.systemd) target["systemd"] = true;
  target["state_dir"] = plan.facts.state_dir;
  j["target"] = target;
  j["diagnostics"] = json::array();
  for (const auto& d : diags.all()) j["diagnostics"].push_back(diagnostic_json(d, sm));
  j["cgroup_dirs"] = plan.cgroup_dirs;
  j["steps"] = json::array();
  for (const auto& s : plan.steps) {
    json sj = action_json(s.action);
    sj["from"] = s.origin.where;
    sj["what"] = s.origin.what;
    j["steps"].push_back(sj);
  }
  j["launch"] = plan.launch ? launch_json(*plan.launch) : json(nullptr);
  return j.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace nsplan
