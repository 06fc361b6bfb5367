// run's process attributes and capabilities in the terms of nsplan export's targets: systemd's
// UMask=, Nice=, OOMScoreAdjust=, IOScheduling*=, CPUScheduling*=, CPUAffinity=,
// CapabilityBoundingSet=, AmbientCapabilities=, and OCI's process.user.umask, oomScoreAdj,
// ioPriority, scheduler, execCPUAffinity and capabilities; and no_new_privs where only its default
// (compiler/run_defaults.h) turns it on.
#pragma once
#include <functional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "schema/model.h"

namespace nsplan::exporting {

// What a target cannot express: LOC, what.
using CannotFn = std::function<void(SourceLoc, const std::string&)>;

struct UnitSetting {
  SourceLoc loc;
  std::string key, value;
};
// WORDS separated by one space (a unit setting's list).
std::string joined(const std::vector<std::string>& words);

std::vector<UnitSetting> systemd_process_settings(const RunSpec& r, const CannotFn& cannot);

// Adds the process attributes and capabilities of R to OCI's PROCESS object.
void oci_process_attrs(const RunSpec& r, nlohmann::ordered_json& process, const CannotFn& cannot);

}  // namespace nsplan::exporting
