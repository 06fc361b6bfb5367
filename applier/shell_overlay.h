// The launch steps of mnt.overlay, dirs, symlinks and files (plan.h: MountOverlay, CreatePath)
// as sh, for `nsplan explain`.
#pragma once
#include <string>

#include "compiler/plan.h"

namespace nsplan::applier {

// Each directory checked (a directory, not a symbolic link), then mount -t overlay.
std::string render_mount_overlay(const plan::MountOverlay& o);

// Every component on the way checked not to be a symbolic link, then mkdir -m, a noclobber
// redirection (applier/shell_files.h) or ln -s after a check that nothing is there. run does the
// same without the window between a check and the creation (openat O_NOFOLLOW): a line says so.
std::string render_create_path(const plan::CreatePath& c);

}  // namespace nsplan::applier
