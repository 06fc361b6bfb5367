#include "compiler/overloaded.h"
#include "applier/actions.h"

#include <linux/rtnetlink.h>

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "applier/cgroup_values.h"
#include "compiler/device_rules.h"
#include "compiler/escape.h"
#include "compiler/json_emitter.h"

namespace nsplan::applier {
namespace {

using namespace plan;


std::string in(const std::string& ns) { return ns.empty() ? "" : " in " + ns; }
std::string parent_of(const std::string& dir) { return dir.substr(0, dir.rfind('/')); }

std::vector<std::string> words(const std::string& s) {
  std::istringstream in(s);
  std::vector<std::string> out;
  std::string w;
  while (in >> w) out.push_back(w);
  return out;
}

Observation observe_file(Kernel& k, const std::string& dir, const std::string& file, const std::string& want) {
  Observation o;
  auto v = k.cgroup_read(dir, file);
  if (!v.ok()) {
    // Absent (the cgroup is made by an earlier step of this plan) is fine; any other failure
    // would lose the undo, so the step must not go ahead.
    if (v.err() != ENOENT) o.error = v.error();
    return o;
  }
  o.exists = true;
  o.current = v.value();
  o.satisfied = cgroup_value_matches(file, want, o.current);
  return o;
}

std::vector<std::string> lines(const std::string& s) {
  std::vector<std::string> out;
  std::istringstream in(s);
  for (std::string l; std::getline(in, l);)
    if (!l.empty()) out.push_back(l);
  return out;
}

// v1: devices.list as it is (not there yet: a cgroup an earlier step makes).
Observation observe_device_list(Kernel& k, const std::string& dir) {
  Observation o;
  auto v = k.cgroup_read(dir, "devices.list");
  if (!v.ok()) {
    if (v.err() != ENOENT) o.error = v.error();
    return o;
  }
  o.exists = true;
  o.current = v.value();
  return o;
}

// v1: devices.list against the policy. It lists the exceptions of a default-deny cgroup, but of a
// default-allow one only "a *:* rwm": its denials cannot be seen, so they are written every time.
// v2: the policy's program attached to the cgroup, known by its name.
Observation observe_devices(Kernel& k, const SetDeviceAccess& a) {
  Observation o;
  if (a.bpf) {
    auto programs = k.device_programs(a.dir);
    if (!programs.ok()) {
      if (programs.err() != ENOENT) o.error = programs.error();
      return o;
    }
    o.exists = true;
    const std::string want = device_rules::program_name(a.default_allow, a.exceptions);
    for (const auto& p : programs.value()) {
      o.current += (o.current.empty() ? "" : " ") + p.name;
      if (p.name == want) o.satisfied = true;
    }
    return o;
  }
  o = observe_device_list(k, a.dir);
  if (!o.exists) return o;
  std::vector<std::string> have = lines(o.current), want = a.exceptions;
  std::sort(have.begin(), have.end());
  std::sort(want.begin(), want.end());
  o.satisfied = a.default_allow ? a.exceptions.empty() && have == std::vector<std::string>{"a *:* rwm"} : have == want;
  return o;
}

// The profile's systemd unit: in place when it is active, delegated, and its cgroup is DIR. A
// unit that is loaded but is not that (someone else's unit of the same name, or one that failed)
// is not taken over: starting it again fails, and apply says why.
Observation observe_unit(Kernel& k, const DelegatedUnit& a) {
  Observation o;
  auto u = k.unit_state(a.unit);
  if (!u.ok()) {
    if (u.err() != ENOENT) o.error = u.error();
    return o;
  }
  const UnitState& s = u.value();
  o.exists = true;
  o.current = s.active_state + (s.delegate ? ", delegated" : ", not delegated") + ", cgroup " + s.cgroup;
  o.satisfied = s.active_state == "active" && s.delegate && s.cgroup == a.dir;
  return o;
}

// The files of a SetCgroupAccess as they are, against what it asks (owners resolved on this host).
// current: one "file uid:gid mode" line per file, which the undo is made from.
Observation observe_access(Kernel& k, const SetCgroupAccess& a) {
  Observation o;
  auto files = k.cgroup_access(a.dir, a.files, a.except);
  if (!files.ok()) {
    if (files.err() != ENOENT) o.error = files.error();
    return o;
  }
  auto ids = k.account_ids(a.user, a.group);
  if (!ids.ok()) {
    o.error = ids.error();
    return o;
  }
  o.exists = true;
  o.satisfied = true;
  for (const auto& f : files.value()) {
    o.current += access_text(f) + "\n";
    const bool owner_ok = ids.value().first < 0 || f.uid == ids.value().first;
    const bool group_ok = ids.value().second < 0 || f.gid == ids.value().second;
    const bool mode_ok = !a.mode || f.mode == *a.mode;
    o.satisfied = o.satisfied && owner_ok && group_ok && mode_ok;
  }
  return o;
}

// "tasks 1000:100 0664" lines back into what they say.
std::vector<FileAccess> access_from(const std::string& current) {
  std::vector<FileAccess> out;
  for (const auto& l : lines(current)) {
    // The name may be "the directory" (two words): the last two words are ids and mode.
    size_t mode_at = l.rfind(' '), ids_at = l.rfind(' ', mode_at - 1);
    std::string name = l.substr(0, ids_at), ids = l.substr(ids_at + 1, mode_at - ids_at - 1);
    FileAccess f;
    f.file = name == "the directory" ? "." : name;
    f.uid = static_cast<uint32_t>(std::stoul(ids.substr(0, ids.find(':'))));
    f.gid = static_cast<uint32_t>(std::stoul(ids.substr(ids.find(':') + 1)));
    f.mode = static_cast<uint32_t>(std::stoul(l.substr(mode_at + 1), nullptr, 8));
    out.push_back(f);
  }
  return out;
}

std::string access_wanted(const SetCgroupAccess& a) {
  std::string files;
  for (const auto& f : a.files) files += (files.empty() ? "" : " ") + (f == "." ? std::string("(the directory)") : f);
  for (const auto& e : a.except) files += " but " + e;
  char mode[8] = "";
  if (a.mode) std::snprintf(mode, sizeof mode, "%04o", *a.mode);
  std::string owner = a.user.empty() && a.group.empty() ? "" : (a.user.empty() ? "" : a.user) + (a.group.empty() ? "" : ":" + a.group);
  return files + ":" + (owner.empty() ? "" : " " + owner) + (a.mode ? std::string(" ") + mode : "");
}

std::string devices_text(bool default_allow, const std::vector<std::string>& exceptions) {
  std::string list;
  for (const auto& e : exceptions) list += (list.empty() ? "" : ", ") + e;
  return std::string(default_allow ? "every device but " : "no device but ") + (list.empty() ? "none" : list);
}

// A namespace whose links could not be dumped: the step fails rather than act blind (it would
// otherwise take "could not look" for "absent" and journal a wrong undo).
bool blind(LiveView& view, Observation& o, const std::string& netns) {
  if (const SysError* e = view.failed(netns)) o.error = *e;
  return o.error.has_value();
}

}  // namespace

// What moving a device drops, to be given back when it returns: up, bridge, the addresses and
// routes the host gave it (not those the kernel makes itself: IPv6 link-local, connected routes).
static MoveLinkBack device_on_host(const LinkInfo& l, LiveView& view) {
  MoveLinkBack m;
  m.was_up = l.up;
  m.master = l.master;
  for (const auto& a : view.addresses_of("", l.name))
    if (!(a.family == 6 && a.scope == RT_SCOPE_LINK)) m.addresses.push_back(a.cidr);
  for (const auto& r : view.routes_through("", l.name))
    if (!r.kernel() && r.type == RTN_UNICAST) {
      RouteSpec spec;
      spec.to = r.to;
      spec.via = r.via;
      spec.dev = r.dev;
      spec.family = r.family;
      spec.metric = r.metric;
      spec.table = r.table;
      m.routes.push_back(spec);
    }
  return m;
}

RouteSpec route_spec(const AddRoute& a) {
  RouteSpec r;
  r.netns = a.netns;
  r.to = a.to;
  r.via = a.via;
  r.dev = a.dev;
  r.family = a.family;
  r.metric = a.metric;
  r.table = a.table;
  return r;
}

Observation observe(const Action& action, Kernel& k, LiveView& view) {
  // A read that failed while looking (a link, its addresses, its routes): not "absent".
  const size_t errors_before = view.errors_seen();
  Observation o = std::visit(
      overloaded{
          [&](const DelegatedUnit& a) { return observe_unit(k, a); },
          [&](const MakeCgroup& a) {
            Observation o;
            auto e = k.cgroup_exists(a.dir);
            o.satisfied = o.exists = e.ok() && e.value();
            return o;
          },
          [&](const EnableControllers& a) {
            Observation o;
            auto v = k.cgroup_read(a.dir, "cgroup.subtree_control");
            if (!v.ok()) {
              o.missing = a.controllers;
              return o;
            }
            o.exists = true;
            o.current = v.value();
            auto have = words(o.current);
            for (const auto& c : a.controllers)
              if (std::find(have.begin(), have.end(), c) == have.end()) o.missing.push_back(c);
            o.satisfied = o.missing.empty();
            return o;
          },
          [&](const WriteCgroupFile& a) { return observe_file(k, a.dir, a.file, a.value); },
          [&](const CopyFromParent& a) {
            auto parent = k.cgroup_read(parent_of(a.dir), a.file);
            return parent.ok() ? observe_file(k, a.dir, a.file, parent.value()) : Observation{};
          },
          [&](const SetDeviceAccess& a) { return observe_devices(k, a); },
          [&](const SetCgroupAccess& a) { return observe_access(k, a); },
          [&](const AddDeviceRule& a) {
            Observation o = observe_device_list(k, a.dir);
            // A denial cannot be seen (devices.list shows a default-allow cgroup as "a *:* rwm").
            if (a.allow)
              for (const auto& l : lines(o.current)) o.satisfied = o.satisfied || l == a.rule;
            return o;
          },
          [&](const CreateNetns& a) {
            Observation o;
            auto e = k.netns_exists(a.name);
            o.satisfied = o.exists = e.ok() && e.value();
            return o;
          },
          [&](const CreateNamespace& a) {
            Observation o;
            auto e = k.ns_exists(a.path);
            o.satisfied = o.exists = e.ok() && e.value();
            return o;
          },
          [&](const WriteNetnsFile& a) {
            // An equal file is left as it is (and not owned); a different one is someone else's,
            // never overwritten: the apply fails before it changes anything.
            Observation o;
            auto text = k.netns_etc_read(a.netns, a.file);
            if (!text.ok()) {
              o.error = text.error();
              return o;
            }
            o.exists = text.value().has_value();
            o.satisfied = o.exists && *text.value() == a.text;
            if (o.exists && !o.satisfied)
              o.error = SysError{EEXIST, "/etc/netns/" + a.netns + "/" + a.file + " exists with other text and is not nsplan's: it is never overwritten", 0, {}};
            // The undo removes the directory too when it was not there before (missing: "dir").
            auto dir = k.netns_etc_id(a.netns, "");
            if (!dir.ok() && dir.err() == ENOENT) o.missing = {"dir"};
            return o;
          },
          [&](const SetHostname& a) {
            Observation o;
            auto h = k.hostname(a.ns_path);
            if (!h.ok()) return o;
            o.exists = true;
            o.current = h.value().first + (h.value().second.empty() ? "" : " " + h.value().second);
            o.satisfied = (a.hostname.empty() || h.value().first == a.hostname) &&
                          (a.domainname.empty() || h.value().second == a.domainname);
            return o;
          },
          [&](const CreateLink& a) {
            Observation o;
            if (blind(view, o, a.netns)) return o;
            if (!a.peer_name.empty() && blind(view, o, a.peer_netns)) return o;
            const LinkInfo* l = view.link(a.netns, a.name);
            if (!l) return o;
            o.exists = true;
            o.current = l->kind;
            bool peer_ok = a.peer_name.empty() || view.link(a.peer_netns, a.peer_name) != nullptr;
            o.satisfied = l->kind == to_string(a.kind) && peer_ok;
            return o;
          },
          [&](const MoveLink& a) {
            Observation o;
            if (blind(view, o, a.netns)) return o;
            if (blind(view, o, "")) return o;
            const std::string& inside = a.new_name.empty() ? a.name : a.new_name;
            o.satisfied = o.exists = view.link(a.netns, inside) != nullptr;
            const LinkInfo* l = view.link("", a.name);
            if (l && !o.satisfied) o.device = device_on_host(*l, view);
            // The kernel renames after the move: with the name taken there, the device would
            // arrive under its host name. Refused before anything moves.
            if (l && !o.satisfied && !a.new_name.empty() && view.link(a.netns, a.name))
              o.error = SysError{EEXIST, "move " + a.name + " into " + a.netns + " as " + a.new_name + ": " + a.netns + " has a link named " + a.name +
                                             " (the kernel moves first, then renames)", 0, {}};
            return o;
          },
          [&](const SetMac& a) {
            Observation o;
            if (blind(view, o, a.netns)) return o;
            const LinkInfo* l = view.link(a.netns, a.dev);
            if (!l) return o;
            o.exists = !l->mac.empty();  // "": a link this apply just made, whose address is not known
            o.current = l->mac;
            o.satisfied = l->mac == a.mac;
            return o;
          },
          [&](const SetMtu& a) {
            Observation o;
            if (blind(view, o, a.netns)) return o;
            const LinkInfo* l = view.link(a.netns, a.dev);
            if (!l) return o;
            o.exists = l->mtu != 0;  // 0: a link this apply just made, whose default mtu is not known
            o.current = std::to_string(l->mtu);
            o.satisfied = l->mtu == a.mtu;
            return o;
          },
          [&](const SetMaster& a) {
            Observation o;
            if (blind(view, o, a.netns)) return o;
            const LinkInfo* l = view.link(a.netns, a.dev);
            if (!l) return o;
            o.exists = true;
            o.current = l->master;
            o.satisfied = l->master == a.master;
            return o;
          },
          [&](const AddAddress& a) {
            Observation o;
            if (blind(view, o, a.netns)) return o;
            const AddressInfo* have = view.address(a.netns, a.dev, a.cidr);
            o.exists = have != nullptr;
            // An address still in (or failed) duplicate address detection loses packets: it is
            // not in place yet.
            o.satisfied = have && have->usable();
            if (have && !have->usable()) o.current = "tentative";
            return o;
          },
          [&](const SetLinkUp& a) {
            Observation o;
            if (blind(view, o, a.netns)) return o;
            const LinkInfo* l = view.link(a.netns, a.dev);
            if (!l) return o;
            o.exists = true;
            o.current = l->up ? "up" : "down";
            o.satisfied = l->up;
            return o;
          },
          [&](const AddRoute& a) {
            Observation o;
            if (blind(view, o, a.netns)) return o;
            o.satisfied = o.exists = view.has_route(route_spec(a));
            return o;
          },
          [&](const SetSysctl& a) {
            Observation o;
            auto v = k.sysctl_read(a.key);
            if (!v.ok()) {
              o.error = v.error();  // without the value before, no undo: do not change it
              return o;
            }
            o.exists = true;
            o.current = v.value();
            o.satisfied = o.current == a.value;
            return o;
          },
          [&](const NftTable& a) {
            Observation o;
            auto t = k.nft_table(a.family, a.name);
            if (!t.ok()) {
              if (t.err() != ENOENT) o.error = t.error();
              return o;
            }
            // The comment names the profile and a hash of the ruleset: the same comment is the
            // same table. Any other table of that name is refused by the transaction itself.
            o.exists = true;
            o.current = t.value().comment;
            o.satisfied = o.current == a.comment;
            return o;
          },
      },
      action);
  if (!o.error && view.errors_seen() > errors_before) o.error = view.last_error();
  return o;
}

Status perform(const Action& action, Kernel& k, LiveView& view) {
  return std::visit(
      overloaded{
          [&](const DelegatedUnit& a) { return k.unit_start_delegated(a.unit, a.slice, a.dir); },
          [&](const MakeCgroup& a) { return k.cgroup_mkdir(a.dir); },
          [&](const EnableControllers& a) {
            std::string value;
            for (const auto& c : a.controllers) value += (value.empty() ? "+" : " +") + c;
            return k.cgroup_write(a.dir, "cgroup.subtree_control", value);
          },
          [&](const WriteCgroupFile& a) { return k.cgroup_write(a.dir, a.file, a.value); },
          [&](const CopyFromParent& a) { return k.cgroup_copy_from_parent(a.dir, a.file); },
          [&](const SetDeviceAccess& a) -> Status {
            if (a.bpf) return k.device_program_attach(a.dir, a.default_allow, a.exceptions);
            // The default (it empties the exception list); the AddDeviceRule steps follow.
            return k.cgroup_write(a.dir, a.default_allow ? "devices.allow" : "devices.deny", "a");
          },
          [&](const AddDeviceRule& a) { return k.cgroup_write(a.dir, a.allow ? "devices.allow" : "devices.deny", a.rule); },
          [&](const SetCgroupAccess& a) { return k.cgroup_set_access(a.dir, a.files, a.except, a.user, a.group, a.mode); },
          [&](const CreateNetns& a) {
            Status s = k.netns_create(a.name);
            if (s.ok()) view.netns_made(a.name);
            else view.forget(a.name);
            return s;
          },
          [&](const CreateNamespace& a) { return k.ns_create(a.kind, a.path); },
          [&](const SetHostname& a) { return k.set_hostname(a.ns_path, a.hostname, a.domainname); },
          [&](const WriteNetnsFile& a) { return k.netns_etc_create(a.netns, a.file, a.text); },
          [&](const CreateLink& a) {
            Status s = k.link_create(a);
            if (s.ok()) {
              view.link_added(a.netns, a.name, to_string(a.kind), a.group);
              if (!a.peer_name.empty()) view.link_added(a.peer_netns, a.peer_name, "veth", a.peer_netns.empty() ? a.group : 0);
            }
            return s;
          },
          [&](const MoveLink& a) {
            Status s = k.link_move("", a.name, a.netns, a.new_name);
            if (s.ok()) {
              view.forget("");
              view.forget(a.netns);
            }
            return s;
          },
          [&](const SetMac& a) {
            Status s = k.link_mac(a.netns, a.dev, a.mac);
            if (s.ok())
              if (LinkInfo* l = view.mutable_link(a.netns, a.dev)) l->mac = a.mac;
            return s;
          },
          [&](const SetMtu& a) {
            Status s = k.link_mtu(a.netns, a.dev, a.mtu);
            if (s.ok())
              if (LinkInfo* l = view.mutable_link(a.netns, a.dev)) l->mtu = a.mtu;
            return s;
          },
          [&](const SetMaster& a) {
            if (a.host_bridge)
              if (Status s = k.link_require_bridge(a.netns, a.master); !s.ok()) return s;
            Status s = k.link_master(a.netns, a.dev, a.master);
            if (s.ok())
              if (LinkInfo* l = view.mutable_link(a.netns, a.dev)) l->master = a.master;
            return s;
          },
          [&](const AddAddress& a) {
            // Present but tentative (added by someone else, with DAD): nothing to add.
            if (view.has_address(a.netns, a.dev, a.cidr)) return Status();
            Status s = k.address_add(a.netns, a.dev, a.cidr, a.nodad);
            if (s.ok()) view.address_added(a.netns, a.dev, a.cidr, a.nodad);
            return s;
          },
          [&](const SetLinkUp& a) {
            Status s = k.link_up(a.netns, a.dev, true);
            if (s.ok())
              if (LinkInfo* l = view.mutable_link(a.netns, a.dev)) l->up = true;
            return s;
          },
          [&](const AddRoute& a) {
            Status s = k.route_add(route_spec(a));
            if (s.ok()) view.route_added(route_spec(a));
            return s;
          },
          [&](const SetSysctl& a) { return k.sysctl_write(a.key, a.value); },
          [&](const NftTable& a) -> Status {
            Status s = k.nft_load(a.family, a.name, a.ruleset);
            if (!s.ok() && s.err() == EEXIST)
              return SysError{EEXIST, "nftables table " + a.family + " " + a.name +
                                          " is there already and is not this profile's ruleset: nsplan never adds to or flushes a "
                                          "table it did not make (if an earlier apply of this profile made it, run destroy first)",
                              0, s.error().detail};
            return s;
          },
      },
      action);
}

std::optional<Undo> undo_for(const Action& action, const Observation& before) {
  return std::visit(
      overloaded{
          // Whatever existed before is not ours to remove, whatever happens next.
          [&](const DelegatedUnit& a) -> std::optional<Undo> {
            if (before.exists) return std::nullopt;
            return StopUnit{a.unit, a.dir};
          },
          [&](const MakeCgroup& a) -> std::optional<Undo> {
            if (before.exists) return std::nullopt;
            return RemoveCgroup{a.dir};
          },
          [&](const EnableControllers& a) -> std::optional<Undo> {
            return DisableControllers{a.dir, before.missing.empty() ? a.controllers : before.missing};
          },
          [&](const WriteCgroupFile& a) -> std::optional<Undo> {
            if (!before.exists) return std::nullopt;
            return RestoreCgroupFile{a.dir, a.file, cgroup_restore_value(a.file, a.value, before.current)};
          },
          [&](const CopyFromParent& a) -> std::optional<Undo> {
            if (!before.exists) return std::nullopt;
            return RestoreCgroupFile{a.dir, a.file, before.current};
          },
          [&](const SetDeviceAccess& a) -> std::optional<Undo> {
            if (a.bpf) return DetachDeviceProgram{a.dir, device_rules::program_name(a.default_allow, a.exceptions)};
            if (!before.exists) return std::nullopt;
            return RestoreDeviceList{a.dir, lines(before.current)};
          },
          // Observed absent (a denial always is): taking it out again is the kernel's exact inverse.
          [&](const AddDeviceRule& a) -> std::optional<Undo> { return RemoveDeviceRule{a.dir, a.allow, a.rule}; },
          // The owners found; files "*" finds later (a controller enabled since) keep the kernel's.
          [&](const SetCgroupAccess& a) -> std::optional<Undo> {
            if (!before.exists) return std::nullopt;
            return RestoreCgroupAccess{a.dir, access_from(before.current)};
          },
          [&](const CreateNetns& a) -> std::optional<Undo> {
            if (before.exists) return std::nullopt;
            return DeleteNetns{a.name};
          },
          [&](const CreateNamespace& a) -> std::optional<Undo> {
            if (before.exists) return std::nullopt;
            return DeleteNamespace{a.path};
          },
          [&](const WriteNetnsFile& a) -> std::optional<Undo> {
            if (before.exists) return std::nullopt;  // someone else's file, left alone
            return RemoveNetnsFile{a.netns, a.file, !before.missing.empty()};
          },
          [&](const SetHostname& a) -> std::optional<Undo> {
            if (!before.exists) return std::nullopt;
            std::string host = before.current.substr(0, before.current.find(' '));
            std::string domain = before.current.find(' ') == std::string::npos ? "" : before.current.substr(before.current.find(' ') + 1);
            return RestoreHostname{a.ns_path, host, domain};
          },
          [&](const CreateLink& a) -> std::optional<Undo> {
            if (before.exists) return std::nullopt;
            return DeleteLink{a.netns, a.name, a.netns.empty() ? a.group : 0, a.peer_netns, a.peer_name};
          },
          [&](const MoveLink& a) -> std::optional<Undo> {
            MoveLinkBack back = before.device ? *before.device : MoveLinkBack{};
            back.name = a.new_name.empty() ? a.name : a.new_name;
            if (!a.new_name.empty()) back.host_name = a.name;
            back.from = a.netns;
            back.to = "";
            return back;
          },
          [&](const SetMac& a) -> std::optional<Undo> {
            if (!before.exists) return std::nullopt;
            return RestoreMac{a.netns, a.dev, before.current};
          },
          [&](const SetMtu& a) -> std::optional<Undo> {
            if (!before.exists) return std::nullopt;
            return RestoreMtu{a.netns, a.dev, static_cast<uint32_t>(std::stoul(before.current))};
          },
          [&](const SetMaster& a) -> std::optional<Undo> { return RestoreMaster{a.netns, a.dev, before.current}; },
          [&](const AddAddress& a) -> std::optional<Undo> {
            if (before.exists) return std::nullopt;  // someone else's address, waiting for DAD
            return DeleteAddress{a.netns, a.dev, a.cidr};
          },
          [&](const SetLinkUp& a) -> std::optional<Undo> { return SetLinkDown{a.netns, a.dev}; },
          [&](const AddRoute& a) -> std::optional<Undo> { return DeleteRoute{route_spec(a)}; },
          [&](const SetSysctl& a) -> std::optional<Undo> {
            if (!before.exists) return std::nullopt;
            return RestoreSysctl{a.key, before.current, a.value};
          },
          [&](const NftTable& a) -> std::optional<Undo> {
            if (before.exists) return std::nullopt;  // someone else's: the transaction refuses it
            return DeleteNftTable{a.family, a.name};
          },
      },
      action);
}

std::string resource_key(const Action& action) {
  return std::visit(
      overloaded{
          [](const DelegatedUnit& a) { return "unit " + a.unit; },
          [](const MakeCgroup& a) { return "cgroup " + a.dir; },
          // By directory: a profile that later needs one controller more still owns the others.
          [](const EnableControllers& a) { return "subtree_control " + a.dir; },
          [](const WriteCgroupFile& a) {
            // Per-device files hold one resource per device.
            bool per_device = a.file == "io.max" || a.file.rfind("blkio.throttle.", 0) == 0;
            return "file " + a.dir + "/" + a.file + (per_device ? " " + a.value.substr(0, a.value.find(' ')) : "");
          },
          [](const CopyFromParent& a) { return "file " + a.dir + "/" + a.file; },
          [](const SetDeviceAccess& a) { return "devices " + a.dir; },
          [](const AddDeviceRule& a) { return "devices " + a.dir + (a.allow ? " allow " : " deny ") + a.rule; },
          [](const SetCgroupAccess& a) {
            std::string files;
            for (const auto& f : a.files) files += " " + f;
            return "access " + a.dir + files;
          },
          [](const CreateNetns& a) { return "netns " + a.name; },
          [](const CreateNamespace& a) { return "ns " + a.path; },
          [](const SetHostname& a) { return "hostname " + a.ns_path; },
          [](const WriteNetnsFile& a) { return "netns file " + a.netns + "/" + a.file; },
          [](const CreateLink& a) { return "link " + a.netns + "/" + a.name; },
          [](const MoveLink& a) { return "link " + a.netns + "/" + (a.new_name.empty() ? a.name : a.new_name); },
          [](const SetMac& a) { return "mac " + a.netns + "/" + a.dev; },
          [](const SetMtu& a) { return "mtu " + a.netns + "/" + a.dev; },
          [](const SetMaster& a) { return "master " + a.netns + "/" + a.dev; },
          [](const AddAddress& a) { return "address " + a.netns + "/" + a.dev + " " + a.cidr; },
          [](const SetLinkUp& a) { return "up " + a.netns + "/" + a.dev; },
          [](const AddRoute& a) {
            return "route " + a.netns + " " + a.to + " table " + std::to_string(a.table.value_or(254)) + " metric " +
                   std::to_string(a.metric.value_or(0));
          },
          [](const SetSysctl& a) { return "sysctl " + a.key; },
          [](const NftTable& a) { return "nft table " + a.family + " " + a.name; },
      },
      action);
}

ChangeText describe_change(const Action& action, const Observation& before) {
  using Old = std::optional<std::string>;
  return std::visit(
      overloaded{
          [&](const DelegatedUnit& a) {
            if (before.exists)  // loaded, but not the delegated unit that apply wants
              return ChangeText::of_path("~ systemd unit " + a.unit + ": " + text::escaped(before.current) + " (not delegating " + a.dir + ")",
                                         "systemd_unit", a.dir, text::escaped(before.current), a.unit);
            return ChangeText::of_path("+ systemd unit " + a.unit + " (Delegate=yes), cgroup " + a.dir, "systemd_unit", a.dir, {}, a.unit);
          },
          [&](const MakeCgroup& a) { return ChangeText::of_path("+ cgroup " + a.dir, "cgroup", a.dir, {}, {}); },
          [&](const EnableControllers& a) {
            std::string c;
            for (const auto& x : (before.missing.empty() ? a.controllers : before.missing)) c += " +" + x;
            return ChangeText::of_path("~ " + a.dir + "/cgroup.subtree_control:" + c, "controllers", a.dir + "/cgroup.subtree_control", {},
                                       c.substr(1));
          },
          [&](const WriteCgroupFile& a) {
            std::string path = a.dir + "/" + a.file;
            if (!before.exists) return ChangeText::of_path("+ " + path + " = " + a.value, "cgroup_file", path, {}, a.value);
            std::string old = text::escaped(before.current.substr(0, before.current.find('\n')));
            return ChangeText::of_path("~ " + path + ": " + old + " -> " + a.value, "cgroup_file", path, old, a.value);
          },
          [&](const CopyFromParent& a) {
            return ChangeText::of_path("+ " + a.dir + "/" + a.file + " = (the parent's)", "cgroup_file", a.dir + "/" + a.file, {}, "(the parent's)");
          },
          [&](const SetDeviceAccess& a) {
            std::string now = devices_text(a.default_allow, a.exceptions);
            if (a.bpf)
              return ChangeText::of_path("+ device program " + device_rules::program_name(a.default_allow, a.exceptions) + " on " + a.dir + ": " + now,
                                         "device_program", a.dir, {}, now);
            std::string old;
            for (const auto& l : lines(before.current)) old += (old.empty() ? "" : ", ") + l;
            Old shown = before.exists ? Old(text::escaped(old.empty() ? "none" : old)) : Old();
            return ChangeText::of_path("~ devices of " + a.dir + ": " + (shown ? *shown + " -> " : "") + now, "devices", a.dir, shown, now);
          },
          [&](const AddDeviceRule& a) {
            std::string file = a.allow ? "/devices.allow" : "/devices.deny";
            return ChangeText::of_path("+ " + a.dir + file + ": " + a.rule, "device_rule", a.dir + file, {}, a.rule);
          },
          [&](const SetCgroupAccess& a) {
            std::string now = access_wanted(a);
            if (!before.exists) return ChangeText::of_path("+ owners of " + a.dir + " " + now, "cgroup_access", a.dir, {}, now);
            std::string old;
            for (const auto& l : lines(before.current)) old += (old.empty() ? "" : ", ") + l;
            return ChangeText::of_path("~ owners of " + a.dir + " " + now + " (were " + old + ")", "cgroup_access", a.dir, old, now);
          },
          [&](const CreateNetns& a) { return ChangeText::of_path("+ net namespace " + a.name, "netns", a.name, {}, {}); },
          [&](const CreateNamespace& a) {
            return ChangeText::of_path(std::string("+ ") + to_string(a.kind) + " namespace " + a.path, "namespace", a.path, {}, {});
          },
          [&](const WriteNetnsFile& a) {
            std::string path = "/etc/netns/" + a.netns + "/" + a.file;
            return ChangeText::of_path("+ " + path, "netns_file", path, {}, text::escaped(a.text));
          },
          [&](const SetHostname& a) {
            Old old = before.exists ? Old(text::escaped(before.current)) : Old();
            return ChangeText::of_path((old ? "~ hostname in " + a.ns_path + ": " + *old + " -> " : "+ hostname in " + a.ns_path + ": ") + a.hostname,
                                       "hostname", a.ns_path, old, a.hostname);
          },
          [&](const CreateLink& a) {
            return ChangeText::of_link(std::string(before.exists ? "~ replace " : "+ ") + to_string(a.kind) + " " + a.name + in(a.netns) +
                                           (a.peer_name.empty() ? "" : ", peer " + a.peer_name + in(a.peer_netns)),
                                       "link", a.name, a.netns, {}, to_string(a.kind));
          },
          [&](const MoveLink& a) {
            return ChangeText::of_link("~ move " + a.name + " into " + a.netns + (a.new_name.empty() ? "" : " as " + a.new_name), "link_namespace",
                                       a.name, a.netns, {}, a.netns);
          },
          [&](const SetMac& a) {
            Old old = before.exists ? Old(before.current) : Old();
            return ChangeText::of_link((old ? "~ address of " + a.dev + in(a.netns) + ": " + *old + " -> " : "+ address of " + a.dev + in(a.netns) + ": ") +
                                           a.mac,
                                       "mac", a.dev, a.netns, old, a.mac);
          },
          [&](const SetMtu& a) {
            Old old = before.exists ? Old(before.current) : Old();
            return ChangeText::of_link((old ? "~ mtu of " + a.dev + in(a.netns) + ": " + *old + " -> " : "+ mtu of " + a.dev + in(a.netns) + ": ") +
                                           std::to_string(a.mtu),
                                       "mtu", a.dev, a.netns, old, std::to_string(a.mtu));
          },
          [&](const SetMaster& a) {
            Old old = before.current.empty() ? Old() : Old(text::escaped(before.current));
            return ChangeText::of_link(std::string(before.exists ? "~ " : "+ ") + a.dev + in(a.netns) + " master " + (old ? *old + " -> " : "") + a.master,
                                       "master", a.dev, a.netns, old, a.master);
          },
          [&](const AddAddress& a) {
            return ChangeText::of_link("+ address " + a.cidr + " on " + a.dev + in(a.netns), "address", a.dev, a.netns, {}, a.cidr);
          },
          [&](const SetLinkUp& a) {
            return ChangeText::of_link(std::string(before.exists ? "~ " : "+ ") + a.dev + in(a.netns) + " up", "link_state", a.dev, a.netns,
                                       before.exists ? Old("down") : Old(), "up");
          },
          [&](const AddRoute& a) {
            std::string route = a.to + (a.via.empty() ? "" : " via " + a.via) + (a.dev.empty() ? "" : " dev " + a.dev);
            return ChangeText::of_link("+ route " + route + in(a.netns), "route", a.dev, a.netns, {}, route);
          },
          [&](const SetSysctl& a) {
            Old old = before.exists ? Old(text::escaped(before.current)) : Old();
            return ChangeText::of_path((old ? "~ " + a.key + ": " + *old + " -> " : "+ " + a.key + " = ") + a.value, "sysctl", a.key, old, a.value);
          },
          [&](const NftTable& a) {
            const std::string table = a.family + " " + a.name;
            if (before.exists)
              return ChangeText::of_path("~ nftables table " + table + ": " + text::escaped(before.current) + " -> " + a.comment, "nft_table", table,
                                         text::escaped(before.current), a.comment);
            return ChangeText::of_path("+ nftables table " + table + " (" + a.comment + ")", "nft_table", table, {}, a.comment);
          },
      },
      action);
}

}  // namespace nsplan::applier
