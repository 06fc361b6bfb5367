// What apply needs from the process before it changes anything: the capabilities for namespaces
// (CAP_SYS_ADMIN) and links (CAP_NET_ADMIN), and for cgroups root, or without root write access
// to a cgroup subtree delegated to the user, given as --cgroup-parent (user_cgroups.h).
#pragma once
#include <string>
#include <vector>

#include "applier/undo.h"

#include "compiler/plan.h"

namespace nsplan::applier {

// "" when the process may apply the plan; otherwise what is missing, in words.
std::string missing_privileges(const plan::Plan& plan);
// The same for work on cgroups, namespaces and links, as far as each is wanted (cgroups: root).
std::string missing_privileges(bool cgroups, bool namespaces, bool links);
// What taking back RECORDS (destroy) needs: root, or without root what user_cgroups.h asks of
// cgroups, and the capabilities of the namespaces and links among them.
std::string missing_privileges(const std::vector<Owned>& records);
// The hint under MISSING, a refusal of missing_privileges: without root, where a user's own
// cgroups can go (--cgroup-parent, a delegated cgroup), when that is what is missing.
std::string privileges_hint(const std::string& missing);

}  // namespace nsplan::applier
