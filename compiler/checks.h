// Checks that need more than one value: references between links, namespaces and routes,
// uid map overlaps, options that contradict each other. Run after read_profile; pure.
#pragma once
#include "compiler/diagnostics.h"
#include "schema/model.h"

namespace nsplan {

void check_profile(const Profile& profile, Diagnostics& diags);

}  // namespace nsplan
