// The cgroup file system, one hierarchy at a time. Everything is relative to a directory fd of
// the hierarchy's mount (or any directory: tests use a temporary one), so no operation can leave
// it: paths with "..", ".", empty components or a leading '/' are refused (EINVAL) before any
// syscall, and resolution refuses symlinks and mount crossings (openat2 RESOLVE_BENEATH |
// RESOLVE_NO_SYMLINKS | RESOLVE_NO_XDEV; without openat2, a walk of O_NOFOLLOW|O_DIRECTORY opens).
//
// Paths: DIR is relative to the hierarchy root, components separated by '/', "" = the root
// itself ("nsplan/firefox"). FILE is one component ("memory.limit_in_bytes").
//
// CgroupFs is abstract so that a recording fake can stand in for it in unit tests.
#pragma once
#include <fcntl.h>

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "applier/sys_error.h"

namespace nsplan::applier {

// Who owns one file of a cgroup ("." = the directory itself), and its permission bits.
struct FileAccess {
  std::string file;
  uint32_t uid = 0, gid = 0, mode = 0;
  bool operator==(const FileAccess&) const = default;
};

class CgroupFs {
 public:
  virtual ~CgroupFs() = default;

  // true if DIR is an existing directory; false if a component is missing (ENOENT).
  virtual SysResult<bool> exists(std::string_view dir) = 0;
  // mkdir DIR (mode 0755; the parent must exist). An existing DIR fails with err == EEXIST,
  // so that a caller can tell "made it" (undo by rmdir) from "was already there" (leave it).
  virtual Status mkdir(std::string_view dir) = 0;
  // rmdir DIR (cgroupfs ignores its control files). EBUSY while tasks or children remain.
  virtual Status rmdir(std::string_view dir) = 0;
  // Writes VALUE to DIR/FILE with exactly one write() of the whole value (cgroup files parse one
  // write each); the kernel's errno on failure (EINVAL for a bad value, EBUSY, ENOSPC ...).
  // A short write fails with EIO.
  virtual Status write(std::string_view dir, std::string_view file, std::string_view value) = 0;
  // Reads DIR/FILE whole; leading and trailing white space (the final newline) removed.
  virtual SysResult<std::string> read(std::string_view dir, std::string_view file) = 0;
  // The device and inode of directory DIR (ENOENT when missing): who it is, not what it is called.
  virtual SysResult<std::pair<uint64_t, uint64_t>> identity(std::string_view dir) = 0;
  // A read-only fd of directory DIR, for the caller to close (what bpf(2) takes for a cgroup).
  virtual SysResult<int> open_directory(std::string_view dir) { return SysError{ENOTSUP, std::string(dir), 0, {}}; }
  // Owner and mode of DIR's FILES: "." the directory, "*" every file in it but those in EXCEPT,
  // others by name (ENOENT when one is missing). In the order asked, "*" sorted by name.
  virtual SysResult<std::vector<FileAccess>> access(std::string_view dir, const std::vector<std::string>& files,
                                                    const std::vector<std::string>& except) {
    (void)files, (void)except;
    return SysError{ENOTSUP, std::string(dir), 0, {}};
  }
  // chown and chmod of DIR/FILE ("." the directory), never following a symlink. UID or GID -1:
  // left as it is; no MODE: left as it is.
  virtual Status set_access(std::string_view dir, std::string_view file, int64_t uid, int64_t gid, std::optional<uint32_t> mode) {
    (void)file, (void)uid, (void)gid, (void)mode;
    return SysError{ENOTSUP, std::string(dir), 0, {}};
  }
};

class LinuxCgroupFs final : public CgroupFs {
 public:
  struct Options {
    // Never use openat2, always the per-component walk (to test the fallback).
    bool force_component_walk = false;
  };

  // Opens ROOT (absolute path of a hierarchy mount, e.g. /sys/fs/cgroup/memory) as the base.
  static SysResult<std::unique_ptr<LinuxCgroupFs>> open(const std::string& root);
  static SysResult<std::unique_ptr<LinuxCgroupFs>> open(const std::string& root, Options options);

  ~LinuxCgroupFs() override;
  LinuxCgroupFs(const LinuxCgroupFs&) = delete;
  LinuxCgroupFs& operator=(const LinuxCgroupFs&) = delete;

  SysResult<bool> exists(std::string_view dir) override;
  Status mkdir(std::string_view dir) override;
  Status rmdir(std::string_view dir) override;
  Status write(std::string_view dir, std::string_view file, std::string_view value) override;
  SysResult<std::string> read(std::string_view dir, std::string_view file) override;
  SysResult<std::pair<uint64_t, uint64_t>> identity(std::string_view dir) override;
  SysResult<int> open_directory(std::string_view dir) override { return open_dir(dir, O_RDONLY); }
  SysResult<std::vector<FileAccess>> access(std::string_view dir, const std::vector<std::string>& files,
                                            const std::vector<std::string>& except) override;
  Status set_access(std::string_view dir, std::string_view file, int64_t uid, int64_t gid, std::optional<uint32_t> mode) override;

  const std::string& root() const { return root_; }
  // Whether openat2 is in use (false when the kernel lacks it or the walk was forced).
  bool uses_openat2() const { return use_openat2_; }

 private:
  LinuxCgroupFs(int root_fd, std::string root, bool use_openat2);
  // Opens DIR (relative; "" = root) with FLAGS (O_PATH or O_RDONLY, plus O_DIRECTORY).
  SysResult<int> open_dir(std::string_view dir, int flags);
  // Opens DIR/FILE for reading or writing.
  SysResult<int> open_file(std::string_view dir, std::string_view file, int flags);
  std::string full(std::string_view dir, std::string_view file = {}) const;

  int root_fd_ = -1;
  std::string root_;
  bool use_openat2_ = true;
};

// Checks a relative cgroup path as CgroupFs does: "" (the root) or components that are neither
// empty, ".", "..", nor contain NUL. Exposed for the planner's own checks and for tests.
bool valid_cgroup_rel_path(std::string_view dir);
// FILE: one component, not "." or "..", no '/', no NUL, not empty.
bool valid_cgroup_file_name(std::string_view file);

}  // namespace nsplan::applier
