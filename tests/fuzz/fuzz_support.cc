#include "fuzz_support.h"

#include <cctype>
#include <set>
#include <sstream>
#include <string_view>

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

namespace {

// Every piece of syntax the script writer puts outside quotes (applier/shell_kernel.cc,
// shell_launch.cc, explain.cc), as whole tokens.
const std::set<std::string> kSyntax = {
    ">", "|", "||", "&&", ";", "[", "]", "{", "}", "if", "then", "else", "fi", "while", "do", "done", ":",
    "\"$$\"", "\"$@\"", "\"$m\"", "\"$status\"", "status=$?", "-z", "\"$(cat", ")\"", "2>/dev/null", "3>&-", "4>&-",
    "5>&-", "6>&-", "7>&-", "8>&-", "9>&-", "\"$1\"", "\"$2\"", "\"$3\"", "\"$4\"", "\"$5\"", "\"$6\"", "\"$7\"",
    "\"$8\"", "\"$9\"", "\"$(ip", "\"$group\")\"", "\"$group\"", "group=$((group+1))",
    // shell_files.cc (a file written only when it is not there yet), shell_kernel.cc (sysctl).
    "(set", ")", "];", "2>",
    // applier/shell_kernel.cc: find's own words (the cgroup's files handed to their owner).
    "!", "{}",
    // applier/shell_rootless.cc: the command writes its pid; a background watcher starts pasta on it.
    "nsplan_rootless=$(mktemp", "-d)", "(", "&", "<>", ":;", "2>/dev/null);", "0.1;", "nsplan_child=$(cat", "nsplan_go=fail", "nsplan_go=go;", "\"$nsplan_go\"",
    "NSPLAN_ROOTLESS_GO=$nsplan_rootless/go", "\"$(readlink", "\"/proc/$nsplan_child/ns/net\")\"", "/proc/$$/ns/net)\"",
    "\"$nsplan_child\"", "\"$nsplan_child\";", "\"$nsplan_rootless\"", "\"$nsplan_rootless/go\"",
    "\"$nsplan_rootless/go\";", "\"$nsplan_rootless/pid\"", "\"$nsplan_rootless/pid\")\"", "\"$nsplan_rootless/child\"",
    "\"$nsplan_rootless/done\"", "\"$nsplan_rootless/watched\"", "\"$nsplan_rootless/exited\"", "\"$!\"", "\"$nsplan_rootless/helper\"", "\"$nsplan_rootless/helper\")\"", "2>/dev/null)\""};

bool safe_word(const std::string& token) {
  for (char c : token)
    if (!(std::isalnum(static_cast<unsigned char>(c)) || std::string_view("_./:=+,@%-").find(c) != std::string_view::npos))
      return false;
  return !token.empty();
}

}  // namespace

bool only_quoted_data(const std::string& script, std::string& bad_line) {
  // One pass over the whole script: a quoted string may hold newlines. Quoted strings (and the
  // \' between them) become token separators; what is left must be known tokens.
  size_t line_start = 0;
  std::string token;
  auto bad = [&](size_t at) {
    size_t end = script.find('\n', at);
    bad_line = script.substr(line_start, end == std::string::npos ? std::string::npos : end - line_start);
    return false;
  };
  auto end_token = [&](size_t at) {
    bool ok = token.empty() || safe_word(token) || kSyntax.count(token);
    token.clear();
    return ok ? true : bad(at);
  };
  for (size_t i = 0; i < script.size(); ++i) {
    char c = script[i];
    if (c == '\n' || c == ' ') {
      if (!end_token(i)) return false;
      if (c == '\n') line_start = i + 1;
      continue;
    }
    if (c == '#' && i == line_start) {  // a comment line
      size_t nl = script.find('\n', i);
      if (nl == std::string::npos) break;
      i = nl - 1;
      continue;
    }
    if (c == '\'' && token == "<<") {  // a quoted heredoc: its body is not expanded by sh
      token.clear();
      size_t close = script.find('\'', i + 1);
      if (close == std::string::npos || close + 1 >= script.size() || script[close + 1] != '\n') return bad(i);
      const std::string terminator = "\n" + script.substr(i + 1, close - i - 1) + "\n";
      size_t end = script.find(terminator, close);
      if (end == std::string::npos) return bad(i);  // the body would run to the end of the script
      i = end + terminator.size() - 1;
      line_start = i + 1;
      continue;
    }
    if (c == '\'') {
      size_t close = script.find('\'', i + 1);
      if (close == std::string::npos) return bad(i);
      if (!end_token(i)) return false;
      i = close;
    } else if (c == '\\') {
      if (i + 1 >= script.size() || script[i + 1] != '\'') return bad(i);
      if (!end_token(i)) return false;
      ++i;
    } else {
      token += c;
    }
  }
  return end_token(script.size());
}

}  // namespace nsplan::fuzz
