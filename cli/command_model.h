// The command line as plain data, read from its CLI11 definition (cli/main.cc). nsplan(1) and
// the shell completions are made from it, so they name exactly the commands, arguments and
// options this nsplan takes, each where it takes it.
#pragma once
#include <string>
#include <vector>

namespace CLI {
class App;
}

namespace nsplan::cli {

struct OptionInfo {
  std::vector<std::string> names;    // "-h", "--help": short ones first
  std::string value;                 // what follows it ("DIR", "v1|v2"); "" for a flag
  std::vector<std::string> choices;  // the only values it takes, if it names them ("v1", "v2")
  std::string description;
  bool repeatable = false;
  bool is_help = false;
  std::string long_name() const;     // "--help", or the first name when it has no long one
};

struct ArgumentInfo {
  std::string value;  // "PROFILE", "PROFILE|NAME", "PID", "COMMAND" (cli/value_names.h), "oci|systemd"
  std::vector<std::string> choices;  // the only words it takes, if it names them ("oci", "systemd")
  std::string description;
  bool required = false;
  bool repeated = false;  // takes any number of words
};

struct CommandInfo {
  std::string name;
  std::string description;
  std::string footer;
  std::vector<ArgumentInfo> arguments;  // in order
  std::vector<OptionInfo> options;      // in the order --help lists them
};

struct CommandLine {
  std::string description;
  std::vector<OptionInfo> options;  // those before a command (--help, --version)
  std::vector<CommandInfo> commands;
};

CommandLine describe(const CLI::App& app);

// The names of APP's own options (not its commands') that take a value. nsplan's must be none:
// the command is found as the line's first word that is no option (main.cc, command_word).
std::vector<std::string> options_taking_values(const CLI::App& app);

}  // namespace nsplan::cli
