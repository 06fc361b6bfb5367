// bpf(2) for device programs: load one and attach it to a cgroup, list and detach those attached
// to a cgroup. Four commands of a fixed kernel ABI, called directly: libbpf would add its ELF
// loader (and libelf and zlib) to the static nsplan for wrappers of the same few lines.
#pragma once
#include <linux/bpf.h>

#include <cstdint>
#include <string>
#include <vector>

#include "applier/sys_error.h"

namespace nsplan::applier {

struct AttachedProgram {
  uint32_t id = 0;
  std::string name;
};

// The device programs attached to the cgroup CGROUP_FD itself (not those of its ancestors).
SysResult<std::vector<AttachedProgram>> attached_device_programs(int cgroup_fd);
// Loads INSNS as a device program called NAME and attaches it to CGROUP_FD with
// BPF_F_ALLOW_MULTI; the program's id. The verifier's log is in the error when it refuses.
SysResult<uint32_t> attach_device_program(int cgroup_fd, const std::vector<bpf_insn>& insns, const std::string& name);
// Detaches program ID from CGROUP_FD (ENOENT when it is not attached there, or gone).
Status detach_device_program(int cgroup_fd, uint32_t id);

}  // namespace nsplan::applier
