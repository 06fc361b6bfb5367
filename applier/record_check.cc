#include "applier/netns_etc.h"
#include "applier/record_check.h"

#include <algorithm>
#include <cctype>

#include "applier/namespaces.h"
#include "applier/netlink.h"
#include "compiler/cgroup_files.h"
#include "compiler/device_rules.h"
#include "compiler/escape.h"
#include "compiler/mac_address.h"
#include "compiler/names.h"
#include "compiler/overloaded.h"

namespace nsplan::applier {
namespace {

// A controller of some file nsplan writes (compiler/cgroup_files.cc): the only ones it enables.
bool controller_of_a_file(const std::string& c) {
  auto files = cgroup_files::all();
  return std::any_of(files.begin(), files.end(), [&](const cgroup_files::File& f) { return c == f.controller; });
}
// link_group_of's range (compiler/planner.cc), and what claiming a free group may add to it.
constexpr uint32_t kFirstGroup = 0x10000;

bool normal_absolute(const std::string& p) {
  if (p.size() < 2 || p[0] != '/' || p.back() == '/' || p.find("//") != std::string::npos) return false;
  size_t pos = 1;
  while (pos <= p.size()) {
    size_t slash = p.find('/', pos);
    std::string part = p.substr(pos, slash == std::string::npos ? std::string::npos : slash - pos);
    if (part == "." || part == ".." || part.find('\0') != std::string::npos) return false;
    if (slash == std::string::npos) break;
    pos = slash + 1;
  }
  return true;
}

bool strictly_below(const std::string& path, const std::string& root) {
  return path.size() > root.size() + 1 && path.compare(0, root.size(), root) == 0 && path[root.size()] == '/';
}

// nsplan makes and writes cgroups only below the base of a hierarchy (its mount plus
// --cgroup-parent), and enables controllers in the base itself at most. ROOT_TOO: the base itself
// is allowed (its cgroup.subtree_control, on v2).
std::string check_cgroup_dir(const std::string& dir, const HostFacts& facts, bool root_too = false) {
  if (!normal_absolute(dir)) return "cgroup path '" + dir + "' is not a plain absolute path";
  auto in = [&](const std::string& base) { return strictly_below(dir, base) || (root_too && dir == base); };
  bool below = facts.mode == CgroupMode::V2 ? in(facts.base_of("")) : false;
  for (const auto& [controller, mount] : facts.v1_mounts) below |= facts.mode == CgroupMode::V1 && in(facts.base_of(controller));
  if (below) return "";
  if (facts.cgroup_parent.empty()) return "cgroup path '" + dir + "' is not below a cgroup hierarchy of this host";
  return "cgroup path '" + dir + "' is not below the cgroup parent '" + facts.cgroup_parent +
         "' (give the --cgroup-parent the profile was applied with)";
}

std::string check_cgroup_file(const std::string& file) {
  // Only a file of the table can be put back; its names hold no '/' (a size is digits and a unit).
  if (!cgroup_files::find(file)) return "'" + file + "' is not a file of a controller nsplan sets";
  return "";
}

// Any file a cgroup directory holds may have had its owner changed (cgroup.permissions' "*"): a
// name as the kernel gives them, one component.
std::string check_any_cgroup_file(const std::string& file) {
  const bool ok = !file.empty() && file.size() <= 255 && file[0] != '.' &&
                  std::all_of(file.begin(), file.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; });
  return ok ? "" : "'" + text::escaped(file) + "' is not the name of a cgroup file";
}

std::string check_value(const std::string& value) {
  if (value.size() > 4096 || value.find('\0') != std::string::npos || value.find('\n') != std::string::npos)
    return "the value to restore is not a single line";
  return "";
}

std::string check_ifname(const std::string& name) { return valid_ifname(name) ? "" : "'" + name + "' is not an interface name"; }
// "aa:bb:cc:dd:ee:ff", lowercase, as apply records a link's address.
std::string check_mac(const std::string& mac) {
  return is_mac_text(mac) && mac == lowercase_mac(mac) ? "" : "'" + mac + "' is not a MAC address";
}
std::string check_netns(const std::string& ns) {
  return ns.empty() || valid_netns_name(ns) ? "" : "'" + ns + "' is not a network namespace name";
}

// A persistent namespace lives in the state dir's ns/ as NAME.KIND.
std::string check_ns_path(const std::string& path, const HostFacts& facts) {
  std::string dir = facts.state_dir + "/ns/";
  std::string file = path.compare(0, dir.size(), dir) == 0 ? path.substr(dir.size()) : "";
  size_t dot = file.rfind('.');
  std::string kind = dot == std::string::npos ? "" : file.substr(dot + 1);
  if (file.empty() || file.find('/') != std::string::npos || !is_name(file.substr(0, dot)) ||
      (kind != "uts" && kind != "ipc" && kind != "net"))
    return "'" + path + "' is not a namespace file in " + dir;
  return "";
}

std::string check_group(uint32_t group) {
  if (group != 0 && group < kFirstGroup) return "link group " + std::to_string(group) + " is not one nsplan allocates";
  return "";
}

std::string first_problem(std::initializer_list<std::string> problems) {
  for (const auto& p : problems)
    if (!p.empty()) return p;
  return "";
}

}  // namespace

