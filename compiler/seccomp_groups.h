// nsplan's own named syscall groups for run.seccomp ("@mount", "@debug", ...). They are nsplan's,
// not systemd's: some share a name and purpose with systemd's SystemCallFilter= sets, but their
// members are listed here and in docs/profile-format.md, and nowhere else.
#pragma once
#include <string_view>
#include <vector>

namespace nsplan {

struct SeccompGroup {
  std::string_view name;  // "@mount"
  std::string_view doc;   // one line for docs and hints
  std::vector<std::string_view> syscalls;
};

const std::vector<SeccompGroup>& seccomp_groups();
const SeccompGroup* find_seccomp_group(std::string_view name);

}  // namespace nsplan
