// run.seccomp in the terms of nsplan export's targets: OCI's linux.seccomp, and systemd's
// SystemCallFilter=, SystemCallErrorNumber=, SystemCallLog= and SystemCallArchitectures=.
// Groups are nsplan's own (compiler/seccomp_groups.cc), so both get syscall names, never
// systemd's @groups, whose members differ.
#pragma once
#include <nlohmann/json.hpp>
#include <vector>

#include "compiler/export_process.h"
#include "schema/model.h"

namespace nsplan::exporting {

// The settings of S; CANNOT what the unit would do differently.
std::vector<UnitSetting> systemd_seccomp_settings(const SeccompSpec& s, const CannotFn& cannot);

// linux.seccomp for S.
nlohmann::ordered_json oci_seccomp(const SeccompSpec& s);

}  // namespace nsplan::exporting
