// The v2 form of a device policy: a BPF_PROG_TYPE_CGROUP_DEVICE program, hand-assembled from the
// policy's rules (no compiler, no ELF: what runc, crun and systemd do too). It decides exactly as
// device_rules::permits, i.e. as v1's devices controller would for the same rules. Pure: the
// instructions only; applier/bpf_device.h loads and attaches them.
#pragma once
#include <linux/bpf.h>

#include <optional>
#include <string>
#include <vector>

namespace nsplan::applier {

// nullopt when an exception is not in devices.list's form (the plan is input: checked again).
std::optional<std::vector<bpf_insn>> device_program(bool default_allow, const std::vector<std::string>& exceptions);

}  // namespace nsplan::applier
