// Users and groups of this host by name or number, as chown(1) reads them: all digits is a
// number, anything else a name looked up through NSS (getpwnam_r, getgrnam_r).
#pragma once
#include <cstdint>
#include <string>

#include "applier/sys_error.h"

namespace nsplan::applier {

// The id of USER or GROUP; -1 for "" (left as it is); ENOENT naming it when this host has none.
SysResult<int64_t> user_id(const std::string& user);
SysResult<int64_t> group_id(const std::string& group);
// "alice (1000)", or the bare number when no name maps to it.
std::string user_text(uint32_t uid);
std::string group_text(uint32_t gid);

}  // namespace nsplan::applier
