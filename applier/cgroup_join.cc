#include "applier/cgroup_join.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>
#include <fstream>

#include "applier/accounts.h"

namespace nsplan::applier {
namespace {

bool in_my_groups(gid_t gid) {
  if (gid == getegid()) return true;
  int n = getgroups(0, nullptr);
  if (n <= 0) return false;
  std::vector<gid_t> groups(static_cast<size_t>(n));
  n = getgroups(n, groups.data());
  for (int i = 0; i < n; ++i)
    if (groups[static_cast<size_t>(i)] == gid) return true;
  return false;
}

// May this process write PATH, by its owner, group and mode (as the kernel decides for a
// process without CAP_DAC_OVERRIDE)? Empty when so; otherwise the file as ls shows it.
std::string unwritable(const std::string& path) {
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) return path + ": cannot look at it";
  bool ok = st.st_uid == geteuid() ? (st.st_mode & S_IWUSR) : in_my_groups(st.st_gid) ? (st.st_mode & S_IWGRP) : (st.st_mode & S_IWOTH);
  if (ok) return "";
  char mode[8];
  std::snprintf(mode, sizeof mode, "%04o", st.st_mode & 07777);
  return path + " belongs to " + user_text(st.st_uid) + ":" + group_text(st.st_gid) + " with mode " + mode;
}

// The v2 cgroup PID is in, as a path below the cgroup root ("" when it is the root); false
// when /proc says nothing of v2 (a v1-only process view).
bool v2_cgroup_of(int pid, std::string& path) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/cgroup");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("0::", 0) == 0) {
      path = line.substr(3);
      while (!path.empty() && path.front() == '/') path.erase(path.begin());
      return true;
    }
  return false;
}

// The real and saved uid of PID (v1 lets a non-root writer move only a process whose real or
// saved uid is its effective one).
bool process_uids(int pid, uid_t& real, uid_t& saved) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  for (std::string line; std::getline(in, line);)
    if (line.rfind("Uid:", 0) == 0) {
      unsigned long r = 0, e = 0, s = 0;
      if (std::sscanf(line.c_str() + 4, "%lu %lu %lu", &r, &e, &s) != 3) return false;
      real = static_cast<uid_t>(r);
      saved = static_cast<uid_t>(s);
      return true;
    }
  return false;
}

std::string common_ancestor(const std::string& a, const std::string& b) {
  std::string common;
  size_t i = 0;
  while (true) {
    size_t ea = a.find('/', i), eb = b.find('/', i);
    std::string pa = a.substr(i, ea == std::string::npos ? std::string::npos : ea - i);
    std::string pb = b.substr(i, eb == std::string::npos ? std::string::npos : eb - i);
    if (pa.empty() || pa != pb) return common;
    common = a.substr(0, ea == std::string::npos ? a.size() : ea);
    if (ea == std::string::npos || eb == std::string::npos) return common;
    i = ea + 1;
  }
}

}  // namespace

std::string why_cannot_join(const HostFacts& facts, const std::vector<std::string>& procs_files, int pid) {
  const std::string me = user_text(geteuid());
  for (const auto& procs : procs_files) {
    if (std::string file = unwritable(procs); !file.empty())
      return "you (" + me + ") may not add processes to " + procs.substr(0, procs.rfind('/')) + ": " + file +
             "\n  hint: the profile's cgroup.permissions.tasks (user or group, with a mode that lets them write) "
             "gives it to you; root applies it";
    if (facts.mode != CgroupMode::V2) {
      uid_t real = 0, saved = 0;
      if (process_uids(pid, real, saved) && real != geteuid() && saved != geteuid())
        return "process " + std::to_string(pid) + " belongs to " + user_text(real) +
               ": on cgroup v1 only root or the process's own user may move it (cgroups(7))";
      continue;
    }
    std::string from;
    if (!v2_cgroup_of(pid, from)) continue;
    const std::string root = facts.cgroup_root;
    std::string to = procs.substr(root.size(), procs.rfind('/') - root.size());
    while (!to.empty() && to.front() == '/') to.erase(to.begin());
    std::string ancestor = common_ancestor(from, to);
    std::string ancestor_procs = root + (ancestor.empty() ? "" : "/" + ancestor) + "/cgroup.procs";
    if (std::string file = unwritable(ancestor_procs); !file.empty())
      return "on cgroup v2 a process moves only for a writer who may also write cgroup.procs of the common ancestor of its "
             "old and new cgroup (cgroups(7), \"Delegation containment\"): process " + std::to_string(pid) + " is in /" + from +
             ", the common ancestor with /" + to + " is /" + ancestor + ", and " + file +
             "\n  hint: put the profile's cgroup below a subtree delegated to you, in which your session already runs "
             "(--cgroup-parent; on systemd hosts user@UID.service is one), or let root attach it";
  }
  return "";
}

}  // namespace nsplan::applier
