// The file steps of a launch (plan.h: WriteFile, Unmount), performed inside the new mount
// namespace by the process that becomes the command. Each returns "" or what failed.
#pragma once
#include <string>

#include "compiler/plan.h"

namespace nsplan::applier::launch {

// Creates the file, which must not exist, never following a symbolic link; then its mode
// (whatever the umask) and its whole text.
std::string write_new_file(const plan::WriteFile& w);
// Detaches the mount at the target (MNT_DETACH), as umount -l.
std::string detach_mount(const plan::Unmount& u);
// symlink(2), which never follows or replaces what is at the path.
std::string make_symlink(const plan::MakeSymlink& s);
// The file system type mount(2) takes: "proc", "tmpfs", "devpts"...; nullptr for a bind.
const char* mount_type_name(plan::Mount::Type t);

}  // namespace nsplan::applier::launch
