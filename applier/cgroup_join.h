// Whether this process may move a process into a cgroup without root, and if not, why in words:
// what `nsplan attach` and `nsplan run` say to a user whose cgroup was not delegated to them.
// The kernel's rules (cgroups(7)): the writer needs write access to the cgroup's cgroup.procs;
// on v1 it must be root or own the process; on v2 it must also be able to write cgroup.procs of
// the common ancestor of the process's current cgroup and the new one ("delegation containment").
#pragma once
#include <string>
#include <vector>

#include "compiler/host_facts.h"

namespace nsplan::applier {

// "" when this process may write PID into each of PROCS_FILES (absolute cgroup.procs paths) as
// far as owners, modes and the kernel's rules tell beforehand; otherwise what stops it, and which
// profile key would grant it.
std::string why_cannot_join(const HostFacts& facts, const std::vector<std::string>& procs_files, int pid);

}  // namespace nsplan::applier
