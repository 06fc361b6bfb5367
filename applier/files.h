// Reading profile files for the compiler (which makes no syscalls itself).
#pragma once
#include "compiler/loader.h"

namespace nsplan::applier {

// Reads regular files up to `max_bytes`; refuses devices, FIFOs and directories, so that a
// profile naming /dev/zero fails at once instead of reading forever.
FileContent read_profile_file(const std::string& path, size_t max_bytes = 1 << 20);

}  // namespace nsplan::applier
