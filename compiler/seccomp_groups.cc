// The groups as data. A member that the native ABI lacks (stime on x86_64, the s390 calls) is
// still a known name: it matches nothing here and keeps the group the same on every machine.
#include "compiler/seccomp_groups.h"

namespace nsplan {

const std::vector<SeccompGroup>& seccomp_groups() {
  static const std::vector<SeccompGroup> groups = {
      {"@bpf", "load BPF programs and maps", {"bpf"}},
      {"@clock", "set the system clocks", {"adjtimex", "clock_adjtime", "clock_adjtime64", "clock_settime", "clock_settime64", "settimeofday", "stime"}},
      {"@cpu-emulation", "emulate other CPU modes", {"modify_ldt", "subpage_prot", "switch_endian", "vm86", "vm86old"}},
      {"@debug", "trace and inspect other processes",
       {"kcmp", "perf_event_open", "pidfd_getfd", "process_vm_readv", "process_vm_writev", "ptrace"}},
      {"@keyring", "use the kernel's key rings", {"add_key", "keyctl", "request_key"}},
      {"@module", "load and unload kernel modules", {"delete_module", "finit_module", "init_module"}},
      {"@mount", "mount, unmount and change the root",
       {"chroot", "fsconfig", "fsmount", "fsopen", "fspick", "mount", "mount_setattr", "move_mount", "open_tree", "pivot_root",
        "umount", "umount2"}},
      {"@namespaces", "make or join namespaces (clone's namespace flags are not filtered)", {"setns", "unshare"}},
      {"@raw-io", "raw port and PCI access",
       {"ioperm", "iopl", "pciconfig_iobase", "pciconfig_read", "pciconfig_write", "s390_pci_mmio_read", "s390_pci_mmio_write"}},
      {"@reboot", "reboot and load a new kernel", {"kexec_file_load", "kexec_load", "reboot"}},
      {"@swap", "turn swap on and off", {"swapoff", "swapon"}},
  };
  return groups;
}

const SeccompGroup* find_seccomp_group(std::string_view name) {
  for (const auto& g : seccomp_groups())
    if (g.name == name) return &g;
  return nullptr;
}

}  // namespace nsplan
