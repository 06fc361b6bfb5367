#include "compiler/overloaded.h"
#include "compiler/shell_emitter.h"

#include <algorithm>
#include <cstdint>

#include "compiler/shell_quote.h"

namespace nsplan {
namespace {

using namespace plan;


std::string ip(const std::string& netns) { return netns.empty() ? "ip" : "ip -n " + sh_quote(netns); }
std::string in_parent(const std::string& dir) { return dir.substr(0, dir.rfind('/')); }

std::string rlimit_value(uint64_t v) { return v == UINT64_MAX ? "unlimited" : std::to_string(v); }

// Commands run inside the new namespaces before the program: they need a shell there.
std::vector<std::string> inner_setup(const Launch& l) {
  std::vector<std::string> lines;
  if (!l.hostname.empty()) lines.push_back("hostname " + sh_quote(l.hostname));
  if (!l.domainname.empty()) lines.push_back("domainname " + sh_quote(l.domainname));
  for (const auto& m : l.mounts) {
    switch (m.type) {
      case MountOp::Type::Proc:
        break;  // unshare --mount-proc does it
      case MountOp::Type::Tmpfs:
        lines.push_back("mount -t tmpfs -o " + sh_quote(m.options) + " tmpfs " + sh_quote(m.target));
        break;
      case MountOp::Type::Bind:
        lines.push_back("mount --rbind " + sh_quote(m.source) + " " + sh_quote(m.target));
        if (m.read_only) lines.push_back("mount -o remount,bind,ro " + sh_quote(m.target));
        break;
      case MountOp::Type::ReadOnly:
        lines.push_back("mount --bind " + sh_quote(m.target) + " " + sh_quote(m.target));
        lines.push_back("mount -o remount,bind,ro " + sh_quote(m.target));
        break;
    }
  }
  if (!l.root.empty()) {
    lines.push_back("cd " + sh_quote(l.root));
    lines.push_back("mkdir -p .nsplan-old-root");
    lines.push_back("pivot_root . .nsplan-old-root");
    lines.push_back("umount -l /.nsplan-old-root");
    lines.push_back("rmdir /.nsplan-old-root");
    lines.push_back("cd /");
  }
  if (!l.cwd.empty()) lines.push_back("cd " + sh_quote(l.cwd));
  return lines;
}

std::string launch_lines(const Launch& l) {
  std::string out;
  for (const auto& procs : l.cgroup_procs) out += "echo \"$$\" > " + sh_quote(procs) + "\n";
  std::vector<std::string> words;  // already quoted
  if (!l.rlimits.empty()) {
    words.push_back("prlimit");
    for (const auto& r : l.rlimits)
      words.push_back("--" + r.name + "=" + rlimit_value(r.soft) + ":" + rlimit_value(r.hard));
    words.push_back("--");
  }
  if (!l.join.empty()) {
    words.push_back("nsenter");
    for (const auto& j : l.join) {
      std::string flag = unshare_flag(j.kind);
      words.push_back(flag + "=" + sh_quote(j.path));
    }
    words.push_back("--");
  }
  if (!l.unshare.empty()) {
    words.push_back("unshare");
    bool pid = false, time = false, mnt = false, proc = false;
    for (auto k : l.unshare) {
      pid |= k == NsKind::Pid;
      time |= k == NsKind::Time;
      mnt |= k == NsKind::Mnt;
    }
    for (const auto& m : l.mounts) proc |= m.type == MountOp::Type::Proc;
    for (auto k : l.unshare) {
      if (k == NsKind::Mnt && proc) continue;  // --mount-proc implies --mount
      words.push_back(unshare_flag(k));
    }
    if (!l.uid_map.empty()) {
      // unshare maps one range with --map-users (through newuidmap); nsplan run writes them all.
      const std::string& first = l.uid_map.front();
      size_t a = first.find(' '), b = first.rfind(' ');
      words.push_back("--map-users=" + first.substr(a + 1, b - a - 1) + "," + first.substr(0, a) + "," + first.substr(b + 1));
    }
    if (!l.gid_map.empty()) {
      const std::string& first = l.gid_map.front();
      size_t a = first.find(' '), b = first.rfind(' ');
      words.push_back("--map-groups=" + first.substr(a + 1, b - a - 1) + "," + first.substr(0, a) + "," + first.substr(b + 1));
    }
    if (!l.setgroups.empty()) words.push_back("--setgroups=" + l.setgroups);
    // As nsplan run does: become root of the new namespace when the maps give it one.
    if (!l.gid_map.empty() && l.gid_map.front().rfind("0 ", 0) == 0) words.push_back("--setgid=0");
    if (!l.uid_map.empty() && l.uid_map.front().rfind("0 ", 0) == 0) words.push_back("--setuid=0");
    if (time) {
      if (l.monotonic_offset) words.push_back("--monotonic=" + std::to_string(l.monotonic_offset));
      if (l.boottime_offset) words.push_back("--boottime=" + std::to_string(l.boottime_offset));
    }
    if (mnt) words.push_back("--propagation=" + (l.propagation.empty() ? std::string("private") : l.propagation));
    if (pid || time) words.push_back("--fork");
    if (proc) words.push_back("--mount-proc");
    words.push_back("--");
  }
  std::vector<std::string> tail;  // identity, environment, program
  if (l.uid || l.gid || l.no_new_privs) {
    tail.push_back("setpriv");
    if (l.uid) tail.push_back("--reuid=" + std::to_string(*l.uid));
    if (l.gid) tail.push_back("--regid=" + std::to_string(*l.gid));
    if (l.uid || l.gid) tail.push_back("--clear-groups");
    if (l.no_new_privs) tail.push_back("--no-new-privs");
    tail.push_back("--");
  }
  if (!l.env.empty()) {
    tail.push_back("env");
    // Names are checked identifiers, so no assignment can be read as an option.
    for (const auto& [k, v] : l.env) tail.push_back(sh_quote(k + "=" + v));
  }
  std::vector<std::string> setup = inner_setup(l);
  if (setup.empty()) {
    for (auto& w : tail) words.push_back(w);
    for (const auto& c : l.command) words.push_back(sh_quote(c));
  } else {
    // A small script runs inside the namespaces; the program arrives as "$@", quoted once.
    std::string inner = "set -eu";
    for (const auto& line : setup) inner += "; " + line;
    inner += "; exec";
    for (const auto& w : tail) inner += " " + w;
    inner += " \"$@\"";
    words.push_back("sh");
    words.push_back("-c");
    words.push_back(sh_quote(inner));
    words.push_back("nsplan-run");
    for (const auto& c : l.command) words.push_back(sh_quote(c));
  }
  out += "exec";
  for (const auto& w : words) out += " " + w;
  out += "\n";
  return out;
}

}  // namespace

std::string shell_command(const Action& action) {
  return std::visit(
      overloaded{
          [](const MakeCgroup& a) { return "mkdir -p " + sh_quote(a.dir) + "\n"; },
          [](const EnableControllers& a) {
            std::string value;
            for (const auto& c : a.controllers) value += (value.empty() ? "+" : " +") + c;
            return sh_write(value, a.dir + "/cgroup.subtree_control") + "\n";
          },
          [](const WriteCgroupFile& a) { return sh_write(a.value, a.dir + "/" + a.file) + "\n"; },
          [](const CopyFromParent& a) {
            return "cat " + sh_quote(in_parent(a.dir) + "/" + a.file) + " > " + sh_quote(a.dir + "/" + a.file) + "\n";
          },
          [](const CreateNetns& a) { return "ip netns add " + sh_quote(a.name) + "\n"; },
          [](const CreateNamespace& a) {
            return "mkdir -p " + sh_quote(in_parent(a.path)) + "\nchmod 0700 " + sh_quote(in_parent(a.path)) +
                   "\ntouch " + sh_quote(a.path) + "\nunshare " + unshare_flag(a.kind) + "=" + sh_quote(a.path) + " true\n";
          },
          [](const SetHostname& a) {
            std::string out;
            if (!a.hostname.empty()) out += "nsenter --uts=" + sh_quote(a.ns_path) + " hostname " + sh_quote(a.hostname) + "\n";
            if (!a.domainname.empty()) out += "nsenter --uts=" + sh_quote(a.ns_path) + " domainname " + sh_quote(a.domainname) + "\n";
            return out;
          },
          [](const CreateLink& a) {
            std::string group = a.group ? " group " + std::to_string(a.group) : "";
            std::string out;
            switch (a.kind) {
              case LinkKind::Veth:
                out = ip(a.netns) + " link add " + sh_quote(a.name) + (a.netns.empty() ? group : "") +
                      " type veth peer name " + sh_quote(a.peer_name) +
                      (a.peer_netns.empty() ? group : " netns " + sh_quote(a.peer_netns));
                break;
              case LinkKind::Bridge:
              case LinkKind::Dummy:
                out = ip(a.netns) + " link add " + sh_quote(a.name) + group + " type " + to_string(a.kind);
                break;
              case LinkKind::Macvlan:
              case LinkKind::Ipvlan:
              case LinkKind::Vlan:
                out = ip(a.parent_netns) + " link add link " + sh_quote(a.parent) + " name " + sh_quote(a.name) +
                      (a.netns != a.parent_netns ? " netns " + sh_quote(a.netns) : "") + group + " type " + to_string(a.kind);
                if (a.kind == LinkKind::Vlan) out += " id " + std::to_string(a.vlan_id);
                else out += " mode " + sh_quote(a.mode);
                break;
            }
            return out + "\n";
          },
          [](const MoveLink& a) { return "ip link set " + sh_quote(a.name) + " netns " + sh_quote(a.netns) + "\n"; },
          [](const SetMtu& a) { return ip(a.netns) + " link set " + sh_quote(a.dev) + " mtu " + std::to_string(a.mtu) + "\n"; },
          [](const SetMaster& a) { return ip(a.netns) + " link set " + sh_quote(a.dev) + " master " + sh_quote(a.master) + "\n"; },
          [](const AddAddress& a) {
            // IPv6: no duplicate address detection, so the address is usable at once (as apply does).
            return ip(a.netns) + " addr add " + sh_quote(a.cidr) + " dev " + sh_quote(a.dev) + (a.family == 6 ? " nodad" : "") + "\n";
          },
          [](const SetLinkUp& a) { return ip(a.netns) + " link set " + sh_quote(a.dev) + " up\n"; },
          [](const AddRoute& a) {
            std::string out = ip(a.netns) + (a.family == 6 ? " -6" : "") + " route add " + sh_quote(a.to);
            if (!a.via.empty()) out += " via " + sh_quote(a.via);
            if (!a.dev.empty()) out += " dev " + sh_quote(a.dev);
            if (a.metric) out += " metric " + std::to_string(*a.metric);
            if (a.table) out += " table " + std::to_string(*a.table);
            return out + "\n";
          },
      },
      action);
}

namespace {

// Comment text must not end the comment early: a newline in a value would start a command.
std::string comment_safe(std::string s) {
  for (char& c : s)
    if (c == '\n' || c == '\r') c = ' ';
  return s;
}

}  // namespace

std::string emit_shell(const plan::Plan& plan, const Diagnostics& diags, const SourceManager& sm,
                       const std::string& description, const ShellOptions& options) {
  std::string out = "#!/bin/sh\n";
  out += "# nsplan explain: profile '" + comment_safe(plan.profile) + "' from " + comment_safe(plan.source) + "\n";
  if (!description.empty()) out += "# " + comment_safe(description) + "\n";
  out += "# target: " + plan.facts.describe() + "\n";
  out += "# Each step names the profile line it comes from. `nsplan apply` does the same steps\n";
  out += "# directly (cgroupfs and netlink), undoes them if one fails, and can destroy them again.\n";
  for (const auto& d : diags.all())
    if (d.severity == Severity::Warning)
      out += "# warning: " + comment_safe(sm.describe(d.loc)) + ": " + comment_safe(d.message) + "\n";
  out += "set -eu\n";
  std::string last_comment;
  for (const auto& step : plan.steps) {
    std::string comment = "# " + comment_safe(step.origin.where) + ": " + comment_safe(step.origin.what) + "\n";
    if (comment != last_comment) {
      out += "\n" + comment;
      for (const auto& note : step.notes) out += "#   " + comment_safe(note) + "\n";
      last_comment = comment;
    }
    out += shell_command(step.action);
  }
  if (options.attach_pid > 0) {
    out += "\n# nsplan attach: move process " + std::to_string(options.attach_pid) + " into the profile's cgroups\n";
    for (const auto& dir : plan.cgroup_dirs)
      out += "echo " + sh_quote(std::to_string(options.attach_pid)) + " > " + sh_quote(dir + "/cgroup.procs") + "\n";
    return out;
  }
  if (plan.launch && options.with_launch && !plan.launch->command.empty()) {
    out += "\n# " + comment_safe(plan.launch->origin.where) + ": " + comment_safe(plan.launch->origin.what) + "\n";
    const Launch& l = *plan.launch;
    out += std::string("#   this shell ") + (l.cgroup_procs.empty() ? "" : "joins the cgroup, then ") + "becomes the command" +
           (l.unshare.empty() && l.join.empty() ? ".\n" : " inside its namespaces.\n");
    if (!plan.launch->uid_map.empty() || !plan.launch->gid_map.empty())
      out += "#   unshare writes id maps with newuidmap/newgidmap (package uidmap), which check /etc/subuid\n"
             "#   and /etc/subgid even for root; `nsplan run` writes the maps itself.\n";
    if (plan.launch->uid_map.size() > 1 || plan.launch->gid_map.size() > 1)
      out += "#   unshare maps only the first id range; `nsplan run` writes all of them.\n";
    out += launch_lines(*plan.launch);
  }
  return out;
}

}  // namespace nsplan

