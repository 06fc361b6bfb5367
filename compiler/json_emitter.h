// `nsplan plan --json`: the plan as versioned JSON (format documented in docs/plan-json.md).
#pragma once
#include <string>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"

namespace nsplan {

std::string emit_json(const plan::Plan& plan, const Diagnostics& diags, const SourceManager& sm);

// The op name of an action ("make_cgroup"), as in the JSON and in the applier's journal.
const char* op_name(const plan::Action& action);

}  // namespace nsplan
