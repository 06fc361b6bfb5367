#include "compiler/export_seccomp.h"

#include "compiler/plan_seccomp.h"

namespace nsplan::exporting {

std::vector<UnitSetting> systemd_seccomp_settings(const SeccompSpec& s, const CannotFn& cannot) {
  const plan::SeccompFilter f = seccomp_filter(s);  // the filter nsplan run installs
  std::vector<UnitSetting> out;
  const std::string names = joined(f.syscalls);
  // nsplan's filter holds the native ABI only and kills a call through any other.
  out.push_back({s.loc, "SystemCallArchitectures", "native"});
  if (f.action == "log") {
    // SystemCallLog= logs the calls it selects and lets them through, as action: log does.
    out.push_back({s.loc, "SystemCallLog", f.allow_list ? "~" + names : names});
    return out;
  }
  out.push_back({s.loc, "SystemCallFilter", f.allow_list ? names : "~" + names});
  if (f.allow_list)
    cannot(s.allow.front().loc, "an allow list of these calls alone: systemd adds its @default group (getpid, futex, mmap and others) to every allow list");
  if (f.action == "errno") out.push_back({s.loc, "SystemCallErrorNumber", f.errno_name});
  else if (f.action == "trap")
    cannot(s.action->loc, "action trap (SIGSYS to a handler): a filtered call kills the process or returns an error");
  // kill: systemd's own action when no SystemCallErrorNumber= is set (the whole process).
  return out;
}

nlohmann::ordered_json oci_seccomp(const SeccompSpec& s) {
  const plan::SeccompFilter f = seccomp_filter(s);
  const std::string scmp = f.action == "kill"   ? "SCMP_ACT_KILL_PROCESS"
                           : f.action == "trap" ? "SCMP_ACT_TRAP"
                           : f.action == "log"  ? "SCMP_ACT_LOG"
                                                : "SCMP_ACT_ERRNO";
  nlohmann::ordered_json rule = {{"names", f.syscalls}, {"action", f.allow_list ? "SCMP_ACT_ALLOW" : scmp}};
  if (!f.allow_list && f.action == "errno") rule["errnoRet"] = f.errno_number;
  nlohmann::ordered_json out = {{"defaultAction", f.allow_list ? scmp : "SCMP_ACT_ALLOW"}};
  if (f.allow_list && f.action == "errno") out["defaultErrnoRet"] = f.errno_number;
  out["syscalls"] = nlohmann::ordered_json::array({rule});
  return out;
}

}  // namespace nsplan::exporting
