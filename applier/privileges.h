// What apply needs from the process before it changes anything: root's cgroup access and the
// capabilities for namespaces (CAP_SYS_ADMIN) and links (CAP_NET_ADMIN).
#pragma once
#include <string>

#include "compiler/plan.h"

namespace nsplan::applier {

// "" when the process may apply the plan; otherwise what is missing, in words.
std::string missing_privileges(const plan::Plan& plan);
// The same for work on cgroups, namespaces and links, as far as each is wanted.
std::string missing_privileges(bool cgroups, bool namespaces, bool links);

}  // namespace nsplan::applier
