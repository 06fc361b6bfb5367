// umask, nice, oom_score_adj, ioprio, scheduling policy and CPU affinity of the launched command
// (plan::ProcessAttrs), set by the process that becomes it, in that order, after the steps inside
// the namespaces and before the change of identity (lowering nice or oom_score_adj, a real-time
// policy or I/O class need privileges the new uid may lack).
#pragma once
#include <string>

#include "compiler/plan_process.h"

namespace nsplan::applier {

// "" or what failed, with the errno text.
std::string apply_process_attrs(const plan::ProcessAttrs& p);

}  // namespace nsplan::applier
