// Checks of run.seccomp and run.init (compiler/checks.cc calls them, so `nsplan check` reports
// them too): syscall and group names (with the closest one as a hint), the errno, one list, and
// init only with a new pid namespace. Pure.
#pragma once
#include "compiler/diagnostics.h"
#include "schema/model.h"

namespace nsplan {

void check_seccomp_and_init(const Profile& p, Diagnostics& diags);

}  // namespace nsplan
