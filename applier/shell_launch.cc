#include "applier/shell_launch.h"

#include <algorithm>

#include "applier/shell_process.h"
#include "applier/shell_rootless.h"
#include "applier/shell_seccomp.h"
#include "applier/files_inside.h"
#include "applier/shell_files.h"
#include "applier/shell_overlay.h"
#include "compiler/overloaded.h"
#include "compiler/shell_quote.h"

namespace nsplan::applier {
namespace {

using namespace plan;

std::string rlimit_value(uint64_t v) { return v == UINT64_MAX ? "unlimited" : std::to_string(v); }

std::string joined(const std::vector<std::string>& words, const char* sep) {
  std::string out;
  for (const auto& w : words) out += (out.empty() ? "" : sep) + w;
  return out;
}

// unshare(1) maps one range ("outside,inside,count"); run writes every line of the map.
std::string first_range(const std::vector<std::string>& map) {
  const std::string& first = map.front();
  size_t a = first.find(' '), b = first.rfind(' ');
  return first.substr(a + 1, b - a - 1) + "," + first.substr(0, a) + "," + first.substr(b + 1);
}

// The steps inside run in an sh of their own, which execs the program at the end.
bool has_inner_sh(const Launch& l) { return !l.inside.empty() || l.process.any_attr(); }

// In a new user namespace where the maps make no root, the capabilities unshare(1) is granted
// there are lost at its exec of the inner sh (a non-root uid), while run makes the steps inside
// in its own process, before any exec. unshare --keep-caps carries them over as ambient
// capabilities; the program's exec then clears those (and the inheritable set), as run's has none.
bool inner_sh_keeps_caps(const Launch& l) {
  return l.unshare.has(plan::NsKind::User) && !l.unshare.root_inside && has_inner_sh(l);
}

// unshare --map-groups writes setgroups only after newgidmap has written the gid_map, which the
// kernel then refuses; newgidmap writes "deny" itself for a caller without CAP_SETGID.
bool deny_left_to_newgidmap(const NewNamespaces& u) { return u.setgroups == "deny" && !u.gid_map.empty(); }

// Joins, then new namespaces: the words before the program.
std::vector<std::string> namespace_words(const Launch& l) {
  std::vector<std::string> words;
  const NewNamespaces& u = l.unshare;
  if (u.clear_groups_first) words.insert(words.end(), {"setpriv", "--clear-groups", "--"});
  if (!l.join.empty()) {
    words.push_back("nsenter");
    // nsenter's own order is the plan's (plan.h, JoinNamespace); by default it would also become
    // uid and gid 0 in a joined user namespace, which the plan does not.
    if (std::any_of(l.join.begin(), l.join.end(), [](const JoinNamespace& j) { return j.kind == NsKind::User; }))
      words.push_back("--preserve-credentials");
    for (const auto& j : l.join) words.push_back(std::string(unshare_flag(j.kind)) + "=" + sh_quote(j.path));
    words.push_back("--");
  }
  if (u.kinds.empty()) return words;
  words.push_back("unshare");
  for (auto k : u.kinds) words.push_back(unshare_flag(k));
  if (!u.uid_map.empty()) words.push_back("--map-users=" + first_range(u.uid_map));
  if (!u.gid_map.empty()) words.push_back("--map-groups=" + first_range(u.gid_map));
  if (!u.setgroups.empty() && !deny_left_to_newgidmap(u)) words.push_back("--setgroups=" + u.setgroups);
  if (u.setgid_root) words.push_back("--setgid=0");
  if (u.setuid_root) words.push_back("--setuid=0");
  if (u.monotonic_offset) words.push_back("--monotonic=" + std::to_string(u.monotonic_offset));
  if (u.boottime_offset) words.push_back("--boottime=" + std::to_string(u.boottime_offset));
  if (inner_sh_keeps_caps(l)) words.push_back("--keep-caps");
  // The propagation is a step of its own inside (MountPropagation), as run makes it.
  if (u.has(NsKind::Mnt)) words.push_back("--propagation=unchanged");
  // A new pid or time namespace takes effect for children: the command is a child, PID 1.
  if (u.has(NsKind::Pid) || u.has(NsKind::Time)) words.push_back("--fork");
  words.push_back("--");
  return words;
}

// Identity and environment: the words right before the program.
std::vector<std::string> exec_words(const Launch& l) {
  std::vector<std::string> words;
  const Identity& id = l.identity;
  plan::Capabilities process_caps = l.process.caps;
  if (inner_sh_keeps_caps(l)) {  // unshare --keep-caps: back to run's empty sets before the profile's changes
    process_caps.inheritable.clear_all = true;
    process_caps.ambient.clear_all = true;
  }
  std::vector<std::string> caps = capability_words(process_caps);
  if (id.set_groups || id.uid || id.gid || id.no_new_privs || !caps.empty()) {
    words.push_back("setpriv");
    if (id.set_groups) {
      std::vector<std::string> groups;
      for (auto g : id.groups) groups.push_back(std::to_string(g));
      words.push_back(groups.empty() ? "--clear-groups" : "--groups=" + joined(groups, ","));
    } else if (id.uid || id.gid) {
      words.push_back("--keep-groups");  // dropped already, before the user namespace was made
    }
    if (id.gid) words.push_back("--regid=" + std::to_string(*id.gid));
    if (id.uid) words.push_back("--reuid=" + std::to_string(*id.uid));
    if (id.no_new_privs) words.push_back("--no-new-privs");
    words.insert(words.end(), caps.begin(), caps.end());
    words.push_back("--");
  }
  if (l.clear_env || !l.env.empty()) {
    words.push_back("env");
    if (l.clear_env) words.push_back("-i");
    // Names are checked identifiers, so no assignment can be read as an option.
    for (const auto& [k, v] : l.env) words.push_back(sh_quote(k + "=" + v));
  }
  return words;
}

// Descriptors above 2 go (run marks them close-on-exec with close_range).
std::string fd_lines(const Launch& l) {
  std::string out = "# nsplan run: every descriptor above 2 is closed at exec";
  if (!l.keep_fds.empty()) {
    std::vector<std::string> kept;
    for (int fd : l.keep_fds) kept.push_back(std::to_string(fd));
    out += " but " + joined(kept, ", ");
  }
  out += "; sh can name only 3 to 9\n";
  std::vector<std::string> close;
  for (int fd = 3; fd <= 9; ++fd)
    if (std::find(l.keep_fds.begin(), l.keep_fds.end(), fd) == l.keep_fds.end()) close.push_back(std::to_string(fd) + ">&-");
  if (!close.empty()) out += "exec " + joined(close, " ") + "\n";
  return out;
}

}  // namespace

std::string render_kept_descriptor_checks(const Launch& l) {
  if (l.keep_fds.empty()) return "";
  std::string out =
      "# nsplan run: refuses to start, changing nothing, when a descriptor of keep_fds was not open\n"
      "#   when it started; sh can check only 3 to 9\n";
  for (int fd : l.keep_fds) {
    if (fd > 9) continue;
    std::string n = std::to_string(fd);
    // true, not the special built-in ":", whose redirection error would end the shell quietly.
    out += "{ true <&" + n + "; } 2> /dev/null || { echo " +
           sh_quote("nsplan: error: run.keep_fds names descriptor " + n + ", which was not open when nsplan started") +
           " >&2; exit 2; }\n";
  }
  return out;
}

std::string render_inside_step(const InsideStep& step) {
  return std::visit(
      overloaded{
          [](const LoopbackUp&) { return std::string("ip link set lo up\n"); },
          [](const SetUtsName& s) {
            std::string out;
            if (!s.hostname.empty()) out += "hostname " + sh_quote(s.hostname) + "\n";
            if (!s.domainname.empty()) out += "domainname " + sh_quote(s.domainname) + "\n";
            return out;
          },
          [](const MountPropagation& s) { return "mount --make-r" + s.mode + " /\n"; },
          [](const MakeMountPoint& s) {
            std::string path = sh_quote(s.path);
            if (s.source_of_kind.empty()) return "mkdir -p " + path + "\n";
            std::string parent = sh_quote(s.path.substr(0, std::max<size_t>(s.path.rfind('/'), 1)));
            return "[ -e " + path + " ] || if [ -d " + sh_quote(s.source_of_kind) + " ]; then mkdir -p " + path +
                   "; else mkdir -p " + parent + " && : > " + path + "; fi\n";
          },
          [](const Mount& m) {
            switch (m.type) {
              case Mount::Type::Proc:
              case Mount::Type::Tmpfs:
              case Mount::Type::Devpts:
              case Mount::Type::Mqueue:
              case Mount::Type::Sysfs: {
                std::vector<std::string> options = m.flags;
                if (!m.data.empty()) options.push_back(m.data);
                return std::string("mount -t ") + launch::mount_type_name(m.type) +
                       (options.empty() ? "" : " -o " + sh_quote(joined(options, ","))) + " " + sh_quote(m.source) + " " +
                       sh_quote(m.target) + "\n";
              }
              case Mount::Type::Bind:
                return std::string(m.recursive ? "mount --rbind " : "mount --bind ") + sh_quote(m.source) + " " +
                       sh_quote(m.target) + "\n";
            }
            return std::string();
          },
          [](const RemountReadOnly& r) {
            if (!r.recursive) return "mount -o remount,bind,ro " + sh_quote(r.target) + "\n";
            // mount(8) of util-linux 2.38 cannot change a subtree at once: each mount at or below
            // the target, as /proc/self/mountinfo lists them (octal escapes undone), is remounted
            // by its path. A mount hidden under another one is not at its path: nothing is there,
            // or another mount (the mnt_id of a descriptor of the path says which; only
            // directories and regular files are opened, never a device or a FIFO). It is left as
            // it is, as the comment says.
            return "# nsplan run: one mount_setattr(AT_RECURSIVE) makes " + sh_quote(r.target) +
                   " and every mount below it read-only;\n"
                   "#   mount(8) reaches a mount by its path: one hidden under another mount keeps its mode\n"
                   "awk -v t=" + sh_quote(r.target) +
                   " '{ p = $5; gsub(/\\\\040/, \" \", p); gsub(/\\\\011/, \"\\t\", p); gsub(/\\\\134/, \"\\\\\", p);"
                   " if (t == \"/\" || p == t || index(p, t \"/\") == 1) print $1 \" \" p }' /proc/self/mountinfo |\n"
                   "  while IFS= read -r line; do id=${line%% *} m=${line#* } at=\n"
                   "    if [ -d \"$m\" ] || [ -f \"$m\" ]; then\n"
                   "      at=$( { awk '/^mnt_id:/ { print $2 }' /proc/self/fdinfo/3; } 3< \"$m\" 2> /dev/null) || at=$id\n"
                   "    elif [ -e \"$m\" ]; then at=$id; fi\n"
                   "    if [ \"$at\" = \"$id\" ]; then mount -o remount,bind,ro \"$m\"; fi\n"
                   "  done\n";
          },
          [](const PivotRoot& p) {
            return "cd " + sh_quote(p.root) + "\npivot_root . .\numount -l .\ncd /\n";
          },
          [](const SetRlimit& r) {
            return "prlimit --pid \"$$\" --" + r.name + "=" + rlimit_value(r.soft) + ":" + rlimit_value(r.hard) + "\n";
          },
          [](const ChangeDir& c) { return "cd " + sh_quote(c.dir) + "\n"; },
          [](const WriteFile& w) { return render_write_file(w); },
          [](const Unmount& u) { return "umount -l " + sh_quote(u.target) + "\n"; },
          [](const MakeSymlink& s) { return "ln -s " + sh_quote(s.target) + " " + sh_quote(s.path) + "\n"; },
          [](const MountOverlay& o) { return render_mount_overlay(o); },
          [](const CreatePath& c) { return render_create_path(c); },
      },
      step);
}

std::vector<std::string> launch_lines(const Launch& l) {
  std::vector<std::string> lines;
  for (const auto& procs : l.cgroup_procs) lines.push_back("join the cgroup of " + sh_quote(procs));
  if (auto words = namespace_words(l); !words.empty()) lines.push_back(joined(words, " "));
  for (const auto& step : l.inside) {
    std::string text = render_inside_step(step);
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      if (end > start) lines.push_back(text.substr(start, end - start));
      start = end + 1;
    }
  }
  std::string attrs = render_process_attrs(l.process);
  for (size_t start = 0; start < attrs.size();) {
    size_t end = attrs.find('\n', start);
    lines.push_back(attrs.substr(start, end - start));
    start = end + 1;
  }
  if (auto words = exec_words(l); !words.empty()) lines.push_back(joined(words, " "));
  if (!l.keep_fds.empty()) {
    std::vector<std::string> kept;
    for (int fd : l.keep_fds) kept.push_back(std::to_string(fd));
    lines.push_back("keep descriptors " + joined(kept, " "));
  }
  for (auto& line : process_lines(l)) lines.push_back(std::move(line));
  if (l.ephemeral) lines.push_back("ephemeral: the cgroups go when the command ends");
  std::vector<std::string> command;
  for (const auto& c : l.command) command.push_back(sh_quote(c));
  lines.push_back("exec " + joined(command, " "));
  return lines;
}

