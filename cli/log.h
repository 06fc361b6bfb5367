// nsplan's own messages on standard error, by verbosity (-q, -v, -vv), through spdlog: warnings
// unless -q; with -v each apply step as it is done, with its duration; with -vv also the steps
// found in place and the time of each phase. Colour only on a terminal, and never with NO_COLOR
// set (https://no-color.org). Results stay on standard output, untouched by any of this.
//
// spdlog and fmt are compiled into cli/log.cc alone (header-only), so that no other file pays for
// their headers and the static binary needs no shared library of theirs.
#pragma once
#include <string>

namespace nsplan::cli::log {

enum class Level { Quiet, Normal, Verbose, Debug };

// Once, before anything is logged. -q wins over -v.
void init(Level level);
Level level();
inline bool quiet() { return level() == Level::Quiet; }

void warn(const std::string& text);
void info(const std::string& text);   // -v
void debug(const std::string& text);  // -vv

// Whether FD is a terminal that may be coloured: not with NO_COLOR set (non-empty) or TERM=dumb.
bool colour(int fd);
// Whether FD is a terminal that understands escape sequences at all (TERM is not "dumb").
bool terminal(int fd);

// TEXT (rendered diagnostics) with "error:" and "warning:" coloured when standard error is a
// colour terminal; unchanged otherwise.
std::string colour_diagnostics(const std::string& text);

}  // namespace nsplan::cli::log
