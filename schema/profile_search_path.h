// The profile search path: where a profile named by name is looked for, both on the command line
// (`nsplan apply firefox`) and in `extends:`/`include:` (`extends: base`), as NAME.yaml in the
// first of these directories that has it: the administrator's profiles, then those installed
// locally (`cmake --install` with its default prefix), then those shipped with nsplan's package.
// Fixed at build time and the same for every prefix; only --profile-path replaces it, never the
// environment: whoever sets root's environment must not choose the files root reads as profiles.
// The one definition: the loader, the CLI's help, the man pages and the completions take it here.
#pragma once
#include <array>
#include <string>

namespace nsplan {

inline constexpr std::array<const char*, 3> kProfileSearchPath = {
    "/etc/nsplan",
    "/usr/local/share/nsplan/profiles",
    "/usr/share/nsplan/profiles",
};

// "/etc/nsplan, /usr/local/share/nsplan/profiles, /usr/share/nsplan/profiles" (SEPARATOR between).
inline std::string profile_search_path_text(const std::string& separator = ", ") {
  std::string out;
  for (const char* dir : kProfileSearchPath) out += (out.empty() ? "" : separator) + std::string(dir);
  return out;
}

}  // namespace nsplan
