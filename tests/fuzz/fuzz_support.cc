#include "fuzz_support.h"

#include <cctype>
#include <sstream>

namespace nsplan::fuzz {

std::unique_ptr<Compilation> compile_bytes(const uint8_t* data, size_t size, CgroupMode mode, bool plan) {
  std::string text(reinterpret_cast<const char*>(data), size);
  // Includes resolve inside a tiny in-memory tree: the profile itself and one fragment.
  FileReader read = [&text](const FileRequest& request) {
    const std::string& path = request.path;
    FileContent c;
    if (path == "p.yaml" || path == "frag.yaml") {
      c.ok = true;
      c.text = path == "p.yaml" ? text : "cgroup:\n  pids: {max: 5}\n";
      c.identity = path;
    } else {
      c.error = "No such file or directory";
      c.missing = true;
    }
    return c;
  };
  if (!plan) return check_file("p.yaml", read);
  return compile_file("p.yaml", read, HostFacts::stated(mode), PlanOptions{});
}

bool only_quoted_data(const std::string& script, std::string& bad_line) {
  // One pass over the whole script: a quoted string may hold newlines.
  size_t line_start = 0;
  auto bad = [&](size_t at) {
    size_t end = script.find('\n', at);
    bad_line = script.substr(line_start, end == std::string::npos ? std::string::npos : end - line_start);
    return false;
  };
  for (size_t i = 0; i < script.size(); ++i) {
    char c = script[i];
    if (c == '\n') {
      line_start = i + 1;
      continue;
    }
    if (c == '#' && i == line_start) {  // a comment line
      size_t nl = script.find('\n', i);
      if (nl == std::string::npos) break;
      i = nl - 1;
      continue;
    }
    if (c == '\'') {
      size_t close = script.find('\'', i + 1);
      if (close == std::string::npos) return bad(i);
      i = close;
    } else if (c == '\\') {
      if (i + 1 >= script.size() || script[i + 1] != '\'') return bad(i);
      ++i;
    } else if (c == '"') {
      if (script.compare(i, 4, "\"$$\"") == 0 || script.compare(i, 4, "\"$@\"") == 0) i += 3;
      else return bad(i);
    } else if (!(std::isalnum(static_cast<unsigned char>(c)) || c == ' ' || c == '>' ||
                 std::string_view("_./:=+,@%-").find(c) != std::string_view::npos)) {
      return bad(i);
    }
  }
  return true;
}

}  // namespace nsplan::fuzz
