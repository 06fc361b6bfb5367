#include "cli/completions.h"
#include "cli/value_names.h"

namespace nsplan::cli {

ValueKind value_kind(const std::string& value_name, bool has_choices) {
  if (has_choices) return ValueKind::Choices;
  if (value_name == value_name::kDirectory) return ValueKind::Directory;
  if (value_name == value_name::kFile) return ValueKind::File;
  if (value_name == value_name::kProfileFile) return ValueKind::ProfileFile;
  if (value_name == value_name::kProfileOrName) return ValueKind::ProfileOrName;
  if (value_name == value_name::kCommand) return ValueKind::Command;
  return ValueKind::Nothing;  // a number, a cgroup path: nothing to list
}

}  // namespace nsplan::cli
