// The rootless network helper of a launch (plan::RootlessNet, namespaces.net.rootless): pasta
// started on the child's namespaces, recorded by a pidfd, and stopped when the command ends.
// nsplan signals only the process it started: its own child, pinned by a pidfd from the fork on,
// and the pid pasta reports must be that child's.
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

// Runs PROGRAM OPTIONS... -P PIDFILE TARGET as nsplan's child (OPTIONS keep it in the
// foreground), in a session of its own and with the parent-death signal SIGTERM, and waits until
// it has configured TARGET's net namespace: it then writes its own pid to PIDFILE. "" on success;
// otherwise the helper is stopped and reaped.
std::string start_rootless_net(const plan::RootlessNet& r, const std::string& program, pid_t target, RootlessHelper& out);

// SIGTERM through the pidfd, SIGKILL after a second; reaps the helper and closes the pidfd.
// Nothing when none.
void stop_rootless_net(RootlessHelper& h);

}  // namespace nsplan::applier
