// run.seccomp -> plan::SeccompFilter (compiler/seccomp_checks.cc has checked its names).
#pragma once

#include "compiler/planner_context.h"

namespace nsplan {

plan::SeccompFilter plan_seccomp(PlannerContext& ctx, const SeccompSpec& spec);

// The filter SPEC asks for, defaults filled in and groups expanded (with what an allow list always
// lets through; sorted, unique), without its origin: the plan's and export's one reading of it.
plan::SeccompFilter seccomp_filter(const SeccompSpec& spec);

}  // namespace nsplan
