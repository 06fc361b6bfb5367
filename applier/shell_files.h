// The file steps of a launch (plan.h: WriteFile) as sh, for `nsplan explain`.
#pragma once
#include <string>

#include "compiler/plan.h"

namespace nsplan::applier {

// noclobber (set -C) makes sh create the file with O_EXCL, as run does: a file already there is
// an error, never overwritten. (sh would follow a symbolic link there, run would not; the plan
// writes only into a tmpfs it just mounted, where nothing else can be.)
std::string render_write_file(const plan::WriteFile& w);

// apply's /etc/netns/NETNS/FILE (applier/netns_etc.h) and destroy's removal of it.
std::string render_netns_etc_create(const std::string& netns, const std::string& file, const std::string& text);
std::string render_netns_etc_remove(const std::string& netns, const std::string& file, bool dir_too);

}  // namespace nsplan::applier
