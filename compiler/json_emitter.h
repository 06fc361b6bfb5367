// `nsplan plan --json`: the plan as versioned JSON (format documented in docs/plan-json.md).
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <string>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"

namespace nsplan {

std::string emit_json(const plan::Plan& plan, const Diagnostics& diags, const SourceManager& sm);

// A diagnostic as JSON, the same in every document nsplan prints (docs/json.md): file, line,
// column (null when it has no place), where ("file:line:col", "" when none), severity, message,
// hint (null when none).
nlohmann::ordered_json diagnostic_json(const Diagnostic& d, const SourceManager& sm);

// The op name of an action ("make_cgroup"), as in the JSON and in the applier's journal.
const char* op_name(const plan::Action& action);

}  // namespace nsplan
