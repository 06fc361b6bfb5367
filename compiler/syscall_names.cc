#include "compiler/syscall_names.h"

#include <seccomp.h>
#include <string.h>

#include <cstdlib>

namespace nsplan {

bool is_syscall_name(const std::string& name) { return seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR; }

const std::vector<std::string>& native_syscall_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out;
    // Syscall numbers of every Linux ABI stay below 1024 (x32's are flagged, not numbered above).
    for (int nr = 0; nr < 1024; ++nr)
      if (char* n = seccomp_syscall_resolve_num_arch(SCMP_ARCH_NATIVE, nr)) {
        out.emplace_back(n);
        std::free(n);
      }
    return out;
  }();
  return names;
}

std::optional<int> errno_number(const std::string& name) {
  // glibc names each errno it knows (strerrorname_np, glibc 2.32); 4095 is the kernel's largest.
  for (int e = 1; e < 4096; ++e)
    if (const char* n = strerrorname_np(e); n && name == n) return e;
  return std::nullopt;
}

}  // namespace nsplan
