// fish completion: a `complete` line per command and per option of each command, made from the
// definition, and fixed functions that list profiles.
#include "cli/completions.h"

namespace nsplan::cli {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) out += c == '\'' || c == '\\' ? std::string("\\") + c : std::string(1, c);
  return out + "'";
}

// -x: takes a value, and only the listed ones (no file names unless listed).
std::string value_arguments(const OptionInfo& o) {
  if (o.value.empty() && o.choices.empty()) return "";
  switch (value_kind(o.value, !o.choices.empty())) {
    case ValueKind::Directory: return " -x -a '(__fish_complete_directories)'";
    case ValueKind::File: return " -r -F";
    case ValueKind::Choices: {
      std::string list;
      for (const auto& c : o.choices) list += (list.empty() ? "" : " ") + c;
      return " -x -a " + quoted(list);
    }
    case ValueKind::ProfileFile: return " -x -a '(__nsplan_profile_files)'";
    case ValueKind::ProfileOrName: return " -x -a '(__nsplan_profiles_or_names)'";
    case ValueKind::Nothing:
    case ValueKind::Command: return " -x";
  }
  return " -x";
}

std::string option_line(const std::string& condition, const OptionInfo& o) {
  std::string line = "complete -c nsplan -n " + quoted(condition);
  for (const auto& n : o.names) line += n.starts_with("--") ? " -l " + n.substr(2) : " -s " + n.substr(1);
  return line + value_arguments(o) + " -d " + quoted(o.description) + "\n";
}

constexpr const char* kProfileFunctions = R"SH(
# The values given to OPTION on the command line (--opt V or --opt=V), else DEFAULT.
function __nsplan_given --argument-names option default
    set -l tokens (commandline -opc)
    set -l values
    for i in (seq (count $tokens))
        switch $tokens[$i]
            case "$option=*"
                set -a values (string replace -- "$option=" '' $tokens[$i])
            case $option
                test $i -lt (count $tokens); and set -a values $tokens[(math $i + 1)]
        end
    end
    test (count $values) -gt 0; or set values $default
    printf '%s\n' $values
end

# Profile files: *.yaml and *.yml (and directories, to reach others), and the profiles of the
# search path (--profile-path on the line, else the default one) by their path.
function __nsplan_profile_files
    set -l token (commandline -ct)
    for file in $token*.yaml $token*.yml
        test -f $file; and echo $file
    end
    for dir in $token*/
        echo $dir
    end
    set -l search (__nsplan_given --profile-path '' | string match -v '')
    test (count $search) -gt 0; or set search @PROFILE_SEARCH_PATH@
    for dir in $search
        for file in $dir/*.yaml
            test -f $file; and echo $file
        end
    end
end

# destroy and status: also the names of the profiles applied in the state dir (--state-dir on
# the line, else nsplan's default: /run/nsplan for root, another user's runtime dir), a file
# NAME.state each.
function __nsplan_default_state_dir
    set -l uid (id -u)
    if test $uid -eq 0
        echo /run/nsplan
    else if set -q XDG_RUNTIME_DIR; and string match -q -- '/*' $XDG_RUNTIME_DIR; and test -d $XDG_RUNTIME_DIR -a -O $XDG_RUNTIME_DIR
        echo $XDG_RUNTIME_DIR/nsplan
    else
        echo /run/user/$uid/nsplan
    end
end

function __nsplan_profiles_or_names
    for file in (__nsplan_given --state-dir (__nsplan_default_state_dir))[-1]/*.state
        string replace -r '^.*/(.*)\.state$' '$1' -- $file
    end
    __nsplan_profile_files
end
)SH";

}  // namespace

std::string fish_completion(const CommandLine& cl) {
  std::string out =
      "# fish completion for nsplan(1). Made by `nsplan --generate fish` from nsplan's command line\n"
      "# definition (cli/completion_fish.cc); do not edit.\n";
  out += with_search_path(kProfileFunctions);
  out += "\n# No file names but those offered below.\ncomplete -c nsplan -f\n";
  for (const auto& o : cl.options) out += option_line("__fish_use_subcommand", o);
  for (const auto& c : cl.commands)
    out += "complete -c nsplan -n __fish_use_subcommand -a " + c.name + " -d " + quoted(c.description) + "\n";
  for (const auto& c : cl.commands) {
    std::string condition = "__fish_seen_subcommand_from " + c.name;
    out += "\n";
    for (const auto& o : c.options) out += option_line(condition, o);
    for (const auto& a : c.arguments) {
      ValueKind kind = value_kind(a.value, !a.choices.empty());
      if (kind == ValueKind::Choices) {
        // Until one of them is given (fish sees any word of the line, not a position).
        std::string list;
        for (const auto& choice : a.choices) list += (list.empty() ? "" : " ") + choice;
        out += "complete -c nsplan -n " + quoted(condition + "; and not __fish_seen_subcommand_from " + list) + " -a " + quoted(list) + "\n";
      }
      if (kind == ValueKind::File) out += "complete -c nsplan -n " + quoted(condition) + " -F\n";
      if (kind == ValueKind::ProfileFile) out += "complete -c nsplan -n " + quoted(condition) + " -a '(__nsplan_profile_files)'\n";
      if (kind == ValueKind::ProfileOrName)
        out += "complete -c nsplan -n " + quoted(condition) + " -a '(__nsplan_profiles_or_names)'\n";
    }
  }
  return out;
}

}  // namespace nsplan::cli
