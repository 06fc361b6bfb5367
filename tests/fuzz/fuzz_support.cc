#include "fuzz_support.h"

#include <cctype>
#include <sstream>

namespace nsplan::fuzz {

std::unique_ptr<Compilation> compile_bytes(const uint8_t* data, size_t size, CgroupMode mode, bool plan) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // Includes resolve inside a tiny in-memory tree: the profile itself and one fragment.
  FileReader read = [&text](const std::string& path) {
    FileContent c;
    if (path == "p.yaml" || path == "frag.yaml") {
      c.ok = true;
      c.text = path == "p.yaml" ? text : "cgroup:\n  pids: {max: 5}\n";
      c.identity = path;
    } else {
      c.error = "No such file or directory";
    }
    return c;
  };
  if (!plan) return check_file("p.yaml", read);
  return compile_file("p.yaml", read, HostFacts::stated(mode), PlanOptions{});
}

bool only_quoted_data(const std::string& script, std::string& bad_line) {
  std::istringstream in(script);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    for (size_t i = 0; i < line.size(); ++i) {
      char c = line[i];
      if (c == '\'') {
        size_t close = line.find('\'', i + 1);
        if (close == std::string::npos) {
          bad_line = line;
          return false;
        }
        i = close;
      } else if (c == '\\') {
        if (i + 1 >= line.size() || line[i + 1] != '\'') {
          bad_line = line;
          return false;
        }
        ++i;
      } else if (c == '"') {
        if (line.compare(i, 4, "\"$$\"") == 0 || line.compare(i, 4, "\"$@\"") == 0) {
          i += 3;
        } else {
          bad_line = line;
          return false;
        }
      } else if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '>' ||
                   std::string_view("_./:=+,@%-").find(c) != std::string_view::npos)) {
        bad_line = line;
        return false;
      }
    }
  }
  return true;
}

}  // namespace nsplan::fuzz
