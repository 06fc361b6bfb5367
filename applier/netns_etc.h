// /etc/netns/NAME/FILE: the files `ip netns exec NAME` binds over /etc/FILE (ip-netns(8)), which
// apply writes for a persisted net namespace (namespaces.net.etc) and destroy removes.
//
// nsplan runs as root and these are in /etc: every directory on the way is opened relative to
// the previous one without following a symbolic link, and must be owned by root and writable by
// no one else (a symlinked or planted /etc/netns is refused, never followed). A file is only ever
// created (O_EXCL): one already there is never overwritten. FILE is resolv.conf, hosts or hostname.
#pragma once
#include <optional>
#include <string>

#include "applier/kernel.h"
#include "applier/sys_error.h"

namespace nsplan::applier {

inline constexpr const char* kNetnsEtcDir = "/etc/netns";

// Whether NAME may be a file of /etc/netns/NETNS/ that nsplan writes.
bool netns_etc_file_name(const std::string& name);

// The text of the file; nullopt when it (or its directory) does not exist.
SysResult<std::optional<std::string>> read_netns_etc(const std::string& netns, const std::string& file);
// Makes /etc/netns and /etc/netns/NETNS when missing (0755), then the file, mode 0644.
Status create_netns_etc(const std::string& netns, const std::string& file, const std::string& text);
// The file's device and inode (ENOENT when absent); FILE "": the directory /etc/netns/NETNS's.
SysResult<KernelId> netns_etc_id(const std::string& netns, const std::string& file);
// Removes the file; DIR_TOO: then /etc/netns/NETNS when that is left empty.
Status remove_netns_etc(const std::string& netns, const std::string& file, bool dir_too);

}  // namespace nsplan::applier
