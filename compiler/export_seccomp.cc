#include "compiler/export_seccomp.h"

#include "compiler/plan_seccomp.h"
#include "compiler/syscall_names.h"

namespace nsplan::exporting {
namespace {

std::string action_of(const SeccompSpec& s) { return s.action ? s.action->value : "errno"; }
std::string errno_of(const SeccompSpec& s) { return s.errno_name ? s.errno_name->value : "EPERM"; }

}  // namespace

std::vector<UnitSetting> systemd_seccomp_settings(const SeccompSpec& s, const CannotFn& cannot) {
  std::vector<UnitSetting> out;
  const bool allow_list = !s.allow.empty();
  const std::string names = joined(seccomp_syscalls(s));
  const std::string action = action_of(s);
  // nsplan's filter holds the native ABI only and kills a call through any other.
  out.push_back({s.loc, "SystemCallArchitectures", "native"});
  if (action == "log") {
    // SystemCallLog= logs the calls it selects and lets them through, as action: log does.
    out.push_back({s.loc, "SystemCallLog", allow_list ? "~" + names : names});
    return out;
  }
  out.push_back({s.loc, "SystemCallFilter", allow_list ? names : "~" + names});
  if (allow_list)
    cannot(s.allow.front().loc, "an allow list of these calls alone: systemd adds its @default group (getpid, futex, mmap and others) to every allow list");
  if (action == "errno") out.push_back({s.loc, "SystemCallErrorNumber", errno_of(s)});
  else if (action == "trap")
    cannot(s.action->loc, "action trap (SIGSYS to a handler): a filtered call kills the process or returns an error");
  // kill: systemd's own action when no SystemCallErrorNumber= is set (the whole process).
  return out;
}

nlohmann::ordered_json oci_seccomp(const SeccompSpec& s) {
  const bool allow_list = !s.allow.empty();
  const std::string action = action_of(s);
  const std::string scmp = action == "kill"   ? "SCMP_ACT_KILL_PROCESS"
                           : action == "trap" ? "SCMP_ACT_TRAP"
                           : action == "log"  ? "SCMP_ACT_LOG"
                                              : "SCMP_ACT_ERRNO";
  const int errno_ret = errno_number(errno_of(s)).value_or(1);
  nlohmann::ordered_json rule = {{"names", seccomp_syscalls(s)}, {"action", allow_list ? "SCMP_ACT_ALLOW" : scmp}};
  if (!allow_list && action == "errno") rule["errnoRet"] = errno_ret;
  nlohmann::ordered_json out = {{"defaultAction", allow_list ? scmp : "SCMP_ACT_ALLOW"}};
  if (allow_list && action == "errno") out["defaultErrnoRet"] = errno_ret;
  out["syscalls"] = nlohmann::ordered_json::array({rule});
  return out;
}

}  // namespace nsplan::exporting
