#include "compiler/overloaded.h"
#include "applier/undo.h"

#include <nlohmann/json.hpp>
#include <cstdio>
#include <stdexcept>

#include "applier/namespaces.h"
#include "applier/returned_device.h"
#include "compiler/utf8.h"

#include "compiler/escape.h"

namespace nsplan::applier {
namespace {

using json = nlohmann::json;


bool gone(const Status& s) { return s.ok() || is_gone(s); }

// Text read from the kernel may be any bytes (a hostname, a cgroup file's value, a link name):
// JSON holds UTF-8 only, so anything else is kept as {"hex": "..."}, byte for byte.
bool is_utf8(const std::string& s) {
  for (size_t i = 0; i < s.size();) {
    utf8::Decoded d = utf8::decode(s, i);
    if (d.problem) return false;
    i += d.length;
  }
  return true;
}

json text_json(const std::string& s) {
  if (is_utf8(s)) return s;
  static const char* kHex = "0123456789abcdef";
  std::string hex;
  for (unsigned char c : s) {
    hex += kHex[c >> 4];
    hex += kHex[c & 15];
  }
  return json{{"hex", hex}};
}

std::string text_from(const json& j) {
  if (j.is_string()) return j.get<std::string>();
  std::string hex = j.at("hex").get<std::string>();
  if (hex.size() % 2) throw std::runtime_error("hex text of odd length");
  std::string out;
  auto nibble = [](char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    throw std::runtime_error("not a hex digit");
  };
  for (size_t i = 0; i < hex.size(); i += 2) out += static_cast<char>(nibble(hex[i]) * 16 + nibble(hex[i + 1]));
  return out;
}

// A record's number that must be a whole number from 0 to 2^32-1: a float or a negative one from
// a damaged file is refused, never converted (a float out of range is undefined behaviour).
uint64_t u64(const json& v) {
  if (!v.is_number_unsigned()) throw std::runtime_error("not an unsigned whole number");
  return v.get<uint64_t>();
}
uint32_t u32(const json& v) {
  if (!v.is_number_unsigned() || v.get<uint64_t>() > UINT32_MAX) throw std::runtime_error("not a 32-bit unsigned number");
  return static_cast<uint32_t>(v.get<uint64_t>());
}

json route_json(const RouteSpec& r) {
  json j{{"netns", r.netns}, {"to", r.to}, {"via", r.via}, {"dev", r.dev}, {"family", r.family}};
  if (r.metric) j["metric"] = *r.metric;
  if (r.table) j["table"] = *r.table;
  return j;
}

RouteSpec route_from(const json& j) {
  RouteSpec r;
  r.netns = j.at("netns");
  r.to = j.at("to");
  r.via = j.at("via");
  r.dev = j.at("dev");
  r.family = static_cast<int>(u32(j.at("family")));
  if (j.contains("metric")) r.metric = u32(j.at("metric"));
  if (j.contains("table")) r.table = u32(j.at("table"));
  return r;
}


}  // namespace

std::string access_text(const FileAccess& a) {
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", a.mode);
  return (a.file == "." ? std::string("the directory") : a.file) + " " + std::to_string(a.uid) + ":" + std::to_string(a.gid) + " " + mode;
}

bool is_gone(const Status& s) {
  return !s.ok() && (s.err() == ENOENT || s.err() == ENODEV || s.err() == ESRCH || s.err() == EADDRNOTAVAIL);
}

std::string KernelId::text() const { return std::to_string(space) + ":" + std::to_string(object); }

Subject subject_of(const Undo& undo) {
  using K = Subject::Kind;
  return std::visit(
      overloaded{
          [](const StopUnit& u) { return Subject{K::Cgroup, "", u.dir, ""}; },
          [](const RemoveCgroup& u) { return Subject{K::Cgroup, "", u.dir, ""}; },
          [](const RestoreCgroupFile& u) { return Subject{K::Cgroup, "", u.dir, ""}; },
          [](const DisableControllers& u) { return Subject{K::Cgroup, "", u.dir, ""}; },
          [](const RestoreDeviceList& u) { return Subject{K::Cgroup, "", u.dir, ""}; },
          [](const RemoveDeviceRule& u) { return Subject{K::Cgroup, "", u.dir, ""}; },
          [](const DetachDeviceProgram& u) { return Subject{K::DeviceProgram, "", u.dir, u.program}; },
          [](const RestoreCgroupAccess& u) { return Subject{K::Cgroup, "", u.dir, ""}; },
          [](const DeleteNetns& u) { return Subject{K::Namespace, "", std::string(kNetnsRunDir) + "/" + u.name, ""}; },
          [](const DeleteNamespace& u) { return Subject{K::Namespace, "", u.path, ""}; },
          [](const RestoreHostname& u) { return Subject{K::Namespace, "", u.ns_path, ""}; },
          [](const RemoveNetnsFile& u) { return Subject{K::NetnsFile, u.netns, u.file, ""}; },
          [](const DeleteLink& u) { return Subject{K::Link, u.netns, u.name, ""}; },
          [](const MoveLinkBack& u) { return Subject{K::Link, u.from, u.name, ""}; },
          [](const RestoreMtu& u) { return Subject{K::Link, u.netns, u.dev, ""}; },
          [](const RestoreMac& u) { return Subject{K::Link, u.netns, u.dev, ""}; },
          [](const RestoreMaster& u) { return Subject{K::Link, u.netns, u.dev, ""}; },
          [](const DeleteAddress& u) { return Subject{K::Link, u.netns, u.dev, ""}; },
          [](const SetLinkDown& u) { return Subject{K::Link, u.netns, u.dev, ""}; },
          [](const DeleteRoute& u) {
            return u.route.dev.empty() ? Subject{} : Subject{K::Link, u.route.netns, u.route.dev, ""};
          },
          [](const RestoreSysctl&) { return Subject{}; },  // run_verified_undo compares the value itself
          [](const DeleteNftTable& u) { return Subject{K::NftTable, "", u.family + " " + u.name, ""}; },
      },
      undo);
}

SysResult<KernelId> identity_of(const Subject& s, Kernel& kernel) {
  switch (s.kind) {
    case Subject::Kind::Cgroup: return kernel.cgroup_id(s.name);
    case Subject::Kind::Link: return kernel.link_id(s.netns, s.name);
    case Subject::Kind::Namespace: return kernel.ns_id(s.name);
    case Subject::Kind::NetnsFile: return kernel.netns_etc_id(s.netns, s.name);
    case Subject::Kind::DeviceProgram: {
      // Just attached: the newest program of that name on the cgroup (ids only grow).
      auto cgroup = kernel.cgroup_id(s.name);
      if (!cgroup.ok()) return cgroup.error();
      if (!cgroup.value().known()) return KernelId{};  // the script writer knows no identities
      auto programs = kernel.device_programs(s.name);
      if (!programs.ok()) return programs.error();
      uint32_t newest = 0;
      for (const auto& p : programs.value())
        if (p.name == s.program && p.id > newest) newest = p.id;
      if (!newest) return SysError{ENOENT, "no device program " + s.program + " on " + s.name, 0, {}};
      return KernelId{cgroup.value().object, newest};
    }
    case Subject::Kind::NftTable: {
      const size_t space = s.name.find(' ');
      auto table = kernel.nft_table(s.name.substr(0, space), s.name.substr(space + 1));
      if (!table.ok()) return table.error();
      return KernelId{table.value().netns, table.value().handle};
    }
    case Subject::Kind::None: break;
  }
  return KernelId{};
}

namespace {

// A device program is still ours while the cgroup is the one it was attached to and the program
// with the recorded id is attached there: a program attached since (a re-apply's) is another.
Status verify_device_program(const Subject& s, Kernel& k, const KernelId& id) {
  auto cgroup = k.cgroup_id(s.name);
  if (!cgroup.ok()) return cgroup.error();
  if (cgroup.value().object != id.space)
    return SysError{EPERM, s.name + " is not the cgroup nsplan attached its device program to (recorded inode " +
                               std::to_string(id.space) + ", now " + std::to_string(cgroup.value().object) + "); left alone",
                    0, {}};
  auto programs = k.device_programs(s.name);
  if (!programs.ok()) return programs.error();
  for (const auto& p : programs.value())
    if (p.id == id.object) return {};
  return SysError{ENOENT, "device program " + std::to_string(id.object) + " is no longer attached to " + s.name, 0, {}};
}

}  // namespace

Status verify_subject(const Undo& undo, Kernel& k, const KernelId& id) {
  if (!id.known()) return {};
  Subject s = subject_of(undo);
  if (s.kind == Subject::Kind::None) return {};
  if (s.kind == Subject::Kind::DeviceProgram) return verify_device_program(s, k, id);
  SysResult<KernelId> now = identity_of(s, k);
  // The namespace was unmounted by a delete that was killed before it removed its mount point:
  // removing that empty file is the rest of nsplan's own delete (the next create needs the name).
  if (!now.ok() && now.err() == ESTALE && s.kind == Subject::Kind::Namespace &&
      (std::holds_alternative<DeleteNetns>(undo) || std::holds_alternative<DeleteNamespace>(undo)))
    return {};
  if (!now.ok()) return now.error();
  if (now.value() == id) return {};
  std::string what = s.kind == Subject::Kind::Link        ? "link " + s.name + (s.netns.empty() ? "" : " in " + s.netns)
                     : s.kind == Subject::Kind::NetnsFile ? "/etc/netns/" + s.netns + "/" + s.name
                                                          : s.name;
  return SysError{EPERM, describe(undo) + ": " + what + " is not what nsplan made or changed (recorded " + id.text() +
                             ", now " + now.value().text() + "); left alone",
                  0, {}};
}

namespace {

Status move_back(const MoveLinkBack& u, Kernel& k) {
  const std::string& back_as = u.host_name.empty() ? u.name : u.host_name;
  if (back_as != u.name)
    if (Status s = host_name_free(u, k); !s.ok()) return s;
  if (Status s = k.link_move(u.from, u.name, u.to, back_as == u.name ? "" : back_as); !s.ok()) return s;
  return give_back_host_state(u, k);
}

}  // namespace

// What devices.list showed, written back: "a *:* rwm" is default allow (v1 shows no exception
// then); anything else is default deny with those exceptions.
static Status restore_device_list(const RestoreDeviceList& u, Kernel& k) {
  const bool allow_all = u.list.size() == 1 && u.list[0] == "a *:* rwm";
  if (Status s = k.cgroup_write(u.dir, allow_all ? "devices.allow" : "devices.deny", "a"); !s.ok()) return s;
  if (!allow_all)
    for (const auto& line : u.list)
      if (Status s = k.cgroup_write(u.dir, "devices.allow", line); !s.ok()) return s;
  return {};
}

SysResult<bool> stop_unit_unless_used(const StopUnit& u, Kernel& k) {
  auto state = k.unit_state(u.unit);
  if (!state.ok()) return state.err() == ENOENT ? SysResult<bool>(true) : SysResult<bool>(state.error());
  if (state.value().cgroup != u.dir || !state.value().transient)
    return SysError{EPERM, describe(u) + ": the unit " + u.unit + " is now " + (state.value().transient ? "" : "a unit from a file, ") +
                               "with cgroup " + text::escaped(state.value().cgroup) + ", not the transient unit nsplan asked for; left alone",
                    0, {}};
  return k.unit_stop_unless_used(u.unit, u.dir, state.value().main_pid);
}

Status run_undo(const Undo& undo, Kernel& k, const KernelId& id) {
  if (Status s = verify_subject(undo, k, id); !s.ok()) return gone(s) ? Status() : s;
  return run_verified_undo(undo, k, id);
}

Status run_verified_undo(const Undo& undo, Kernel& k, const KernelId& id) {
  Status s = std::visit(
      overloaded{
          // Left running when something is below (a rollback never kills): not an error.
          [&](const StopUnit& u) -> Status {
            auto r = stop_unit_unless_used(u, k);
            return r.ok() ? Status() : Status(r.error());
          },
          [&](const RemoveCgroup& u) { return k.cgroup_rmdir(u.dir); },
          [&](const RestoreCgroupFile& u) { return k.cgroup_write(u.dir, u.file, u.value); },
          [&](const RestoreDeviceList& u) { return restore_device_list(u, k); },
          [&](const RemoveDeviceRule& u) { return k.cgroup_write(u.dir, u.allowed ? "devices.deny" : "devices.allow", u.rule); },
          // Without a recorded id (explain's records, a journal cut short) 0 names no program.
          [&](const DetachDeviceProgram& u) { return k.device_program_detach(u.dir, static_cast<uint32_t>(id.object)); },
          [&](const RestoreCgroupAccess& u) -> Status {
            for (const auto& f : u.files)
              if (Status s = k.cgroup_set_access(u.dir, {f.file}, {}, std::to_string(f.uid), std::to_string(f.gid), f.mode);
                  !s.ok() && !is_gone(s))
                return s;
            return {};
          },
          [&](const DisableControllers& u) {
            std::string value;
            for (const auto& c : u.controllers) value += (value.empty() ? "-" : " -") + c;
            return k.cgroup_write(u.dir, "cgroup.subtree_control", value);
          },
          [&](const DeleteNetns& u) { return k.netns_delete(u.name); },
          [&](const DeleteNamespace& u) { return k.ns_delete(u.path); },
          [&](const RestoreHostname& u) { return k.set_hostname(u.ns_path, u.hostname, u.domainname); },
          [&](const RemoveNetnsFile& u) { return k.netns_etc_remove(u.netns, u.file, u.dir_too); },
          [&](const DeleteLink& u) { return k.link_delete(u.netns, u.name); },
          [&](const MoveLinkBack& u) { return move_back(u, k); },
          [&](const RestoreMtu& u) { return k.link_mtu(u.netns, u.dev, u.mtu); },
          [&](const RestoreMac& u) { return k.link_mac(u.netns, u.dev, u.mac); },
          [&](const RestoreMaster& u) { return k.link_master(u.netns, u.dev, u.master); },
          [&](const DeleteAddress& u) { return k.address_del(u.netns, u.dev, u.cidr); },
          [&](const SetLinkDown& u) { return k.link_up(u.netns, u.dev, false); },
          [&](const DeleteRoute& u) { return k.route_del(u.route); },
          // Someone who set the value since has the last word: then it stays.
          [&](const RestoreSysctl& u) { return k.sysctl_restore_unless_changed(u.key, u.old, u.set).status(); },
          // By the handle verified just before (0, by name: explain's records, a journal cut short).
          [&](const DeleteNftTable& u) { return k.nft_delete_table(u.family, u.name, id.object); },
      },
      undo);
  return gone(s) ? Status() : s;
}

namespace {

// The text of an undo ("rmdir /sys/fs/cgroup/x") and the same in parts, made in one place.
ChangeText parts(const Undo& undo) {
  auto in = [](const std::string& ns) { return ns.empty() ? std::string() : " in " + ns; };
  return std::visit(
      overloaded{
          [&](const StopUnit& u) { return ChangeText::of_path("stop systemd unit " + u.unit + " (cgroup " + u.dir + ")", "systemd_unit", u.dir, u.unit); },
          [&](const RemoveCgroup& u) { return ChangeText::of_path("rmdir " + u.dir, "cgroup", u.dir); },
          // Values, hostnames and masters to restore were read from the kernel: shown escaped.
          [&](const RestoreCgroupFile& u) {
            return ChangeText::of_path("restore " + u.dir + "/" + u.file + " to " + text::escaped(u.value), "cgroup_file", u.dir + "/" + u.file, {},
                                       text::escaped(u.value));
          },
          [&](const RestoreDeviceList& u) {
            std::string list;
            for (const auto& l : u.list) list += (list.empty() ? "" : ", ") + l;
            std::string shown = list.empty() ? "none" : text::escaped(list);
            return ChangeText::of_path("restore the devices of " + u.dir + " to " + shown, "devices", u.dir, {}, shown);
          },
          [&](const RemoveDeviceRule& u) {
            const std::string rule = text::escaped(u.rule);
            return ChangeText::of_path(std::string(u.allowed ? "take back the allowed " : "take back the denied ") + rule + " of " + u.dir,
                                       "device_rule", u.dir + (u.allowed ? "/devices.allow" : "/devices.deny"), rule);
          },
          [&](const DetachDeviceProgram& u) {
            return ChangeText::of_path("detach device program " + u.program + " from " + u.dir, "device_program", u.dir);
          },
          [&](const RestoreCgroupAccess& u) {
            std::string list;
            for (const auto& f : u.files) list += (list.empty() ? "" : ", ") + access_text(f);
            return ChangeText::of_path("restore the owners of " + u.dir + ": " + list, "cgroup_access", u.dir, {}, list);
          },
          [&](const DisableControllers& u) {
            std::string c;
            for (const auto& x : u.controllers) c += " -" + x;
            return ChangeText::of_path("disable" + c + " in " + u.dir, "controllers", u.dir + "/cgroup.subtree_control", {}, c.substr(1));
          },
          [&](const DeleteNetns& u) { return ChangeText::of_path("delete net namespace " + u.name, "netns", u.name); },
          [&](const DeleteNamespace& u) { return ChangeText::of_path("delete namespace " + u.path, "namespace", u.path); },
          [&](const RestoreHostname& u) {
            return ChangeText::of_path("restore hostname " + text::escaped(u.hostname) + " in " + u.ns_path, "hostname", u.ns_path, {},
                                       text::escaped(u.hostname));
          },
          [&](const RemoveNetnsFile& u) {
            std::string path = "/etc/netns/" + u.netns + "/" + u.file;
            return ChangeText::of_path("remove " + path, "netns_file", path);
          },
          [&](const DeleteLink& u) { return ChangeText::of_link("delete link " + u.name + in(u.netns), "link", u.name, u.netns); },
          [&](const MoveLinkBack& u) {
            return ChangeText::of_link("move " + u.name + " back" + in(u.to) + (u.host_name.empty() ? "" : " as " + u.host_name), "link_namespace", u.name,
                                       u.from, {}, u.to);
          },
          [&](const RestoreMac& u) {
            return ChangeText::of_link("restore address " + u.mac + " of " + u.dev + in(u.netns), "mac", u.dev, u.netns, {}, u.mac);
          },
          [&](const RestoreMtu& u) {
            return ChangeText::of_link("restore mtu " + std::to_string(u.mtu) + " of " + u.dev + in(u.netns), "mtu", u.dev, u.netns, {},
                                       std::to_string(u.mtu));
          },
          [&](const RestoreMaster& u) {
            return ChangeText::of_link((u.master.empty() ? "release " + u.dev : u.dev + " back to " + text::escaped(u.master)) + in(u.netns),
                                       "master", u.dev, u.netns, {}, text::escaped(u.master));
          },
          [&](const DeleteAddress& u) {
            return ChangeText::of_link("delete address " + u.cidr + " of " + u.dev + in(u.netns), "address", u.dev, u.netns, u.cidr);
          },
          [&](const SetLinkDown& u) { return ChangeText::of_link("set " + u.dev + " down" + in(u.netns), "link_state", u.dev, u.netns, {}, "down"); },
          [&](const DeleteRoute& u) {
            return ChangeText::of_link("delete route to " + u.route.to + in(u.route.netns), "route", u.route.dev, u.route.netns, u.route.to);
          },
          [&](const RestoreSysctl& u) {
            return ChangeText::of_path("restore " + u.key + " to " + text::escaped(u.old) + " (if still " + u.set + ")", "sysctl", u.key,
                                       u.set, text::escaped(u.old));
          },
          [&](const DeleteNftTable& u) {
            return ChangeText::of_path("delete nftables table " + u.family + " " + u.name, "nft_table", u.family + " " + u.name);
          },
      },
      undo);
}

}  // namespace

std::string describe(const Undo& undo) { return parts(undo).text; }

ChangeText removal(const Undo& undo, const std::string& note) {
  ChangeText c = parts(undo);
  c.text = "- " + c.text + (note.empty() ? "" : " (" + note + ")");
  return c;
}

ChangeText ChangeText::of_path(std::string text, const char* object, std::string path, std::optional<std::string> before,
                               std::optional<std::string> after) {
  ChangeText c;
  c.text = std::move(text);
  c.object = object;
  c.path = std::move(path);
  c.before = std::move(before);
  c.after = std::move(after);
  return c;
}

ChangeText ChangeText::of_link(std::string text, const char* object, std::string link, std::string netns,
                               std::optional<std::string> before, std::optional<std::string> after) {
  ChangeText c = of_path(std::move(text), object, {}, std::move(before), std::move(after));
  c.link = std::move(link);
  c.netns = std::move(netns);
  return c;
}

std::string ChangeText::action() const {
  switch (text.empty() ? ' ' : text[0]) {
    case '+': return "create";
    case '~': return "modify";
    case '-': return "delete";
    default: return "keep";
  }
}

json owned_to_record(const Owned& owned) {
  json j;
  j["key"] = owned.key;
  if (owned.id.known()) j["id"] = {owned.id.space, owned.id.object};
  if (owned.previous_id.known()) j["previous_id"] = {owned.previous_id.space, owned.previous_id.object};
  std::visit(overloaded{
                 [&](const StopUnit& u) { j["undo"] = "stop_unit"; j["unit"] = u.unit; j["dir"] = u.dir; },
                 [&](const RemoveCgroup& u) { j["undo"] = "rmdir"; j["dir"] = u.dir; },
                 [&](const RestoreCgroupFile& u) { j["undo"] = "restore_file"; j["dir"] = u.dir; j["file"] = u.file; j["value"] = text_json(u.value); },
                 [&](const RestoreDeviceList& u) { j["undo"] = "restore_devices"; j["dir"] = u.dir; j["list"] = u.list; },
                 [&](const RemoveDeviceRule& u) { j["undo"] = "remove_device_rule"; j["dir"] = u.dir; j["allowed"] = u.allowed; j["rule"] = u.rule; },
                 [&](const DetachDeviceProgram& u) { j["undo"] = "detach_device_program"; j["dir"] = u.dir; j["program"] = u.program; },
                 [&](const RestoreCgroupAccess& u) {
                   j["undo"] = "restore_access"; j["dir"] = u.dir; j["files"] = json::array();
                   for (const auto& f : u.files) j["files"].push_back({{"file", f.file}, {"uid", f.uid}, {"gid", f.gid}, {"mode", f.mode}});
                 },
                 [&](const DisableControllers& u) { j["undo"] = "disable_controllers"; j["dir"] = u.dir; j["controllers"] = u.controllers; },
                 [&](const DeleteNetns& u) { j["undo"] = "delete_netns"; j["name"] = u.name; },
                 [&](const DeleteNamespace& u) { j["undo"] = "delete_ns"; j["path"] = u.path; },
                 [&](const RestoreHostname& u) { j["undo"] = "restore_hostname"; j["path"] = u.ns_path; j["hostname"] = text_json(u.hostname); j["domainname"] = text_json(u.domainname); },
                 [&](const RemoveNetnsFile& u) { j["undo"] = "remove_netns_file"; j["netns"] = u.netns; j["file"] = u.file; j["dir_too"] = u.dir_too; },
                 [&](const DeleteLink& u) {
                   j["undo"] = "delete_link"; j["netns"] = u.netns; j["name"] = u.name; j["group"] = u.group;
                   if (!u.peer_name.empty()) { j["peer_netns"] = u.peer_netns; j["peer_name"] = u.peer_name; }
                   if (u.peer_ifindex) j["peer_ifindex"] = u.peer_ifindex;
                 },
                 [&](const MoveLinkBack& u) {
                   j["undo"] = "move_link_back"; j["name"] = u.name; j["from"] = u.from; j["to"] = u.to;
                   if (!u.host_name.empty()) j["host_name"] = u.host_name;
                   j["was_up"] = u.was_up; j["master"] = text_json(u.master); j["addresses"] = u.addresses;
                   j["routes"] = json::array();
                   for (const auto& r : u.routes) j["routes"].push_back(route_json(r));
                 },
                 [&](const RestoreMtu& u) { j["undo"] = "restore_mtu"; j["netns"] = u.netns; j["dev"] = u.dev; j["mtu"] = u.mtu; },
                 [&](const RestoreMac& u) { j["undo"] = "restore_mac"; j["netns"] = u.netns; j["dev"] = u.dev; j["mac"] = u.mac; },
                 [&](const RestoreMaster& u) { j["undo"] = "restore_master"; j["netns"] = u.netns; j["dev"] = u.dev; j["master"] = text_json(u.master); },
                 [&](const DeleteAddress& u) { j["undo"] = "delete_address"; j["netns"] = u.netns; j["dev"] = u.dev; j["cidr"] = u.cidr; },
                 [&](const SetLinkDown& u) { j["undo"] = "set_down"; j["netns"] = u.netns; j["dev"] = u.dev; },
                 [&](const DeleteRoute& u) { j["undo"] = "delete_route"; j["route"] = route_json(u.route); },
                 [&](const RestoreSysctl& u) { j["undo"] = "restore_sysctl"; j["sysctl"] = u.key; j["old"] = text_json(u.old); j["set"] = u.set; },
                 [&](const DeleteNftTable& u) { j["undo"] = "delete_nft_table"; j["family"] = u.family; j["name"] = u.name; },
             },
             owned.undo);
  return j;
}

std::string to_json_line(const Owned& owned) { return owned_to_record(owned).dump(); }

std::optional<Owned> owned_from_json(const std::string& line, std::string& error) {
  json j;
  try {
    j = json::parse(line);
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
  return owned_from_record(j, error);
}

std::optional<Owned> owned_from_record(const json& j, std::string& error) {
  try {
    Owned o;
    o.key = j.at("key").get<std::string>();
    auto id_of = [&](const char* k) {
      KernelId id;
      if (!j.contains(k)) return id;
      const json& v = j.at(k);
      if (!v.is_array() || v.size() != 2) throw std::runtime_error(std::string(k) + " is not [space, object]");
      id.space = u64(v.at(0));
      id.object = u64(v.at(1));
      return id;
    };
    o.id = id_of("id");
    o.previous_id = id_of("previous_id");
    std::string kind = j.at("undo").get<std::string>();
    auto s = [&](const char* k) { return j.at(k).get<std::string>(); };
    if (kind == "stop_unit") o.undo = StopUnit{s("unit"), s("dir")};
    else if (kind == "rmdir") o.undo = RemoveCgroup{s("dir")};
    else if (kind == "restore_file") o.undo = RestoreCgroupFile{s("dir"), s("file"), text_from(j.at("value"))};
    else if (kind == "restore_devices") o.undo = RestoreDeviceList{s("dir"), j.at("list").get<std::vector<std::string>>()};
    else if (kind == "remove_device_rule") o.undo = RemoveDeviceRule{s("dir"), j.at("allowed").get<bool>(), s("rule")};
    else if (kind == "detach_device_program") o.undo = DetachDeviceProgram{s("dir"), s("program")};
    else if (kind == "restore_access") {
      RestoreCgroupAccess r{s("dir"), {}};
      for (const auto& f : j.at("files")) {
        FileAccess a{f.at("file").get<std::string>(), u32(f.at("uid")), u32(f.at("gid")), u32(f.at("mode"))};
        if (a.mode > 07777) throw std::runtime_error("mode out of range");
        r.files.push_back(a);
      }
      o.undo = r;
    }
    else if (kind == "disable_controllers") o.undo = DisableControllers{s("dir"), j.at("controllers").get<std::vector<std::string>>()};
    else if (kind == "delete_netns") o.undo = DeleteNetns{s("name")};
    else if (kind == "delete_ns") o.undo = DeleteNamespace{s("path")};
    else if (kind == "restore_hostname") o.undo = RestoreHostname{s("path"), text_from(j.at("hostname")), text_from(j.at("domainname"))};
    else if (kind == "remove_netns_file") o.undo = RemoveNetnsFile{s("netns"), s("file"), j.at("dir_too").get<bool>()};
    else if (kind == "delete_link")
      o.undo = DeleteLink{s("netns"), s("name"), u32(j.at("group")), j.value("peer_netns", std::string()),
                          j.value("peer_name", std::string()), j.contains("peer_ifindex") ? u32(j.at("peer_ifindex")) : 0u};
    else if (kind == "move_link_back") {
      MoveLinkBack m{s("name"), s("from"), s("to"), false, {}, {}, {}, {}};
      m.host_name = j.value("host_name", std::string());
      m.was_up = j.value("was_up", false);
      m.master = j.contains("master") ? text_from(j.at("master")) : std::string();
      m.addresses = j.value("addresses", std::vector<std::string>());
      if (j.contains("routes"))
        for (const auto& r : j.at("routes")) m.routes.push_back(route_from(r));
      o.undo = m;
    }
    else if (kind == "restore_mtu") o.undo = RestoreMtu{s("netns"), s("dev"), u32(j.at("mtu"))};
    else if (kind == "restore_mac") o.undo = RestoreMac{s("netns"), s("dev"), s("mac")};
    else if (kind == "restore_master") o.undo = RestoreMaster{s("netns"), s("dev"), text_from(j.at("master"))};
    else if (kind == "delete_address") o.undo = DeleteAddress{s("netns"), s("dev"), s("cidr")};
    else if (kind == "set_down") o.undo = SetLinkDown{s("netns"), s("dev")};
    else if (kind == "delete_route") o.undo = DeleteRoute{route_from(j.at("route"))};
    else if (kind == "restore_sysctl") o.undo = RestoreSysctl{s("sysctl"), text_from(j.at("old")), s("set")};
    else if (kind == "delete_nft_table") o.undo = DeleteNftTable{s("family"), s("name")};
    else {
      error = "unknown undo '" + kind + "'";
      return std::nullopt;
    }
    return o;
  } catch (const std::exception& e) {
    error = e.what();
    return std::nullopt;
  }
}

}  // namespace nsplan::applier