std::string check_record(const Owned& r, const HostFacts& facts) {
  return std::visit(
      overloaded{
          // Only a unit nsplan names, and the cgroup systemd gives it: the unit's own directory.
          [&](const StopUnit& u) {
            const std::string prefix = "nsplan-", suffix = ".service";
            const bool ours = u.unit.size() > prefix.size() + suffix.size() && u.unit.rfind(prefix, 0) == 0 && u.unit.ends_with(suffix) &&
                              is_name(u.unit.substr(prefix.size(), u.unit.size() - prefix.size() - suffix.size()));
            if (!ours) return "'" + text::escaped(u.unit) + "' is not a unit nsplan asks systemd for";
            if (!u.dir.ends_with("/" + u.unit)) return "cgroup path '" + u.dir + "' is not the cgroup of unit " + u.unit;
            // The unit's cgroup is the base of the profile's cgroups when the planner set it so.
            return check_cgroup_dir(u.dir, facts, /*root_too=*/true);
          },
          [&](const RemoveCgroup& u) { return check_cgroup_dir(u.dir, facts); },
          [&](const RestoreCgroupFile& u) {
            return first_problem({check_cgroup_dir(u.dir, facts), check_cgroup_file(u.file), check_value(u.value)});
          },
          [&](const RestoreDeviceList& u) {
            std::string problem = check_cgroup_dir(u.dir, facts);
            if (u.list.size() > 4096) problem = "too many device rules to restore";
            for (const auto& line : u.list) {
              std::string error;
              if (problem.empty() && (line.size() > 64 || !device_rules::parse(line, error)))
                problem = "'" + text::escaped(line) + "' is not a device rule";
            }
            return problem;
          },
          [&](const RemoveDeviceRule& u) {
            std::string error;
            auto rules = u.rule.size() <= 64 ? device_rules::parse(u.rule, error) : std::nullopt;
            // One rule, in devices.list's form: nothing else is ever written to the other file.
            const bool one = rules && rules->size() == 1 && device_rules::text(rules->front()) == u.rule;
            return first_problem({check_cgroup_dir(u.dir, facts), one ? "" : "'" + text::escaped(u.rule) + "' is not a device rule"});
          },
          [&](const DetachDeviceProgram& u) {
            const bool ours = u.program.size() == 15 && u.program.rfind("nsplan_", 0) == 0 &&
                              u.program.find_first_not_of("0123456789abcdef", 7) == std::string::npos;
            return first_problem({check_cgroup_dir(u.dir, facts), ours ? "" : "'" + text::escaped(u.program) + "' is not an nsplan device program"});
          },
          [&](const RestoreCgroupAccess& u) {
            std::string problem = check_cgroup_dir(u.dir, facts);
            if (u.files.size() > 4096) problem = "too many files to restore";
            for (const auto& f : u.files) {
              if (problem.empty() && f.file != ".") problem = check_any_cgroup_file(f.file);
              // Permission bits only, of real ids: what stat showed of a cgroup file.
              if (problem.empty() && (f.mode > 0777 || f.uid == UINT32_MAX || f.gid == UINT32_MAX))
                problem = "'" + access_text(f) + "' is not an owner and mode a cgroup file had";
            }
            return problem;
          },
          [&](const DisableControllers& u) {
            std::string problem = check_cgroup_dir(u.dir, facts, /*root_too=*/true);
            for (const auto& c : u.controllers)
              if (problem.empty() && !controller_of_a_file(c))
                problem = "'" + c + "' is not a controller nsplan enables";
            return problem;
          },
          [&](const DeleteNetns& u) { return u.name.empty() ? std::string("no namespace name") : check_netns(u.name); },
          [&](const DeleteNamespace& u) { return check_ns_path(u.path, facts); },
          [&](const RestoreHostname& u) { return check_ns_path(u.ns_path, facts); },
          // Only a file nsplan writes, in the directory of a valid namespace name: never a path.
          [&](const RemoveNetnsFile& u) {
            return first_problem({u.netns.empty() ? std::string("no namespace name") : check_netns(u.netns),
                                  netns_etc_file_name(u.file) ? "" : "'" + text::escaped(u.file) + "' is not a file nsplan writes in /etc/netns"});
          },
          [&](const DeleteLink& u) {
            return first_problem({check_netns(u.netns), check_ifname(u.name), check_group(u.group),
                                  u.peer_name.empty() ? "" : check_ifname(u.peer_name), check_netns(u.peer_netns)});
          },
          [&](const MoveLinkBack& u) {
            std::string problem = first_problem({check_ifname(u.name), u.from.empty() ? std::string("no namespace to move from")
                                                                                       : check_netns(u.from),
                                                 u.to.empty() ? "" : "a device goes back to the host only",
                                                 u.host_name.empty() ? "" : check_ifname(u.host_name),
                                                 u.master.empty() ? "" : check_ifname(u.master)});
            for (const auto& r : u.routes)
              if (problem.empty() && !r.netns.empty()) problem = "a route of a moved device is the host's";
            return problem;
          },
          [&](const RestoreMtu& u) { return first_problem({check_netns(u.netns), check_ifname(u.dev)}); },
          [&](const RestoreMac& u) { return first_problem({check_netns(u.netns), check_ifname(u.dev), check_mac(u.mac)}); },
          [&](const RestoreMaster& u) {
            return first_problem({check_netns(u.netns), check_ifname(u.dev), u.master.empty() ? "" : check_ifname(u.master)});
          },
          [&](const DeleteAddress& u) { return first_problem({check_netns(u.netns), check_ifname(u.dev)}); },
          [&](const SetLinkDown& u) { return first_problem({check_netns(u.netns), check_ifname(u.dev)}); },
          [&](const DeleteRoute& u) {
            return first_problem({check_netns(u.route.netns), u.route.dev.empty() ? "" : check_ifname(u.route.dev)});
          },
          // The one sysctl nsplan sets (the uplink's), with the small numbers it holds.
          [&](const RestoreSysctl& u) {
            auto small_number = [](const std::string& v) {
              return !v.empty() && v.size() <= 3 && v.find_first_not_of("0123456789") == std::string::npos;
            };
            if (u.key != "net.ipv4.ip_forward") return "'" + text::escaped(u.key) + "' is not a sysctl nsplan sets";
            if (!small_number(u.old) || !small_number(u.set)) return "'" + text::escaped(u.old) + "' is not a value of " + u.key;
            return std::string();
          },
          // Only nsplan's own names: table ip nsplan-PROFILE.
          [&](const DeleteNftTable& u) {
            const bool ours = u.family == "ip" && u.name.rfind("nsplan-", 0) == 0 && is_name(u.name.substr(7));
            return ours ? std::string() : "'" + text::escaped(u.family + " " + u.name) + "' is not an nftables table nsplan makes";
          },
      },
      r.undo);
}

std::string check_records(const std::vector<Owned>& records, const HostFacts& facts, const std::string& where, bool journal) {
  for (size_t i = 0; i < records.size(); ++i) {
    const Owned& r = records[i];
    std::string problem = check_record(r, facts);
    bool needs_id = subject_of(r.undo).kind != Subject::Kind::None;
    bool may_lack_id = journal && i + 1 == records.size();
    if (problem.empty() && needs_id && !r.id.known() && !may_lack_id)
      problem = "it carries no kernel identity of what it acts on (written by an older nsplan, or by hand)";
    if (!problem.empty())
      return where + ", record " + std::to_string(i + 1) + " (" + describe(r.undo) + "): " + problem +
             "; nsplan acts only on what it can show it made. Nothing was changed. Remove what is left by hand, "
             "then the file";
  }
  return "";
}

}  // namespace nsplan::applier
