// Shell completions for nsplan, made from the command line's definition (cli/command_model.h):
// the commands, each command's own options, the values of those options, and profiles where a
// profile is asked for: *.yaml/*.yml files, the profiles of the search path (--profile-path on
// the line, else the default search path) by their path, and for destroy and status the names of
// the profiles applied in the state dir (--state-dir on the line, else /run/nsplan).
#pragma once
#include <string>

#include "cli/command_model.h"
#include "schema/profile_search_path.h"

namespace nsplan::cli {

// SCRIPT with @PROFILE_SEARCH_PATH@ replaced by the default search path, one word a directory.
inline std::string with_search_path(std::string script) {
  const std::string mark = "@PROFILE_SEARCH_PATH@";
  for (size_t at; (at = script.find(mark)) != std::string::npos;) script.replace(at, mark.size(), profile_search_path_text(" "));
  return script;
}

// What to offer for a value: one word per kind, as the scripts test for it.
enum class ValueKind { Nothing, Directory, File, Choices, ProfileFile, ProfileOrName, Command };
ValueKind value_kind(const std::string& value_name, bool has_choices);

std::string bash_completion(const CommandLine& cl);
std::string zsh_completion(const CommandLine& cl);
std::string fish_completion(const CommandLine& cl);

}  // namespace nsplan::cli
