// bash completion: generated tables of commands, options and arguments, and a fixed function
// that walks the words before the cursor with them.
#include "cli/completions.h"

namespace nsplan::cli {
namespace {

// What the script offers for a value, as one word ("choices v1 v2" lists them).
std::string kind_word(ValueKind kind, const std::vector<std::string>& choices) {
  switch (kind) {
    case ValueKind::Nothing: return "nothing";
    case ValueKind::Directory: return "directory";
    case ValueKind::File: return "file";
    case ValueKind::ProfileFile: return "profile";
    case ValueKind::ProfileOrName: return "profile-or-name";
    case ValueKind::Command: return "command";
    case ValueKind::Choices: {
      std::string s = "choices";
      for (const auto& c : choices) s += " " + c;
      return s;
    }
  }
  return "nothing";
}

std::string words(const std::vector<std::string>& list) {
  std::string s;
  for (const auto& w : list) s += (s.empty() ? "" : " ") + w;
  return s;
}

std::string option_names(const std::vector<OptionInfo>& options) {
  std::vector<std::string> names;
  for (const auto& o : options) names.insert(names.end(), o.names.begin(), o.names.end());
  return words(names);
}

// The fixed part. Words are read as bash split them: `--state-dir=/x` arrives as three words
// (`=` is in COMP_WORDBREAKS), so a lone `=` after an option joins it to its value.
constexpr const char* kCompletionFunction = R"SH(
# Adds to COMPREPLY the profile files matching CUR: *.yaml and *.yml files (and directories, to
# reach others), and the profiles of the search path by their path when their name matches.
_nsplan_profile_files() {  # CUR SEARCH-DIR...
  local cur=$1 dir file
  shift
  local IFS=$'\n'
  COMPREPLY+=($(compgen -f -X '!*.yaml' -- "$cur") $(compgen -f -X '!*.yml' -- "$cur") $(compgen -d -S / -- "$cur"))
  if [[ $cur != */* ]]; then
    for dir in "$@"; do
      for file in "$dir"/*.yaml; do
        [[ -f $file && ${file##*/} == "$cur"* ]] && COMPREPLY+=("$file")
      done
    done
  fi
}

# Adds to COMPREPLY the names of the profiles applied in STATE-DIR (a file NAME.state each)
# that start with CUR.
_nsplan_applied_names() {  # CUR STATE-DIR
  local file name
  for file in "$2"/*.state; do
    name=${file##*/}
    name=${name%.state}
    [[ -f $file && $name == "$1"* ]] && COMPREPLY+=("$name")
  done
}

_nsplan_offer() {  # KIND CUR: what a value of that kind can be (search_path, state_dir: _nsplan's)
  local kind=$1 cur=$2
  case $kind in
    directory) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -d -- "$cur")) ;;
    file) compopt -o filenames 2>/dev/null; COMPREPLY=($(compgen -f -- "$cur")) ;;
    choices\ *) COMPREPLY=($(compgen -W "${kind#choices }" -- "$cur")) ;;
    profile) compopt -o filenames 2>/dev/null; _nsplan_profile_files "$cur" "${search_path[@]}" ;;
    profile-or-name) _nsplan_applied_names "$cur" "$state_dir"; _nsplan_profile_files "$cur" "${search_path[@]}" ;;
    command) COMPREPLY=($(compgen -c -- "$cur" | sort -u)) ;;
  esac
}

