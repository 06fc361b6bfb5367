// run.seccomp -> plan::SeccompFilter (compiler/seccomp_checks.cc has checked its names).
#pragma once

#include "compiler/planner_context.h"

namespace nsplan {

plan::SeccompFilter plan_seccomp(PlannerContext& ctx, const SeccompSpec& spec);

// The syscalls the filter lists, groups expanded, with what an allow list always lets through;
// sorted, unique (the plan's and export's one list).
std::vector<std::string> seccomp_syscalls(const SeccompSpec& spec);

}  // namespace nsplan
