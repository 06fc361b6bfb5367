#include "applier/user_cgroups.h"

#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <set>

#include "compiler/overloaded.h"

namespace nsplan::applier {
namespace {

std::string parent_of(const std::string& dir) { return dir.substr(0, dir.rfind('/')); }

constexpr const char* kDevices = "to set device rules (devices.allow and devices.deny on v1, a BPF program on v2)";
constexpr const char* kOwners = "to change the owners of cgroup files (cgroup.permissions)";
constexpr const char* kSystemUnit = "to start or stop a system unit of systemd (the subtree it delegates on a systemd host)";

// Adds what writing FILE of cgroup DIR needs: nothing when the plan makes DIR (it will be the
// user's) and it is not there yet; nothing for a file the kernel does not have (apply says so).
void need_file(UserCgroupNeeds& needs, const std::set<std::string>& made, const Exists& exists, const std::string& dir,
               const std::string& file, const std::string& why) {
  if (made.count(dir) && !exists(dir)) return;
  if (exists(dir + "/" + file)) needs.writes.push_back({dir + "/" + file, why});
}

void need_root(UserCgroupNeeds& needs, const std::string& why) {
  if (std::find(needs.root_only.begin(), needs.root_only.end(), why) == needs.root_only.end()) needs.root_only.push_back(why);
}

std::string lacking(const UserCgroupNeeds& needs) {
  std::string out;
  auto add = [&](const std::string& s) { out += (out.empty() ? "" : "; ") + s; };
  for (const auto& r : needs.root_only) add("root (" + r + ")");
  size_t shown = 0, denied = 0;
  for (const auto& w : needs.writes) {
    // Effective ids, as the kernel checks the write; X_OK too for a directory (to reach its entries).
    struct stat st {};
    const bool dir = ::stat(w.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
    if (::faccessat(AT_FDCWD, w.path.c_str(), dir ? W_OK | X_OK : W_OK, AT_EACCESS) == 0) continue;
    if (errno == ENOENT) {  // gone since it was looked at, or a --cgroup-parent that is not there
      add(w.path + " to exist (" + w.why + ")");
      continue;
    }
    if (++denied <= 3) {
      add("write access to " + w.path + " (" + w.why + ")");
      ++shown;
    }
  }
  if (denied > shown) add("and " + std::to_string(denied - shown) + " more path(s) like these");
  if (denied) out += ", which uid " + std::to_string(geteuid()) + " lacks";
  return out;
}

bool exists_now(const std::string& path) {
  struct stat st {};
  return ::lstat(path.c_str(), &st) == 0;
}

}  // namespace

UserCgroupNeeds user_apply_needs(const plan::Plan& plan, const Exists& exists) {
  UserCgroupNeeds needs;
  std::set<std::string> made;
  for (const auto& s : plan.steps)
    if (const auto* m = std::get_if<plan::MakeCgroup>(&s.action)) made.insert(m->dir);
  for (const auto& s : plan.steps) {
    std::visit(overloaded{
                   [&](const plan::MakeCgroup& a) {
                     // In a directory the plan makes first, or in one the user may write.
                     const std::string parent = parent_of(a.dir);
                     if (!exists(a.dir) && !(made.count(parent) && !exists(parent)))
                       needs.writes.push_back({parent, "to make the cgroup " + a.dir});
                   },
                   [&](const plan::EnableControllers& a) {
                     need_file(needs, made, exists, a.dir, "cgroup.subtree_control", "to enable controllers for the cgroups below it");
                   },
                   [&](const plan::WriteCgroupFile& a) { need_file(needs, made, exists, a.dir, a.file, "to set it"); },
                   [&](const plan::CopyFromParent& a) { need_file(needs, made, exists, a.dir, a.file, "to copy the parent's value"); },
                   [&](const plan::SetDeviceAccess&) { need_root(needs, kDevices); },
                   [&](const plan::AddDeviceRule&) { need_root(needs, kDevices); },
                   [&](const plan::SetCgroupAccess&) { need_root(needs, kOwners); },
                   [&](const plan::DelegatedUnit&) { need_root(needs, kSystemUnit); },
                   [&](const auto&) {},  // namespaces and links: capabilities (privileges.cc)
               },
               s.action);
  }
  return needs;
}

UserCgroupNeeds user_undo_needs(const std::vector<Owned>& records, const Exists& exists) {
  UserCgroupNeeds needs;
  auto file = [&](const std::string& dir, const std::string& name, const std::string& why) {
    if (exists(dir + "/" + name)) needs.writes.push_back({dir + "/" + name, why});
  };
  for (const auto& r : records) {
    std::visit(overloaded{
                   [&](const RemoveCgroup& u) {
                     if (exists(u.dir)) needs.writes.push_back({parent_of(u.dir), "to remove the cgroup " + u.dir});
                   },
                   [&](const RestoreCgroupFile& u) { file(u.dir, u.file, "to give back its value"); },
                   [&](const DisableControllers& u) { file(u.dir, "cgroup.subtree_control", "to disable the controllers it enabled"); },
                   [&](const RestoreDeviceList&) { need_root(needs, kDevices); },
                   [&](const RemoveDeviceRule&) { need_root(needs, kDevices); },
                   [&](const DetachDeviceProgram&) { need_root(needs, kDevices); },
                   [&](const RestoreCgroupAccess&) { need_root(needs, kOwners); },
                   [&](const StopUnit&) { need_root(needs, kSystemUnit); },
                   [&](const auto&) {},
               },
               r.undo);
  }
  return needs;
}

UserCgroupNeeds user_control_needs(const std::vector<std::string>& dirs, const Exists& exists) {
  UserCgroupNeeds needs;
  for (const auto& dir : dirs)
    for (const char* file : {"cgroup.freeze", "cgroup.kill", "freezer.state"})
      if (exists(dir + "/" + file)) needs.writes.push_back({dir + "/" + file, "to freeze, thaw or kill what runs there"});
  return needs;
}

std::string user_cannot_apply(const plan::Plan& plan) { return lacking(user_apply_needs(plan, exists_now)); }
std::string user_cannot_undo(const std::vector<Owned>& records) { return lacking(user_undo_needs(records, exists_now)); }
std::string user_cannot_control(const std::vector<std::string>& dirs) { return lacking(user_control_needs(dirs, exists_now)); }

}  // namespace nsplan::applier
