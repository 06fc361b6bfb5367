#include "applier/bpf_device.h"

#include <sys/syscall.h>
#include <unistd.h>

#include <cstring>

#include "applier/fd.h"

namespace nsplan::applier {
namespace {

long bpf(int cmd, bpf_attr& attr) { return ::syscall(SYS_bpf, cmd, &attr, sizeof attr); }

uint64_t ptr(const void* p) { return reinterpret_cast<uintptr_t>(p); }

SysResult<bpf_prog_info> info_of(int prog_fd) {
  bpf_prog_info info{};
  bpf_attr attr{};
  attr.info.bpf_fd = static_cast<uint32_t>(prog_fd);
  attr.info.info_len = sizeof info;
  attr.info.info = ptr(&info);
  if (bpf(BPF_OBJ_GET_INFO_BY_FD, attr) != 0) return errno_error("bpf OBJ_GET_INFO_BY_FD");
  return info;
}

// A new fd of program ID, for the caller to close.
SysResult<int> program_fd(uint32_t id) {
  bpf_attr attr{};
  attr.prog_id = id;
  long fd = bpf(BPF_PROG_GET_FD_BY_ID, attr);
  if (fd < 0) return errno_error("bpf PROG_GET_FD_BY_ID " + std::to_string(id));
  return static_cast<int>(fd);
}

}  // namespace

SysResult<std::vector<AttachedProgram>> attached_device_programs(int cgroup_fd) {
  // 64: the kernel's BPF_CGROUP_MAX_PROGS per cgroup and attach type.
  uint32_t ids[64] = {};
  bpf_attr attr{};
  attr.query.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.query.attach_type = BPF_CGROUP_DEVICE;
  attr.query.prog_ids = ptr(ids);
  attr.query.prog_cnt = 64;
  if (bpf(BPF_PROG_QUERY, attr) != 0) return errno_error("bpf PROG_QUERY (device programs)");
  std::vector<AttachedProgram> out;
  for (uint32_t i = 0; i < attr.query.prog_cnt && i < 64; ++i) {
    AttachedProgram p{ids[i], {}};
    auto fd = program_fd(ids[i]);
    Fd guard(fd.ok() ? fd.value() : -1);
    if (fd.ok())
      if (auto info = info_of(guard.get()); info.ok())
        p.name.assign(info.value().name, strnlen(info.value().name, sizeof info.value().name));
    out.push_back(p);
  }
  return out;
}

SysResult<uint32_t> attach_device_program(int cgroup_fd, const std::vector<bpf_insn>& insns, const std::string& name) {
  bpf_attr attr{};
  attr.prog_type = BPF_PROG_TYPE_CGROUP_DEVICE;
  attr.insns = ptr(insns.data());
  attr.insn_cnt = static_cast<uint32_t>(insns.size());
  attr.license = ptr("GPL");
  std::strncpy(attr.prog_name, name.c_str(), sizeof attr.prog_name - 1);
  long fd = bpf(BPF_PROG_LOAD, attr);
  if (fd < 0) {
    // Once more with the verifier's log, to say why.
    const int err = errno;
    std::string log(16384, '\0');
    attr.log_level = 1;
    attr.log_buf = ptr(log.data());
    attr.log_size = static_cast<uint32_t>(log.size());
    (void)bpf(BPF_PROG_LOAD, attr);
    log.resize(strnlen(log.data(), log.size()));
    SysError e = errno_error("bpf PROG_LOAD (the device program)", err);
    if (!log.empty()) e.detail = log.substr(log.size() > 300 ? log.size() - 300 : 0);
    return e;
  }
  Fd prog(static_cast<int>(fd));
  auto info = info_of(prog.get());
  if (!info.ok()) return info.error();
  bpf_attr at{};
  at.target_fd = static_cast<uint32_t>(cgroup_fd);
  at.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  at.attach_type = BPF_CGROUP_DEVICE;
  at.attach_flags = BPF_F_ALLOW_MULTI;
  if (bpf(BPF_PROG_ATTACH, at) != 0) return errno_error("bpf PROG_ATTACH (the device program)");
  return info.value().id;  // the attachment holds the program; our fd goes
}

Status detach_device_program(int cgroup_fd, uint32_t id) {
  auto fd = program_fd(id);
  if (!fd.ok()) return fd.status();  // ENOENT: the program is gone
  Fd prog(fd.value());
  bpf_attr attr{};
  attr.target_fd = static_cast<uint32_t>(cgroup_fd);
  attr.attach_bpf_fd = static_cast<uint32_t>(prog.get());
  attr.attach_type = BPF_CGROUP_DEVICE;
  if (bpf(BPF_PROG_DETACH, attr) != 0) return errno_error("bpf PROG_DETACH " + std::to_string(id));
  return {};
}

}  // namespace nsplan::applier
