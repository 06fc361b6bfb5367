// run.seccomp -> plan::SeccompFilter (compiler/seccomp_checks.cc has checked its names).
#pragma once

#include "compiler/planner_context.h"

namespace nsplan {

plan::SeccompFilter plan_seccomp(PlannerContext& ctx, const SeccompSpec& spec);

}  // namespace nsplan
