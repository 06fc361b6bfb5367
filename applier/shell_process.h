// The process attributes and capabilities of a launch (plan::ProcessAttrs) as sh, in run's order
// (applier/process_attrs.cc, capabilities.cc): umask, renice, oom_score_adj, ionice, chrt and
// taskset lines for the shell that execs the command, and setpriv's capability options.
#pragma once
#include <string>
#include <vector>

#include "compiler/plan_process.h"

namespace nsplan::applier {

// umask ... taskset, one line each (ending in a newline), acting on the shell itself ($$).
std::string render_process_attrs(const plan::ProcessAttrs& p);
// --bounding-set, --inh-caps and --ambient-caps for setpriv (which cuts the bounding set before it
// changes the uid, keeps the permitted set across it, then sets inheritable, then ambient).
std::vector<std::string> capability_words(const plan::Capabilities& caps);

}  // namespace nsplan::applier
