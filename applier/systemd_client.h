// systemd's manager, asked through its own clients, systemctl and systemd-run, run by fork/exec
// from /usr/bin with an argument vector and a fixed environment: the transient unit whose cgroup
// systemd delegates to a profile (plan::DelegatedUnit). These are the commands `nsplan explain`
// prints for the same steps.
//
// Why not sd-bus from libsystemd: nsplan is a static PIE (docs/performance.md) and Debian ships
// no static libsystemd; linking it would make every nsplan start load libsystemd and its six
// libraries, for calls made only when a unit is started, looked at or stopped.
#pragma once
#include <string>
#include <vector>

#include "applier/kernel.h"
#include "applier/sys_error.h"

namespace nsplan::applier {

// UNIT as loaded now (CGROUP_ROOT + its ControlGroup); ENOENT when systemd has no such unit loaded.
SysResult<UnitState> systemd_unit_state(const std::string& unit, const std::string& cgroup_root);
// systemd-run of the delegated unit (applier/delegated_unit.h): it returns once the unit's
// command runs.
Status systemd_start(const std::string& unit, const std::string& slice);
Status systemd_stop(const std::string& unit);

// The argument vector of systemd-run for the delegated unit, without the program's path.
std::vector<std::string> delegated_unit_run_arguments(const std::string& unit, const std::string& slice);

}  // namespace nsplan::applier
