// `nsplan explain`: the plan as a POSIX sh script using only standard tools (mkdir, echo, cat,
// ip, unshare, nsenter, mount, hostname, prlimit, setpriv), every operand quoted, one comment per
// step naming the profile line it comes from. Deterministic: same plan, same bytes.
#pragma once
#include <string>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"

namespace nsplan {

struct ShellOptions {
  bool with_launch = true;  // false: only what `nsplan apply` does (explain --no-run)
  int attach_pid = 0;       // > 0: end by moving this process into the cgroups (explain --attach)
};
std::string emit_shell(const plan::Plan& plan, const Diagnostics& diags, const SourceManager& sm,
                       const std::string& description = {}, const ShellOptions& options = {});

// `explain --destroy`: the teardown of what the script made, as `nsplan destroy` does it after a
// fresh apply: children before parents, namespaces deleted whole, host-side links removed as one
// link group. Controllers enabled in ancestors' cgroup.subtree_control are left enabled (the
// script cannot know whether they were before; `nsplan destroy` does know and disables them).
std::string emit_shell_teardown(const plan::Plan& plan);

// One action as shell lines (no comment); shared with the JSON "shell" field and tests.
std::string shell_command(const plan::Action& action);

}  // namespace nsplan
