// The rootless network helper of a launch (plan::RootlessNet, namespaces.net.rootless): pasta
// started on the child's namespaces, recorded by a pidfd, and stopped when the command ends.
// nsplan signals only the process it started: the pid pasta reports is pinned by a pidfd and
// checked (alive, named pasta/passt) before anything is sent to it.
#pragma once
#include <sys/types.h>

#include <string>

#include "compiler/plan.h"

namespace nsplan::applier {

// The helper's program on $PATH, or "" with WHY set ("install passt").
std::string find_rootless_program(const plan::RootlessNet& r, std::string& why);

struct RootlessHelper {
  int pidfd = -1;
  pid_t pid = 0;
};

// Runs PROGRAM OPTIONS... -P PIDFILE TARGET and waits until it has configured TARGET's net
// namespace (it then forks to the background and its first process exits 0). "" on success.
std::string start_rootless_net(const plan::RootlessNet& r, const std::string& program, pid_t target, RootlessHelper& out);

// SIGTERM through the pidfd, SIGKILL after a second; closes the pidfd. Nothing when none.
void stop_rootless_net(RootlessHelper& h);

}  // namespace nsplan::applier
