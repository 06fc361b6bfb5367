// Capability sets of the launched command (plan::Capabilities), through libcap, in two halves
// around the change of uid (launch_steps.cc, become_command):
//   before: the bounding set is cut (needs CAP_SETPCAP, which the uid change takes from the
//     effective set) and PR_SET_KEEPCAPS is set, so that a change to a non-zero uid keeps the
//     permitted set;
//   after: effective = permitted again, then the inheritable set, then the ambient set (a
//     capability is raised there only while permitted and inheritable). exec computes permitted
//     and effective from these (capabilities(7)): a non-root command holds its ambient set.
#pragma once
#include <string>

#include "compiler/plan_process.h"

namespace nsplan::applier {

// "" or what failed, with the errno text.
std::string capabilities_before_identity(const plan::Capabilities& caps);
std::string capabilities_after_identity(const plan::Capabilities& caps);

}  // namespace nsplan::applier
