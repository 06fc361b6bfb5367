// Installs a plan's seccomp filter in the calling process (libseccomp), the last step before exec.
#pragma once
#include <string>

#include "compiler/plan.h"

namespace nsplan::applier {

// "" or what failed. Loads the filter with no_new_privs set; a syscall of another ABI than the
// native one (ia32 through int 0x80, x32 on x86_64) kills the process.
std::string install_seccomp(const plan::SeccompFilter& f);

}  // namespace nsplan::applier
