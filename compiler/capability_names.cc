#include "compiler/capability_names.h"

#include <iterator>

namespace nsplan {
namespace {

// Indexed by number, as <linux/capability.h> (Linux 5.9 added the last, checkpoint_restore).
constexpr std::string_view kNames[] = {
    "chown",           "dac_override",   "dac_read_search", "fowner",       "fsetid",        "kill",
    "setgid",          "setuid",         "setpcap",         "linux_immutable", "net_bind_service",
    "net_broadcast",   "net_admin",      "net_raw",         "ipc_lock",     "ipc_owner",     "sys_module",
    "sys_rawio",       "sys_chroot",     "sys_ptrace",      "sys_pacct",    "sys_admin",     "sys_boot",
    "sys_nice",        "sys_resource",   "sys_time",        "sys_tty_config", "mknod",       "lease",
    "audit_write",     "audit_control",  "setfcap",         "mac_override", "mac_admin",     "syslog",
    "wake_alarm",      "block_suspend",  "audit_read",      "perfmon",      "bpf",           "checkpoint_restore",
};

}  // namespace

std::optional<int> capability_number(std::string_view name) {
  for (size_t i = 0; i < std::size(kNames); ++i)
    if (kNames[i] == name) return static_cast<int>(i);
  return std::nullopt;
}

std::string capability_name(int n) {
  if (n >= 0 && static_cast<size_t>(n) < std::size(kNames)) return std::string(kNames[n]);
  return "cap_" + std::to_string(n);
}

std::vector<std::string_view> capability_names() { return {std::begin(kNames), std::end(kNames)}; }

}  // namespace nsplan
