// Compiling profiles held in memory, for unit tests.
#pragma once
#include <algorithm>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "compiler/compile.h"

namespace nsplan::testing {

struct MemoryFiles {
  std::map<std::string, std::string> files;
  FileReader reader() const {
    return [this](const FileRequest& request) {
      FileContent c;
      auto it = files.find(request.path);
      if (it == files.end()) {
        c.error = "No such file or directory";
        c.missing = true;
        return c;
      }
      c.ok = true;
      c.text = it->second;
      c.identity = request.path;
      return c;
    };
  }
};

inline std::unique_ptr<Compilation> compile_with(const std::string& text, const HostFacts& facts, bool strict = false) {
  static MemoryFiles files;
  files.files["p.yaml"] = text;
  return compile_file("p.yaml", files.reader(), facts, PlanOptions{strict});
}

inline std::unique_ptr<Compilation> compile_text(const std::string& text, CgroupMode mode = CgroupMode::V2,
                                                 bool strict = false) {
  return compile_with(text, HostFacts::stated(mode), strict);
}

// The shipped profiles, and tests/golden/cases/ (profiles written for their golden output only,
// such as one with every cgroup key), as paths relative to the source tree, sorted.
inline std::vector<std::string> shipped_profiles() {
  namespace fs = std::filesystem;
  std::vector<std::string> out;
  for (const char* dir : {"profiles", "tests/golden/cases"})
    for (const auto& e : fs::directory_iterator(fs::path(NSPLAN_SOURCE_DIR) / dir))
      if (e.path().extension() == ".yaml") out.push_back(std::string(dir) + "/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace nsplan::testing
