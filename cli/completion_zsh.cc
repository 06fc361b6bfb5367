// zsh completion: one _arguments specification per command, made from its options and
// arguments, and fixed functions that list profiles.
#include "cli/completions.h"

namespace nsplan::cli {
namespace {

// Text inside a single-quoted zsh word.
std::string quoted(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '\'' ? std::string("'\\''") : std::string(1, c);
  return out;
}

// A description between _arguments' brackets, or after _describe's first colon.
std::string description(const std::string& s) {
  std::string out;
  for (char c : s) out += c == '[' || c == ']' || c == '\\' || c == ':' ? std::string("\\") + c : std::string(1, c);
  return quoted(out);
}

std::string action(ValueKind kind, const std::vector<std::string>& choices) {
  switch (kind) {
    case ValueKind::Nothing: return " ";
    case ValueKind::Directory: return "_files -/";
    case ValueKind::File: return "_files";
    case ValueKind::ProfileFile: return "_nsplan_profile_files";
    case ValueKind::ProfileOrName: return "_nsplan_profiles_or_names";
    case ValueKind::Command: return "_normal";
    case ValueKind::Choices: {
      std::string s = "(";
      for (const auto& c : choices) s += (s.size() == 1 ? "" : " ") + c;
      return s + ")";
    }
  }
  return " ";
}

// '--no-run[...]', '--cgroup=[...]:v1|v2:(v1 v2)', '*--profile-path=[...]:DIR:_files -/' (it
// repeats); -h and --help as '(- *)'{-h,--help}'[...]' (nothing else goes with them).
std::string option_spec(const OptionInfo& o) {
  bool takes_value = !o.value.empty() || !o.choices.empty();
  std::string head = std::string(o.repeatable ? "*" : "") + (o.is_help ? "(- *)" : "");
  std::string tail = std::string(takes_value ? "=" : "") + "[" + description(o.description) + "]";
  if (takes_value) tail += ":" + description(o.value) + ":" + action(value_kind(o.value, !o.choices.empty()), o.choices);
  if (o.names.size() == 1) return "'" + head + o.names[0] + tail + "'";
  std::string names;
  for (const auto& n : o.names) names += (names.empty() ? "" : ",") + n;
  return "'" + head + "'{" + names + "}'" + tail + "'";
}

std::string argument_spec(const ArgumentInfo& a) {
  ValueKind kind = value_kind(a.value, !a.choices.empty());
  std::string prefix = a.repeated ? (kind == ValueKind::Command ? "*::" : "*:") : a.required ? ":" : "::";
  return "'" + prefix + description(a.value) + ":" + action(kind, a.choices) + "'";
}

std::string arguments_call(const std::vector<OptionInfo>& options, const std::vector<ArgumentInfo>& arguments) {
  std::string out = "_arguments -s -S";
  for (const auto& o : options) out += " \\\n        " + option_spec(o);
  for (const auto& a : arguments) out += " \\\n        " + argument_spec(a);
  return out;
}

constexpr const char* kProfileFunctions = R"SH(
# Profile files: *.yaml and *.yml (and directories, to reach others), and the profiles of the
# search path (--profile-path on the line, else the default one) whose name starts with
# the word, by their path.
_nsplan_profile_files() {
  local -a search profiles
  search=(${(s.:.)opt_args[--profile-path]})
  (( $#search )) || search=(@PROFILE_SEARCH_PATH@)
  if [[ $PREFIX != */* ]]; then
    profiles=(${^search}/${(b)PREFIX}*.yaml(N-.))
    (( $#profiles )) && compadd -U -- $profiles
  fi
  _files -g '*.(yaml|yml)(-.)'
}

# destroy and status: also the names of the profiles applied in the state dir (--state-dir on
# the line, else nsplan's default: /run/nsplan for root, another user's runtime dir), a file
# NAME.state each.
_nsplan_profiles_or_names() {
  local default=/run/nsplan
  if (( EUID )); then
    if [[ ${XDG_RUNTIME_DIR:-} == /* && -d ${XDG_RUNTIME_DIR:-} && -O ${XDG_RUNTIME_DIR:-} ]]; then
      default=$XDG_RUNTIME_DIR/nsplan
    else
      default=/run/user/$EUID/nsplan
    fi
  fi
  local state_dir=${opt_args[--state-dir]:-$default}
  local -a names
  names=($state_dir/*.state(N-.:t:r))
  (( $#names )) && compadd -- $names
  _nsplan_profile_files
}
)SH";

}  // namespace

std::string zsh_completion(const CommandLine& cl) {
  std::string out =
      "#compdef nsplan\n"
      "# zsh completion for nsplan(1). Made by `nsplan --generate zsh` from nsplan's command line\n"
      "# definition (cli/completion_zsh.cc); do not edit.\n";
  out += with_search_path(kProfileFunctions);
  out += "\n_nsplan() {\n  local -a commands\n  commands=(\n";
  for (const auto& c : cl.commands) out += "    '" + c.name + ":" + description(c.description) + "'\n";
  out += "  )\n"
         "  if (( CURRENT == 2 )); then\n"
         "    if [[ $PREFIX == -* ]]; then\n      " + arguments_call(cl.options, {}) + "\n"
         "    else\n      _describe -t commands command commands\n    fi\n    return\n  fi\n"
         "  # The command's own options and arguments, as if it were the program.\n"
         "  local command=$words[2]\n  shift words\n  (( CURRENT-- ))\n  case $command in\n";
  for (const auto& c : cl.commands) out += "    (" + c.name + ")\n      " + arguments_call(c.options, c.arguments) + " ;;\n";
  out += "  esac\n}\n\n_nsplan \"$@\"\n";
  return out;
}

}  // namespace nsplan::cli