namespace nsplan {

std::string emit_shell_teardown(const plan::Plan& plan) {
  std::string out = "#!/bin/sh\n";
  out += "# nsplan explain --destroy: teardown of profile '" + comment_safe(plan.profile) + "' from " + comment_safe(plan.source) + "\n";
  out += "# target: " + plan.facts.describe() + "\n";
  out += "# Children before parents; namespaces go whole (their links with them); host-side links go\n";
  out += "# as one link group. Controllers enabled in ancestors stay enabled.\n";
  out += "set -u\n";
  std::vector<std::string> host_links;
  for (const auto& step : plan.steps)
    if (auto* l = std::get_if<CreateLink>(&step.action))
      if (l->netns.empty() || (l->kind == LinkKind::Veth && l->peer_netns.empty())) host_links.push_back(l->name);
  bool group_done = false;
  for (auto it = plan.steps.rbegin(); it != plan.steps.rend(); ++it) {
    std::string cmd = std::visit(
        overloaded{
            [](const MakeCgroup& a) { return "rmdir " + sh_quote(a.dir) + "\n"; },
            [](const EnableControllers&) { return std::string(); },
            [](const WriteCgroupFile&) { return std::string(); },
            [](const CopyFromParent&) { return std::string(); },
            [](const CreateNetns& a) { return "ip netns delete " + sh_quote(a.name) + "\n"; },
            [](const CreateNamespace& a) { return "umount " + sh_quote(a.path) + "\nrm -f " + sh_quote(a.path) + "\n"; },
            [](const SetHostname&) { return std::string(); },
            [&](const CreateLink& a) {
              if (!a.group || group_done) return std::string();
              group_done = true;
              return "ip link delete group " + std::to_string(a.group) + "\n";
            },
            [](const MoveLink& a) {
              // Back to the namespace of this shell, which is the host's.
              return ip(a.netns) + " link set " + sh_quote(a.name) + " netns \"$$\"\n";
            },
            [](const SetMtu&) { return std::string(); },
            [](const SetMaster&) { return std::string(); },
            [](const AddAddress&) { return std::string(); },
            [](const SetLinkUp&) { return std::string(); },
            [&](const AddRoute& a) {
              // Only host routes over devices the profile did not make outlive the teardown.
              if (!a.netns.empty() || std::find(host_links.begin(), host_links.end(), a.dev) != host_links.end() || a.dev.empty())
                return std::string();
              std::string c = "ip" + std::string(a.family == 6 ? " -6" : "") + " route del " + sh_quote(a.to);
              if (!a.via.empty()) c += " via " + sh_quote(a.via);
              c += " dev " + sh_quote(a.dev);
              if (a.table) c += " table " + std::to_string(*a.table);
              return c + "\n";
            },
        },
        it->action);
    if (cmd.empty()) continue;
    out += "\n# " + comment_safe(it->origin.where) + ": undo " + comment_safe(it->origin.what) + "\n" + cmd;
  }
  return out;
}

}  // namespace nsplan
