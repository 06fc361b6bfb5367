// The launch of `nsplan run` (plan::Launch) as sh: the same fields in the same order that
// applier/launch*.cc performs with syscalls, each rendered with the util-linux tool that does it
// (nsenter, unshare, mount, pivot_root, prlimit, setpriv, env). Where sh cannot do what run does,
// the script says so in a line starting with "# nsplan run:".
#pragma once
#include <string>
#include <vector>

#include "compiler/plan.h"

namespace nsplan::applier {

// The lines that start COMMAND (the launch's own when empty). RELEASE: for an ephemeral launch,
// the lines that remove the profile's cgroups after the command (the executor's, rendered).
std::string render_launch(const plan::Launch& launch, const std::vector<std::string>& command,
                          const std::string& release = {});

// One step inside the namespaces, as sh lines (each ending in a newline).
std::string render_inside_step(const plan::InsideStep& step);

// The launch as one line per stage, in run's order, with the words the script uses for it (the
// cgroups joined, nsenter/unshare, each step inside, setpriv/env, the descriptors kept, the
// command): what `nsplan diff` compares.
std::vector<std::string> launch_lines(const plan::Launch& launch);

// What nsplan run checks before it changes anything: each descriptor of keep_fds was open when it
// started (cli/run_commands.cc), else it stops with status 2. The script checks those sh can name
// (3 to 9) and says so; "" when the launch keeps none.
std::string render_kept_descriptor_checks(const plan::Launch& launch);

}  // namespace nsplan::applier
