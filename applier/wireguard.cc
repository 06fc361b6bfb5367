#include "applier/wireguard.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdio>

#include "applier/fd.h"
#include "applier/namespaces.h"
#include "applier/program_run.h"
#include "compiler/link_tunnels.h"

namespace nsplan::applier {

namespace {
const char* const kWg = "/usr/bin/wg";
}

Status check_key_file(const std::string& path) {
  std::string what = "wireguard key file " + path;
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) return errno_error(what);
  if (S_ISLNK(st.st_mode)) return SysError{ELOOP, what + " is a symlink: give the file itself", 0, {}};
  if (!S_ISREG(st.st_mode)) return SysError{EINVAL, what + " is not a regular file", 0, {}};
  if (st.st_uid != 0 && st.st_uid != ::getuid())
    return SysError{EPERM, what + " belongs to uid " + std::to_string(st.st_uid) + ", not to root or the invoking user", 0, {}};
  if (st.st_mode & 077) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    return SysError{EPERM, what + " is open to group or other (mode " + mode + "): chmod 600 it", 0, {}};
  }
  return {};
}

Status check_wireguard_key_files(const plan::CreateLink& link) {
  if (Status s = check_key_file(link.wireguard.private_key_file); !s) return s;
  for (const auto& p : link.wireguard.peers)
    if (!p.preshared_key_file.empty())
      if (Status s = check_key_file(p.preshared_key_file); !s) return s;
  return {};
}

Status wireguard_configure(const plan::CreateLink& link) {
  std::vector<std::string> argv = wg_set_args(link.name, link.wireguard);
  argv[0] = kWg;
  std::string what = "configure wireguard '" + link.name + "' with " + kWg;
  Fd ns;
  if (!link.netns.empty()) {
    ns = Fd(::open(netns_path(link.netns).c_str(), O_RDONLY | O_CLOEXEC));
    if (ns.get() < 0) return errno_error(what + ": open " + netns_path(link.netns));
  }
  SysResult<ProgramRun> ran = run_program_in_netns(ns.get(), argv, {"PATH=/usr/sbin:/usr/bin:/sbin:/bin", "LC_ALL=C"}, "",
                                                   std::chrono::seconds(10));
  if (!ran) return ran.error().wrap(what);
  if (ran.value().status == 127) return SysError{ENOENT, what + ": " + kWg + " is missing (install wireguard-tools)", 0, {}};
  if (ran.value().status == 126) return SysError{EPERM, what + ": cannot enter netns '" + link.netns + "'", 0, {}};
  if (ran.value().status != 0)
    return SysError{EIO, what + ": wg exited with " + std::to_string(ran.value().status) + ": " + ran.value().output, 0, {}};
  return {};
}

}  // namespace nsplan::applier
