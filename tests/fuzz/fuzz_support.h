// Shared by the fuzz targets: compile a profile held in memory, and the check that an explain
// script carries profile data only inside quotes.
#pragma once
#include <string>

#include "compiler/compile.h"

namespace nsplan::fuzz {

std::unique_ptr<Compilation> compile_bytes(const uint8_t* data, size_t size, CgroupMode mode, bool plan);

// True when every line of the script is a comment, blank, or made of single-quoted strings (with
// '\'' escapes) and tokens that are either words of safe characters (letters, digits,
// _ . / : = + , @ % -) or one of the few fixed pieces of syntax the script writer uses ("$$",
// "$@", ||, &&, ;, if/then/fi, N>&-, ...; see kSyntax). A profile value that escaped its quotes
// would leave a token of its own: profile values can then never be shell syntax.
bool only_quoted_data(const std::string& script, std::string& bad_line);

}  // namespace nsplan::fuzz