_nsplan() {
  local cur=${COMP_WORDS[COMP_CWORD]} command='' state_dir=/run/nsplan word value kind i
  # nsplan's default for another user than root: their runtime dir (docs/cli.md, --state-dir).
  if ((EUID)); then
    if [[ ${XDG_RUNTIME_DIR:-} == /* && -d ${XDG_RUNTIME_DIR:-} && -O ${XDG_RUNTIME_DIR:-} ]]; then
      state_dir=$XDG_RUNTIME_DIR/nsplan
    else
      state_dir=/run/user/$EUID/nsplan
    fi
  fi
  local -a search_path=() arguments=() after_dashes=()
  local given=0 dashes=0
  COMPREPLY=()
  # The words before the cursor: the command, the options' values, the arguments given so far.
  for ((i = 1; i < COMP_CWORD; i++)); do
    word=${COMP_WORDS[i]}
    if ((dashes)); then after_dashes+=("$word"); continue; fi
    if [[ -z $command ]]; then
      [[ $word != -* ]] && command=$word
      continue
    fi
    if [[ $word == -- ]]; then dashes=1; continue; fi
    if [[ $word == -* ]]; then
      kind=$(_nsplan_option_value "$command" "${word%%=*}")
      [[ -z $kind ]] && continue
      if [[ $word == *=* ]]; then value=${word#*=}
      elif [[ ${COMP_WORDS[i+1]} == = ]]; then value=${COMP_WORDS[i+2]}; ((i += 2))
      else value=${COMP_WORDS[i+1]}; ((i++))
      fi
      case ${word%%=*} in
        --state-dir) state_dir=$value ;;
        --profile-path) search_path+=("$value") ;;
      esac
      continue
    fi
    ((given++))
  done
  ((${#search_path[@]})) || search_path=(@PROFILE_SEARCH_PATH@)

  if [[ -z $command ]]; then
    if [[ $cur == -* ]]; then COMPREPLY=($(compgen -W "$(_nsplan_options '')" -- "$cur"))
    else COMPREPLY=($(compgen -W "$(_nsplan_commands)" -- "$cur"))
    fi
    return
  fi
  # The value of the option before the cursor (`--opt VALUE` or `--opt=VALUE`).
  local option=${COMP_WORDS[COMP_CWORD-1]}
  [[ $option == = ]] && option=${COMP_WORDS[COMP_CWORD-2]}
  [[ $cur == = ]] && { option=${COMP_WORDS[COMP_CWORD-1]}; cur=''; }
  if ((!dashes)) && [[ $option == -* && $option != -- ]]; then
    kind=$(_nsplan_option_value "$command" "$option")
    if [[ -n $kind ]]; then _nsplan_offer "$kind" "$cur"; return; fi
  fi
  # After `--`: the command to start, then its arguments (files).
  if ((dashes)); then
    if ((${#after_dashes[@]} == 0)); then _nsplan_offer command "$cur"
    else compopt -o default 2>/dev/null
    fi
    return
  fi
  if [[ $cur == -* ]]; then
    COMPREPLY=($(compgen -W "$(_nsplan_options "$command")" -- "$cur"))
    return
  fi
  # The argument at this place (the last one of a command may repeat: PROFILE ..., COMMAND ...),
  # or, when all are given, the options.
  mapfile -t arguments < <(_nsplan_arguments "$command")
  kind=${arguments[given]:-}
  if [[ -z $kind && ${#arguments[@]} -gt 0 && ${arguments[-1]} == *... ]]; then kind=${arguments[-1]}; fi
  if [[ -n $kind ]]; then _nsplan_offer "${kind%...}" "$cur"
  else COMPREPLY=($(compgen -W "$(_nsplan_options "$command")" -- "$cur"))
  fi
}

complete -F _nsplan nsplan
)SH";

}  // namespace

std::string bash_completion(const CommandLine& cl) {
  std::string out =
      "# bash completion for nsplan(1). Made by `nsplan --generate bash` from nsplan's command line\n"
      "# definition (cli/completion_bash.cc); do not edit.\n"
      "# shellcheck shell=bash\n\n"
      "_nsplan_commands() {\n  echo '";
  std::vector<std::string> names;
  for (const auto& c : cl.commands) names.push_back(c.name);
  out += words(names) + "'\n}\n\n";

  out += "# The options COMMAND takes ('': those before a command).\n_nsplan_options() {\n  case $1 in\n";
  out += "    '') echo '" + option_names(cl.options) + "' ;;\n";
  for (const auto& c : cl.commands) out += "    " + c.name + ") echo '" + option_names(c.options) + "' ;;\n";
  out += "  esac\n}\n\n";

  out += "# What the value of OPTION of COMMAND can be; nothing for a flag or an unknown option.\n"
         "_nsplan_option_value() {\n  case \"$1 $2\" in\n";
  for (const auto& c : cl.commands)
    for (const auto& o : c.options) {
      if (o.value.empty() && o.choices.empty()) continue;
      for (const auto& n : o.names)
        out += "    '" + c.name + " " + n + "') echo '" + kind_word(value_kind(o.value, !o.choices.empty()), o.choices) + "' ;;\n";
    }
  out += "  esac\n}\n\n";

  out += "# The arguments of COMMAND in order, one a line; \"...\" marks one that repeats.\n"
         "_nsplan_arguments() {\n  case $1 in\n";
  for (const auto& c : cl.commands) {
    if (c.arguments.empty()) continue;
    std::string lines;
    for (const auto& a : c.arguments)
      lines += " '" + kind_word(value_kind(a.value, !a.choices.empty()), a.choices) + (a.repeated ? "..." : "") + "'";
    out += "    " + c.name + ") printf '%s\\n'" + lines + " ;;\n";
  }
  out += "  esac\n}\n";
  out += with_search_path(kCompletionFunction);
  return out;
}

}  // namespace nsplan::cli