std::string render_launch(const Launch& l, const std::vector<std::string>& command, const std::string& release) {
  const std::vector<std::string>& program = command.empty() ? l.command : command;
  std::string out;
  if (!l.unshare.uid_map.empty() || !l.unshare.gid_map.empty())
    out += "# nsplan run: writes the id maps itself; unshare asks newuidmap/newgidmap (package uidmap),\n"
           "#   which check /etc/subuid and /etc/subgid even for root\n";
  if (deny_left_to_newgidmap(l.unshare))
    out += "# nsplan run: writes deny to setgroups before the gid_map; unshare cannot (it writes setgroups after\n"
           "#   newgidmap's map): newgidmap denies setgroups for a caller without CAP_SETGID, not for root\n";
  if (l.unshare.uid_map.size() > 1 || l.unshare.gid_map.size() > 1)
    out += "# nsplan run: maps every id range; unshare maps only the first\n";
  bool after_pivot = std::any_of(l.inside.begin(), l.inside.end(), [](const InsideStep& s) { return std::holds_alternative<PivotRoot>(s); });
  if (after_pivot)
    out += "# nsplan run: needs no program inside the new root; this script runs prlimit, setpriv and env\n"
           "#   from there after pivot_root\n";
  // umount(8) finds what it unmounts in /proc/self/mountinfo, even for a path it is given.
  bool proc_in_root = std::any_of(l.inside.begin(), l.inside.end(), [](const InsideStep& s) {
    const Mount* m = std::get_if<Mount>(&s);
    return m && m->type == Mount::Type::Proc;
  });
  if (after_pivot && !proc_in_root)
    out += "# nsplan run: detaches the old root without /proc; umount(8) reads /proc/self/mountinfo, which\n"
           "#   this new root lacks (no mnt.proc): this script stops at its umount\n";
  // A parent-death signal cannot be given to a program sh execs without a parent to die with.
  out += "# nsplan run: the command dies with nsplan (parent-death signal SIGKILL); this script starts it\n"
         "#   without one\n";
  // Not a difference from run: the same for both, said where a reader expects setpriv.
  if (l.unshare.caller_keeps_groups)
    out += "# the caller's supplementary groups stay in the user namespace: without CAP_SETGID the kernel\n"
           "#   refuses to drop them (user_namespaces(7)), so no group that denies access can be shed\n";
  out += fd_lines(l);
  out += render_process_marks(l);
  out += rootless_marks(l);

  std::vector<std::string> words = namespace_words(l);
  std::vector<std::string> tail = exec_words(l);
  if (!has_inner_sh(l)) {
    words.insert(words.end(), tail.begin(), tail.end());
    for (const auto& c : program) words.push_back(sh_quote(c));
  } else {
    // The steps inside the namespaces need a shell there; the program arrives as "$@".
    std::string inner = "set -eu\n" + rootless_inner_wait(l);
    for (const auto& step : l.inside) inner += render_inside_step(step);
    inner += render_process_attrs(l.process);
    inner += "exec";
    for (const auto& w : tail) inner += " " + w;
    inner += " \"$@\"";
    words.insert(words.end(), {"sh", "-c", sh_quote(inner), "nsplan-run"});
    for (const auto& c : program) words.push_back(sh_quote(c));
  }

  if (!l.ephemeral) {
    for (const auto& procs : l.cgroup_procs) out += "echo \"$$\" > " + sh_quote(procs) + "\n";
    // shellcheck knows a quoted program only right after sh -c; here nsenter or unshare come first.
    if (!l.inside.empty() || l.process.any_attr())
      out += "# the program in single quotes is expanded by the sh inside the namespaces, not here:\n"
             "# shellcheck disable=SC2016\n";
    if (l.rootless_net) return out + "{\nstatus=0\n" + rootless_run(l, joined(words, " ")) + "exit \"$status\"\n}\n";
    return out + "exec " + joined(words, " ") + "\n";
  }
  // Ephemeral: the command runs as a child that joins the cgroups itself; when it ends, the
  // profile's cgroups go, and the script exits with the command's status.
  out += "# nsplan run: if nsplan is killed meanwhile, a guard process still removes the cgroups\n";
  std::string join;
  for (size_t i = 0; i < l.cgroup_procs.size(); ++i) join += "echo \"$$\" > \"$" + std::to_string(i + 1) + "\" && ";
  join += "shift " + std::to_string(l.cgroup_procs.size()) + " && exec \"$@\"";
  // One compound command: sh reads all of it before the command starts, so a command that reads
  // its stdin (the rest of the script, under `explain | sh`) cannot swallow the release lines.
  std::string joining = "sh -c " + sh_quote(join) + " nsplan-join";
  for (const auto& procs : l.cgroup_procs) joining += " " + sh_quote(procs);
  joining += " " + joined(words, " ");
  out += "{\nstatus=0\n" + (l.rootless_net ? rootless_run(l, joining) : joining + " || status=$?\n");
  // As run: what the release cannot do is reported, and the status is the command's.
  out += "set +e\n" + release;
  return out + "exit \"$status\"\n}\n";
}

}  // namespace nsplan::applier
