#include "applier/cgroup_values.h"

#include <unistd.h>

#include "compiler/cgroup_files.h"

namespace nsplan::applier {

long page_size() {
  static long size = sysconf(_SC_PAGESIZE);
  return size > 0 ? size : 4096;
}

bool cgroup_value_matches(const std::string& file, const std::string& wanted, const std::string& read) {
  return cgroup_files::value_matches(file, wanted, read, static_cast<uint64_t>(page_size()));
}

std::string cgroup_restore_value(const std::string& file, const std::string& wanted, const std::string& before) {
  return cgroup_files::restore_value(file, wanted, before, static_cast<uint64_t>(page_size()));
}

}  // namespace nsplan::applier
