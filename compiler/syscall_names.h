// Names of syscalls and errno values, for run.seccomp. The syscall table is libseccomp's (compiled
// into the library: a lookup in its arrays, no system call), so compiler/ stays free of syscalls
// and the names it accepts are exactly the names the applier's filter can resolve.
#pragma once
#include <optional>
#include <string>
#include <vector>

namespace nsplan {

// A syscall name libseccomp knows on any architecture ("stime" is one, though x86_64 lacks it).
bool is_syscall_name(const std::string& name);
// The native architecture's syscalls, for did-you-mean hints.
const std::vector<std::string>& native_syscall_names();
// EPERM -> 1; nullopt for a name that is not an errno of this libc.
std::optional<int> errno_number(const std::string& name);

}  // namespace nsplan
