// The launch steps of mnt.overlay, dirs, symlinks and files (plan.h: MountOverlay, CreatePath),
// performed inside the new mount namespace. Each returns "" or what failed.
#pragma once
#include <string>

#include "compiler/plan.h"

namespace nsplan::applier::launch {

// Opens every directory of the overlay without following a final symbolic link (a link, or what
// is not a directory, is refused), then mounts it by its paths: the kernel resolves them again
// (an intermediate link is followed, as for a bind source).
std::string mount_overlay(const plan::MountOverlay& o);

// Walks from / one component at a time with O_NOFOLLOW (a symbolic link on the way is refused,
// never followed), then creates the last one, which must not exist (mkdirat, openat O_EXCL,
// symlinkat), with its mode set whatever the umask.
std::string create_path(const plan::CreatePath& c);

}  // namespace nsplan::applier::launch
