// How explain renders namespaces.net.rootless (plan::RootlessNet). sh has no handshake with a
// child between its unshare and its exec: the script starts the command in the background,
// waits until it has a net namespace of its own, runs pasta on it, and lets the sh inside the
// namespaces go on through a FIFO. The differences from nsplan run are marked lines, and
// `explain --strict` refuses them (process_not_in_sh).
#pragma once
#include <string>

#include "compiler/plan.h"

namespace nsplan::applier {

// "# nsplan run: ..." lines ("" without a rootless network).
std::string rootless_marks(const plan::Launch& l);

// The first line of the sh inside the namespaces: wait for the FIFO ("" without one).
std::string rootless_inner_wait(const plan::Launch& l);

// COMMAND_LINE (one simple command) in the background with pasta started on it; leaves the
// command's exit status in $status.
std::string rootless_run(const plan::Launch& l, const std::string& command_line);

// One line for `nsplan diff`.
std::string rootless_line(const plan::RootlessNet& r);

}  // namespace nsplan::applier
