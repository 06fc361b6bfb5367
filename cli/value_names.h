// The names of the values the command line takes, as --help and nsplan(1) show them after an
// option or for an argument. The shell completions read them back (cli/command_model.h) to
// know what to offer there, so each name stands for one kind of value.
#pragma once

namespace nsplan::cli::value_name {

inline constexpr const char* kProfileFile = "PROFILE";         // a profile file
inline constexpr const char* kProfileOrName = "PROFILE|NAME";  // a profile file, or an applied profile's name
inline constexpr const char* kDirectory = "DIR";
inline constexpr const char* kCgroup = "REL";                  // a cgroup, relative to the cgroup root
inline constexpr const char* kProcessId = "PID";
inline constexpr const char* kFile = "FILE";                 // any file (a cgconfig.conf)
inline constexpr const char* kCommand = "COMMAND";             // a program and its arguments

}  // namespace nsplan::cli::value_name
