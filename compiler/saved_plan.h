// A saved plan (`nsplan plan PROFILE --out FILE`, `nsplan apply FILE`): what apply is to do,
// kept with everything needed to check, when it is applied, that it still is exactly that.
//
// The file holds the profile's source files (so the plan is made again from the very text that
// was reviewed, not from files that may have changed since), the target it was planned for, the
// plan itself and the changes `plan` showed against the live system. Applying it makes the plan
// again, and refuses unless the plan is the same and the live system would see the same changes.
// The file is input like a profile: its shape is checked here, and its sources are compiled.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "compiler/loader.h"

namespace nsplan {

constexpr int kSavedPlanVersion = 1;

struct SavedPlan {
  struct Source {
    std::string path;  // as the compiler named it (the main file first, then what it includes)
    std::string text;
  };
  struct Change {
    std::string text;   // "+ mkdir /sys/fs/cgroup/nsplan/lab"
    std::string where;  // "lab.yaml:7:10"
    bool operator==(const Change&) const = default;
  };
  std::string profile;       // the profile's name
  std::string source;        // the profile file as it was named on the command line
  std::string applied_from;  // its absolute path, recorded in the state as an apply's would be
  std::string target;        // HostFacts::describe() of the host it was planned on
  std::string cgroup_root, cgroup_parent, state_dir;
  bool strict = false;
  std::vector<std::string> profile_path;
  std::vector<Source> sources;
  std::string plan_json;  // emit_json of the plan, as text
  std::vector<Change> changes;
  std::vector<std::string> removals;
};

// The file's text: one JSON document ({"nsplan_json": 1, "kind": "saved_plan", ...}).
std::string saved_plan_text(const SavedPlan& saved);

// Whether TEXT is meant as a saved plan: a JSON object naming the kind "saved_plan". A profile
// in YAML never is (its top level has no such key).
bool looks_like_saved_plan(const std::string& text);

// Reads a saved plan back; nullopt with ERROR ("line 3: ...") for anything malformed.
std::optional<SavedPlan> parse_saved_plan(const std::string& text, std::string& error);

// A FileReader serving the saved sources by the path the compiler asks for: the plan is made
// from them alone. A file the saved plan does not hold is missing.
FileReader saved_sources_reader(const SavedPlan& saved);

}  // namespace nsplan
