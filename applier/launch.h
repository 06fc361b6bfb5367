// Starting the command of a profile (nsplan run): join its cgroups, join persistent namespaces,
// create the new ones with their options, set rlimits, identity and environment, exec. The
// command's exit status becomes ours (128 + signal when it was killed).
//
// Processes. Without a user or time namespace, nsplan (A) makes a new pid namespace for its
// children and clones the command's process D sharing its memory, suspended until D execs (as
// posix_spawn does): D joins the cgroups and the other namespaces, unshares the rest and execs;
// in a new pid namespace it is PID 1. With a user namespace (A writes its maps while the child
// waits) or a time namespace (the kernel's clock pages belong to the memory, which then cannot
// be shared) A forks C instead, puts it into the cgroups and writes the uid/gid maps of C's new
// user namespace while C waits; C unshares the rest and, when a pid or time namespace is new,
// forks D there and relays its exit status. A forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/
// SIGUSR2/SIGWINCH to its child. C and D die with their parent (PR_SET_PDEATHSIG), so killing
// nsplan leaves no process of the run behind, and with them every new namespace.
#pragma once
#include <functional>
#include <string>

#include "compiler/plan.h"

namespace nsplan::applier {

struct LaunchResult {
  int exit_status = 0;  // the command's, or 128 + signal
  std::string error;    // set when the command could not be started
};

// Runs the launch part of a plan and waits for it. `command` replaces plan.launch.command when
// not empty.
LaunchResult run_launch(const plan::Launch& launch, const std::vector<std::string>& command);

// Moves a running process into the cgroups of the launch (nsplan attach).
std::string attach_process(const plan::Launch& launch, int pid);

}  // namespace nsplan::applier
