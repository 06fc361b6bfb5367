#include "compiler/overloaded.h"
#include "compiler/json_emitter.h"

#include <nlohmann/json.hpp>

namespace nsplan {
namespace {

using namespace plan;
using json = nlohmann::ordered_json;


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
                 [&](const CreateNetns& a) { j["name"] = a.name; },
                 [&](const CreateNamespace& a) {
                   j["kind"] = to_string(a.kind);
                   j["name"] = a.name;
                   j["path"] = a.path;
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
                 },
                 [&](const MoveLink& a) {
                   j["name"] = a.name;
                   j["netns"] = a.netns;
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
                 },
                 [&](const AddAddress& a) {
                   j["netns"] = a.netns;
                   j["dev"] = a.dev;
                   j["cidr"] = a.cidr;
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
             },
             action);
  return j;
}

json launch_json(const Launch& l) {
  json j;
  j["from"] = l.origin.where;
  j["cgroup_procs"] = l.cgroup_procs;
  j["join"] = json::array();
  for (const auto& n : l.join) j["join"].push_back({{"kind", to_string(n.kind)}, {"path", n.path}});
  j["unshare"] = json::array();
  for (auto k : l.unshare) j["unshare"].push_back(to_string(k));
  if (!l.hostname.empty()) j["hostname"] = l.hostname;
  if (!l.domainname.empty()) j["domainname"] = l.domainname;
  if (!l.uid_map.empty()) j["uid_map"] = l.uid_map;
  if (!l.gid_map.empty()) j["gid_map"] = l.gid_map;
  if (!l.setgroups.empty()) j["setgroups"] = l.setgroups;
  if (l.monotonic_offset) j["monotonic_offset"] = l.monotonic_offset;
  if (l.boottime_offset) j["boottime_offset"] = l.boottime_offset;
  if (!l.propagation.empty()) j["propagation"] = l.propagation;
  if (!l.mounts.empty()) {
    j["mounts"] = json::array();
    static const char* kTypes[] = {"proc", "tmpfs", "bind", "read_only"};
    for (const auto& m : l.mounts)
      j["mounts"].push_back({{"type", kTypes[static_cast<int>(m.type)]}, {"source", m.source}, {"target", m.target},
                             {"options", m.options}, {"read_only", m.read_only}});
  }
  if (!l.root.empty()) j["root"] = l.root;
  if (!l.rlimits.empty()) {
    json r = json::object();
    for (const auto& x : l.rlimits) {
      auto v = [](uint64_t n) { return n == UINT64_MAX ? json("unlimited") : json(n); };
      r[x.name] = {{"soft", v(x.soft)}, {"hard", v(x.hard)}};
    }
    j["rlimits"] = r;
  }
  if (!l.env.empty()) {
    json e = json::array();
    for (const auto& [k, v] : l.env) e.push_back({k, v});
    j["env"] = e;
  }
  if (!l.cwd.empty()) j["cwd"] = l.cwd;
  if (l.uid) j["uid"] = *l.uid;
  if (l.gid) j["gid"] = *l.gid;
  j["no_new_privs"] = l.no_new_privs;
  j["command"] = l.command;
  return j;
}

}  // namespace

const char* op_name(const Action& action) {
  return std::visit(overloaded{
                        [](const MakeCgroup&) { return "make_cgroup"; },
                        [](const EnableControllers&) { return "enable_controllers"; },
                        [](const WriteCgroupFile&) { return "write_cgroup_file"; },
                        [](const CopyFromParent&) { return "copy_from_parent"; },
                        [](const CreateNetns&) { return "create_netns"; },
                        [](const CreateNamespace&) { return "create_namespace"; },
                        [](const SetHostname&) { return "set_hostname"; },
                        [](const CreateLink&) { return "create_link"; },
                        [](const MoveLink&) { return "move_link"; },
                        [](const SetMtu&) { return "set_mtu"; },
                        [](const SetMaster&) { return "set_master"; },
                        [](const AddAddress&) { return "add_address"; },
                        [](const SetLinkUp&) { return "set_link_up"; },
                        [](const AddRoute&) { return "add_route"; },
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
  target["state_dir"] = plan.facts.state_dir;
  j["target"] = target;
  j["diagnostics"] = json::array();
  for (const auto& d : diags.all()) {
    json dj;
    dj["severity"] = severity_name(d.severity);
    dj["where"] = d.loc.valid() ? sm.describe(d.loc) : "";
    dj["message"] = d.message;
    if (!d.hint.empty()) dj["hint"] = d.hint;
    j["diagnostics"].push_back(dj);
  }
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
