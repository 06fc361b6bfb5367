// namespaces.net.rootless: a network for the command's new net namespace without root, through
// pasta(1). The net namespace must be new, unnamed and owned by a new user namespace, and the
// profile must have run (the helper lives as long as the command). Pure.
#pragma once
#include <optional>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"
#include "compiler/planner_context.h"
#include "schema/model.h"

namespace nsplan {

// Located errors at the rootless key (compiler/checks.cc calls it, so `nsplan check` reports them).
void check_rootless_net(const Profile& p, Diagnostics& diags);

// The helper's command line, when the profile asks for one.
std::optional<plan::RootlessNet> plan_rootless_net(const PlannerContext& ctx);

}  // namespace nsplan
