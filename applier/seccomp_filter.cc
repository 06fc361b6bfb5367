#include "applier/seccomp_filter.h"

#include <seccomp.h>

#include <cstring>

namespace nsplan::applier {
namespace {

uint32_t action_of(const plan::SeccompFilter& f) {
  if (f.action == "kill") return SCMP_ACT_KILL_PROCESS;
  if (f.action == "trap") return SCMP_ACT_TRAP;
  if (f.action == "log") return SCMP_ACT_LOG;
  return SCMP_ACT_ERRNO(static_cast<uint32_t>(f.errno_number));
}

}  // namespace

std::string install_seccomp(const plan::SeccompFilter& f) {
  const uint32_t action = action_of(f);
  scmp_filter_ctx ctx = seccomp_init(f.allow_list ? action : SCMP_ACT_ALLOW);
  if (!ctx) return "seccomp: cannot make a filter";
  auto failed = [&](const std::string& what, int rc) {
    seccomp_release(ctx);
    return "seccomp: " + what + ": " + std::strerror(-rc);
  };
  // The filter holds the native ABI only; any other one is the bad-architecture action.
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS); rc != 0) return failed("bad-architecture action", rc);
  if (int rc = seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, 1); rc != 0) return failed("no_new_privs", rc);
  const uint32_t listed = f.allow_list ? SCMP_ACT_ALLOW : action;
  for (const auto& name : f.syscalls) {
    // The planner checked every name; one the native ABI lacks resolves to a pseudo number that
    // libseccomp leaves out of the filter.
    int nr = seccomp_syscall_resolve_name(name.c_str());
    if (nr == __NR_SCMP_ERROR) return failed("unknown syscall " + name, -EINVAL);
    if (int rc = seccomp_rule_add(ctx, listed, nr, 0); rc != 0) return failed("rule for " + name, rc);
  }
  if (int rc = seccomp_load(ctx); rc != 0) return failed("load", rc);
  seccomp_release(ctx);
  return "";
}

}  // namespace nsplan::applier
