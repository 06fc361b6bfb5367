// What a test script prints as "key=value" lines, read back (uplink_test.cc, tunnels_test.cc).
#pragma once
#include <map>
#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {

// An exit status that is there and is not 0.
inline bool nonzero(const std::string& status) { return !status.empty() && status != "0"; }

// The script's "key=value" lines (the first of each key).
inline std::map<std::string, std::string> values(const std::string& text) {
  std::map<std::string, std::string> out;
  for (const auto& l : lines_of(text))
    if (const size_t eq = l.find('='); eq != std::string::npos) out.emplace(l.substr(0, eq), l.substr(eq + 1));
  return out;
}

}  // namespace nsplan::kernel_test
