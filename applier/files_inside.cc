#include "applier/files_inside.h"

#include <fcntl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace nsplan::applier::launch {

std::string write_new_file(const plan::WriteFile& w) {
  auto failed = [&](const char* what) { return std::string(what) + " " + w.path + ": " + std::strerror(errno); };
  int fd = ::open(w.path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return failed("create");
  std::string error;
  if (::fchmod(fd, w.mode) != 0) error = failed("chmod");
  for (size_t done = 0; error.empty() && done < w.text.size();) {
    ssize_t n = ::write(fd, w.text.data() + done, w.text.size() - done);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) error = failed("write");
    else done += static_cast<size_t>(n);
  }
  ::close(fd);
  return error;
}

std::string detach_mount(const plan::Unmount& u) {
  if (::umount2(u.target.c_str(), MNT_DETACH | UMOUNT_NOFOLLOW) != 0) return "unmount " + u.target + ": " + std::strerror(errno);
  return "";
}

std::string make_symlink(const plan::MakeSymlink& s) {
  if (::symlink(s.target.c_str(), s.path.c_str()) != 0) return "symlink " + s.path + " -> " + s.target + ": " + std::strerror(errno);
  return "";
}

const char* mount_type_name(plan::Mount::Type t) {
  using T = plan::Mount::Type;
  switch (t) {
    case T::Proc: return "proc";
    case T::Tmpfs: return "tmpfs";
    case T::Bind: return nullptr;
    case T::Devpts: return "devpts";
    case T::Mqueue: return "mqueue";
    case T::Sysfs: return "sysfs";
  }
  return nullptr;
}

}  // namespace nsplan::applier::launch
