// A wireguard link's settings, given by /usr/bin/wg (wireguard-tools) run with the arguments
// `nsplan explain` prints (compiler/link_tunnels.h, wg_set_args). Why wg and not libnl-genl:
// one definition for explain and apply (the same argument vector), wg's own reading of key
// files (the keys never pass through nsplan), and its warnings on loose key files.
#pragma once
#include <string>

#include "applier/sys_error.h"
#include "compiler/plan.h"

namespace nsplan::applier {

// A key file wg may read: a regular file (not a symlink), owned by root or the invoking user,
// not readable or writable by group or other. Else an error saying which and how to fix it.
Status check_key_file(const std::string& path);
// Every key file of LINK (private key, preshared keys), checked as above.
Status check_wireguard_key_files(const plan::CreateLink& link);
// `wg set ...` in LINK's namespace.
Status wireguard_configure(const plan::CreateLink& link);

}  // namespace nsplan::applier
