// What explain can say about run.seccomp and nsplan's init: sh can do neither, so the script
// marks them ("# nsplan run: ..."), and `explain --strict` refuses them.
#pragma once
#include <string>
#include <vector>

#include "compiler/plan.h"

namespace nsplan::applier {

// The marked lines for the launch's filter and init ("" when it has neither).
std::string render_process_marks(const plan::Launch& l);

// One line each for `nsplan diff` (launch_lines): the filter and the init.
std::vector<std::string> process_lines(const plan::Launch& l);

// "FILE:LINE:COL: what" for each part of the launch a POSIX sh script cannot do, and why.
struct NotInSh {
  std::string where, what;
};
std::vector<NotInSh> process_not_in_sh(const plan::Launch& l);

}  // namespace nsplan::applier
