// `nsplan --generate WHAT`, run by the build (CMakeLists.txt): the parts of nsplan(1) made from
// the command line's definition, and the shell completions. Not a command for users, so it is
// not in --help; its output is the same on every run.
#pragma once
#include <string_view>

namespace CLI {
class App;
}

namespace nsplan::cli {

// Writes WHAT (man-synopsis, man-options, man-commands, man-search-path, bash, zsh, fish) to stdout; returns
// the exit status (2 for an unknown WHAT).
int generate(const CLI::App& app, std::string_view what);

}  // namespace nsplan::cli
