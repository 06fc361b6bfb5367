// The one rule for names (profiles, namespaces): they become file names in the state directory
// and /run/netns, so they cannot hold '/', start with '.' or '-', or be long.
#pragma once
#include <algorithm>
#include <cctype>
#include <string_view>

namespace nsplan {

inline bool is_name(std::string_view s) {
  return !s.empty() && s.size() <= 64 && s[0] != '-' && s[0] != '.' &&
         std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isalnum(c) || c == '_' || c == '.' || c == '-'; });
}

// Where a word may be a profile's name or a profile file (`nsplan destroy WORD`, `extends: WORD`),
// its form alone decides, never what happens to exist on disk: a path has a '/' or ends in
// .yaml or .yml; anything else is a name.
inline bool is_profile_path(std::string_view s) {
  return s.find('/') != std::string_view::npos || s.ends_with(".yaml") || s.ends_with(".yml");
}

}  // namespace nsplan
