// Compiling profiles held in memory, for unit tests.
#pragma once
#include <map>
#include <string>

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

}  // namespace nsplan::testing
