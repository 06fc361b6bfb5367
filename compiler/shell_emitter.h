// `nsplan explain`: the plan as a POSIX sh script using only standard tools (mkdir, echo, cat,
// ip, unshare, nsenter, mount, hostname, prlimit, setpriv), every operand quoted, one comment per
// step naming the profile line it comes from. Deterministic: same plan, same bytes.
#pragma once
#include <string>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"

namespace nsplan {

std::string emit_shell(const plan::Plan& plan, const Diagnostics& diags, const SourceManager& sm,
                       const std::string& description = {});

// One action as shell lines (no comment); shared with the JSON "shell" field and tests.
std::string shell_command(const plan::Action& action);

}  // namespace nsplan
