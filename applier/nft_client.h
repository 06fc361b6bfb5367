// nftables through its own client, /usr/sbin/nft, run by fork/exec with an argument vector and a
// fixed environment (as applier/systemd_client.h runs systemd's): the ruleset is given on stdin
// to `nft -f -`, exactly the text `nsplan explain` prints as that command's heredoc. Why not
// libnftables: nsplan is a static PIE and Debian ships no static libnftables. And the sysctls of
// nsplan's network namespace, /proc/sys/net/...
#pragma once
#include <string>

#include "applier/kernel.h"
#include "applier/sys_error.h"

namespace nsplan::applier {

// The table FAMILY NAME (`nft -a list table`): its handle and comment; ENOENT when none.
SysResult<NftTableInfo> nft_table_info(const std::string& family, const std::string& name);
// `nft -f -` with RULESET on stdin: one transaction.
Status nft_run_ruleset(const std::string& ruleset);
// `nft delete table FAMILY handle HANDLE` (by NAME when HANDLE is 0).
Status nft_delete(const std::string& family, const std::string& name, uint64_t handle);

// "net.ipv4.ip_forward" -> /proc/sys/net/ipv4/ip_forward; only net.* keys, of dotted names.
SysResult<std::string> read_sysctl(const std::string& key);
Status write_sysctl(const std::string& key, const std::string& value);

}  // namespace nsplan::applier
