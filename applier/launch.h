// Starting the command of a profile (nsplan run): join its cgroups, join persistent namespaces,
// create the new ones with their options, set rlimits, identity and environment, exec. The
// command's exit status becomes ours (128 + signal when it was killed).
//
// Processes: nsplan (A) forks C. A puts C into the cgroups, writes the uid/gid maps of C's new
// user namespace, then lets it go, and forwards SIGTERM/SIGINT/SIGHUP/SIGQUIT/SIGUSR1/SIGUSR2
// to it. C joins and unshares; when a pid or time namespace is new it forks D (PID 1 there) and
// relays signals and the exit status. C and D die with their parent (PR_SET_PDEATHSIG), so
// killing nsplan leaves no process of the run behind, and with them every new namespace.
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
// not empty. `on_exit` runs in nsplan after the command ended (ephemeral cleanup).
LaunchResult run_launch(const plan::Launch& launch, const std::vector<std::string>& command);

// Moves a running process into the cgroups of the launch (nsplan attach).
std::string attach_process(const plan::Launch& launch, int pid);

}  // namespace nsplan::applier
