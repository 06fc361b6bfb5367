// Reading profile files for the compiler (which makes no syscalls itself), each only where the
// compiler allows it (compiler/loader.h, FileRequest):
// - a file below the directory of the file that names it is opened with openat2(RESOLVE_BENEATH |
//   RESOLVE_NO_MAGICLINKS) from a descriptor of that directory, itself opened the same way from
//   its includer's: neither "..", an absolute symbolic link nor one pointing out gets further,
//   and renaming a directory meanwhile changes nothing (no path is resolved twice);
// - a directory of the search path, and every file and directory read below it, must be owned
//   by root or by the user running nsplan and not be writable by group or others;
// - standard input (`-`) is read up to `max_bytes` too, and only once;
// - the file is opened O_PATH (opening a device can act) and must be a regular file of at most
//   `max_bytes` before it is reopened for reading: no byte of anything else is read.
#pragma once
#include <deque>
#include <map>
#include <string>
#include <vector>

#include "applier/fd.h"
#include "applier/sys_error.h"
#include "compiler/loader.h"

namespace nsplan::applier {

inline constexpr size_t kMaxProfileBytes = 1 << 20;

class ProfileFiles {
 public:
  explicit ProfileFiles(size_t max_bytes = kMaxProfileBytes) : max_bytes_(max_bytes) {}
  FileContent read(const FileRequest& request);

 private:
  struct Directory {
    Fd fd;
    bool search_path = false;  // at or below a search directory: ownership is checked
  };
  FileContent open_below(int directory, const FileRequest& request);
  FileContent read_opened(const Fd& file, const FileRequest& request, int directory);
  FileContent read_standard_input();
  int add_directory(int fd, bool search_path);

  size_t max_bytes_;
  std::deque<Directory> directories_;                // FileContent::directory indexes these
  std::map<std::string, int> search_directories_;  // opened search directories
  bool stdin_read_ = false;
};

// A FileReader for compile_file and check_file. It owns its descriptors: they are closed when
// the last copy of the reader goes.
FileReader profile_file_reader(size_t max_bytes = kMaxProfileBytes);

// The names of the profiles (NAME.yaml) DIRECTORY holds, for did-you-mean hints only: nothing
// listed here is read (LoadOptions::names_in).
std::vector<std::string> profile_names_in(const std::string& directory);

// One file named on the command line, read on its own (no includes follow).
FileContent read_profile_file(const std::string& path, size_t max_bytes = kMaxProfileBytes);

// A saved plan holds its profile's files and the plan (compiler/saved_plan.h).
inline constexpr size_t kMaxSavedPlanBytes = 16 * kMaxProfileBytes;

// Writes TEXT to PATH (mode 0600) through a new file beside it renamed over it: a reader sees
// the old file or the new one whole, and a symbolic link planted at PATH is replaced, not
// followed.
Status write_file_replacing(const std::string& path, const std::string& text);

// Gives the regular file PATH the content TEXT, keeping its mode, owner and group, through a new
// file renamed over it (never half written). A symbolic link, or anything but a regular file,
// is refused: what it points to is another file.
Status rewrite_file(const std::string& path, const std::string& text);

}  // namespace nsplan::applier
