// `nsplan explain`: the plan as a POSIX sh script, made by running apply (and, for --destroy,
// destroy) against the script writer (shell_kernel.h) and rendering the launch of `run`
// (shell_launch.h): the script is what nsplan does, step for step, because nsplan's own code
// wrote it. Deterministic: same plan, same bytes.
#pragma once
#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"

namespace nsplan::applier {

struct ExplainOptions {
  bool with_launch = true;  // false: only what `nsplan apply` does (explain --no-run)
  int attach_pid = 0;       // > 0: end by moving this process into the cgroups (explain --attach)
  bool teardown = false;    // what `nsplan destroy` does after the apply (explain --destroy)
  std::string description;  // the profile's description, as a comment
  // false (explain --no-locations): comments say what a profile line says but not its line:col
  // (warnings name only the file), so an edit that leaves the plan as it is (a comment line added,
  // keys reordered) leaves the script byte for byte as it is.
  bool locations = true;
};

std::string explain(const plan::Plan& plan, const Diagnostics& diags, const SourceManager& sm,
                    const ExplainOptions& options = {});

// The steps of apply that a script cannot perform (a BPF device program), each as "WHERE: what":
// the script marks them NOT IN SH, and explain --strict refuses to print it.
std::vector<std::string> not_in_sh(const plan::Plan& plan);

}  // namespace nsplan::applier
