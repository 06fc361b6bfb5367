// The checks of run's process attributes and capabilities (compiler/plan_process.cc): capability
// names, umask range, scheduling priority, I/O level, CPU numbers, located errors in DIAGS.
#pragma once
#include "compiler/diagnostics.h"
#include "schema/model.h"

namespace nsplan {

void check_process(const RunSpec& run, Diagnostics& diags);

}  // namespace nsplan
