#include "compiler/seccomp_checks.h"

#include "compiler/profile_reader.h"
#include "compiler/seccomp_groups.h"
#include "compiler/syscall_names.h"

namespace nsplan {
namespace {

std::string group_names() {
  std::string out;
  for (const auto& g : seccomp_groups()) out += (out.empty() ? "" : " ") + std::string(g.name);
  return out;
}

void check_name(const Located<std::string>& name, Diagnostics& diags) {
  const std::string& n = name.value;
  if (!n.empty() && n[0] == '@') {
    if (find_seccomp_group(n)) return;
    std::vector<std::string_view> names;
    for (const auto& g : seccomp_groups()) names.push_back(g.name);
    std::string best = closest_match(n, names);
    diags.error(name.loc, "unknown syscall group '" + n + "'",
                best.empty() ? "nsplan's groups: " + group_names() : "did you mean '" + best + "'?");
    return;
  }
  if (is_syscall_name(n)) return;
  std::vector<std::string_view> names(native_syscall_names().begin(), native_syscall_names().end());
  std::string best = closest_match(n, names);
  diags.error(name.loc, "unknown syscall '" + n + "'",
              best.empty() ? "a syscall name as in syscalls(2), or one of nsplan's groups: " + group_names()
                           : "did you mean '" + best + "'?");
}

void check_seccomp(const SeccompSpec& s, Diagnostics& diags) {
  if (s.allow.empty() == s.deny.empty())
    diags.error(s.loc, s.allow.empty() ? "run.seccomp lists no syscalls" : "run.seccomp has both allow and deny",
                "write either allow: [...] (every other syscall gets action) or deny: [...] (these get action)");
  for (const auto& n : s.allow) check_name(n, diags);
  for (const auto& n : s.deny) check_name(n, diags);
  if (!s.errno_name) return;
  if (s.action && s.action->value != "errno")
    diags.error(s.errno_name->loc, "errno is the error of action errno, not of action " + s.action->value,
                "leave errno out, or write action: errno");
  else if (!errno_number(s.errno_name->value))
    diags.error(s.errno_name->loc, "unknown errno '" + s.errno_name->value + "'",
                "an errno name as in errno(3): EPERM, EACCES, ENOSYS, EINVAL, ...");
}

}  // namespace

void check_seccomp_and_init(const Profile& p, Diagnostics& diags) {
  if (!p.run) return;
  if (p.run->seccomp) check_seccomp(*p.run->seccomp, diags);
  // The planner makes a pid namespace new unless it is joined (path, join, persist).
  const auto& ns = p.namespaces;
  bool new_pid = ns && ns->pid && !ns->pid->path && !ns->pid->join && !ns->pid->persist;
  if (p.run->init && p.run->init->value && !new_pid)
    diags.error(p.run->init->loc, "run.init needs a new pid namespace: only there is the command PID 1",
                "add namespaces: {pid: {}}, or leave run.init out");
}

}  // namespace nsplan
