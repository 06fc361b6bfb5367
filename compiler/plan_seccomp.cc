#include "compiler/plan_seccomp.h"

#include <algorithm>

#include "compiler/seccomp_groups.h"
#include "compiler/syscall_names.h"

namespace nsplan {
namespace {

// What an allow list always lets through: nsplan's own exec and its report of a failed one end
// with these, and a process that cannot exit or return from a signal handler only hangs or crashes.
const char* const kAlwaysAllowed[] = {"execve", "exit", "exit_group", "rt_sigreturn"};

}  // namespace

plan::SeccompFilter plan_seccomp(PlannerContext& ctx, const SeccompSpec& spec) {
  plan::SeccompFilter f = seccomp_filter(spec);
  f.origin = ctx.origin(spec.loc, std::string("seccomp ") + (f.allow_list ? "allow list" : "deny list"));
  return f;
}

plan::SeccompFilter seccomp_filter(const SeccompSpec& spec) {
  plan::SeccompFilter f;
  f.allow_list = !spec.allow.empty();
  f.action = spec.action ? spec.action->value : "errno";
  if (f.action == "errno") {
    f.errno_name = spec.errno_name ? spec.errno_name->value : "EPERM";
    f.errno_number = errno_number(f.errno_name).value_or(0);
  }
  for (const auto& name : f.allow_list ? spec.allow : spec.deny) {
    if (const SeccompGroup* g = find_seccomp_group(name.value)) f.syscalls.insert(f.syscalls.end(), g->syscalls.begin(), g->syscalls.end());
    else f.syscalls.push_back(name.value);
  }
  if (f.allow_list) f.syscalls.insert(f.syscalls.end(), std::begin(kAlwaysAllowed), std::end(kAlwaysAllowed));
  std::sort(f.syscalls.begin(), f.syscalls.end());
  f.syscalls.erase(std::unique(f.syscalls.begin(), f.syscalls.end()), f.syscalls.end());
  return f;
}

}  // namespace nsplan
