// The state dir as one directory fd, and the files in it reached only through that fd.
//
// nsplan runs as root and removes, rewrites and trusts what it finds there, so a path that
// someone else can redirect between a check and a use is not good enough. The dir is opened
// once, by a walk from "/" that opens each component relative to the previous one without
// following a symbolic link, and checks each one on the descriptor it holds:
//   - every directory above the state dir is owned by root (or by the user running nsplan) and
//     not writable by group or others, or else is sticky (mode +t, like /tmp; see state_dir.cc);
//   - the state dir itself is owned by the user running nsplan and not writable by group or
//     others; missing components are made, 0700.
// Then every file is opened, replaced or removed with *at() calls relative to that fd, with
// O_NOFOLLOW, and must be a regular file owned by the user running nsplan and not writable by
// group or others. A symbolic link is refused, never followed.
#pragma once
#include <optional>
#include <string>
#include <vector>

#include "applier/sys_error.h"

namespace nsplan::applier {

// What to do about ERROR when it is a refusal of the state dir or of a file in it; "" for any
// other error. The command line prints it under the error.
std::string state_dir_hint(const SysError& error);

class StateDir {
 public:
  // Opens PATH (made absolute against the working directory) by the walk described above.
  // With create=false nothing is made: a missing component fails with ENOENT.
  static SysResult<StateDir> open(const std::string& path, bool create);
  StateDir(StateDir&& other) noexcept;
  StateDir& operator=(StateDir&&) = delete;
  ~StateDir();

  // For messages: the state dir's path and "PATH/NAME".
  const std::string& path() const { return path_; }
  std::string path_of(const std::string& name) const { return path_ + "/" + name; }

  // NAME opened with FLAGS (O_CREAT allowed, mode 0600; O_TRUNC refused: truncate after the
  // check) and checked as above; ENOENT when it does not exist and O_CREAT was not given.
  SysResult<int> open_file(const std::string& name, int flags) const;
  // The whole of NAME, or nullopt when there is none.
  SysResult<std::optional<std::string>> read_file(const std::string& name) const;
  // Replaces NAME atomically: NAME.tmp written and fsynced, renamed over NAME, the dir fsynced.
  Status replace_file(const std::string& name, const std::string& text) const;
  // Removes NAME (nothing to do when there is none); refuses what open_file would refuse.
  Status remove_file(const std::string& name) const;
  // Whether anything at all is called NAME (not followed).
  bool has_entry(const std::string& name) const;
  // The names of the regular files in the directory whose names end in SUFFIX, sorted.
  std::vector<std::string> files_ending(const std::string& suffix) const;

 private:
  StateDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  int fd_ = -1;
  std::string path_;
};

// The state dir when --state-dir is not given. Root: /run/nsplan. Another user: their own runtime
// dir (the XDG base directory spec; pam_systemd makes /run/user/UID, the user's, mode 0700):
// $XDG_RUNTIME_DIR/nsplan when XDG_RUNTIME_DIR is an absolute path of a directory owned by that
// user, else /run/user/UID/nsplan. StateDir::open checks the result as it checks any state dir.
std::string default_state_dir();
// The choice itself, given EUID, XDG_RUNTIME_DIR (nullptr: unset) and whether that is a directory
// owned by EUID.
std::string default_state_dir(unsigned euid, const char* xdg_runtime_dir, bool xdg_is_theirs);

// Writes all of DATA to FD (retrying short writes and EINTR); WHAT names the file in errors.
Status write_all(int fd, const std::string& data, const std::string& what);

}  // namespace nsplan::applier
