#include "compiler/shell_quote.h"

namespace nsplan {

std::string sh_quote(std::string_view text) {
  std::string out = "'";
  for (char c : text) {
    if (c == '\'') out += "'\\''";
    else out += c;
  }
  out += "'";
  return out;
}

std::string sh_quote_all(const std::vector<std::string>& words) {
  std::string out;
  for (const auto& w : words) {
    if (!out.empty()) out += ' ';
    out += sh_quote(w);
  }
  return out;
}

std::string sh_write(std::string_view value, std::string_view file) {
  bool echo_safe = (value.empty() || value[0] != '-') && value.find('\\') == std::string_view::npos;
  if (echo_safe) return "echo " + sh_quote(value) + " > " + sh_quote(file);
  return "printf '%s\\n' " + sh_quote(value) + " > " + sh_quote(file);
}

std::string sh_comment_text(std::string text) {
  for (char& c : text)
    if (c == '\n' || c == '\r') c = ' ';
  return text;
}

}  // namespace nsplan
