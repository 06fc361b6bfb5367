// Cgroup values the kernel would refuse, or silently store as something else, refused where they
// are written (limits and their kernel sources: compiler/cgroup_limits.h). What depends on the
// machine (which CPUs are online) is checked by the planner, against HostFacts. Pure.
#pragma once
#include "compiler/diagnostics.h"
#include "schema/model.h"

namespace nsplan {

void check_cgroup_values(const CgroupSpec& cgroup, Diagnostics& diags);

}  // namespace nsplan
