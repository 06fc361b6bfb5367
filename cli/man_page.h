// The parts of nsplan(1) made from the command line's definition: the synopsis, the options
// taken before a command, and a subsection per command with its arguments and options.
// docs/man/nsplan.1.in holds the written rest; CMake puts the two together (cmake/man_page.cmake).
#pragma once
#include <string>

#include "cli/command_model.h"

namespace nsplan::cli {

std::string man_page_synopsis(const CommandLine& cl);  // lines for .SH SYNOPSIS
std::string man_page_options(const CommandLine& cl);   // .TP paragraphs for .SH OPTIONS
std::string man_page_commands(const CommandLine& cl);  // a .SS per command, for .SH COMMANDS
std::string man_page_search_path();                    // the profile search path, for .SH FILES

}  // namespace nsplan::cli
