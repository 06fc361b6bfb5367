// The compiler's one entry point: file -> (includes) -> Profile -> checks -> Plan.
#pragma once
#include <memory>
#include <optional>
#include <string>

#include "compiler/diagnostics.h"
#include "compiler/loader.h"
#include "compiler/plan.h"
#include "compiler/planner.h"
#include "schema/model.h"

namespace nsplan {

struct Compilation {
  SourceManager sources;
  Diagnostics diags;
  std::optional<Profile> profile;  // set when the file could be read
  std::optional<plan::Plan> plan;  // set when there are no errors
  bool ok() const { return plan.has_value() && !diags.has_errors(); }
};

// Loads and checks only (nsplan check): no plan, so no host facts are needed.
std::unique_ptr<Compilation> check_file(const std::string& path, const FileReader& read,
                                        const LoadOptions& load = {});

// Loads, checks and plans for `facts`.
std::unique_ptr<Compilation> compile_file(const std::string& path, const FileReader& read,
                                          const HostFacts& facts, const PlanOptions& options,
                                          const LoadOptions& load = {});

}  // namespace nsplan
