#include "schema/roff.h"

#include <cstdint>
#include <cstdio>

namespace nsplan::roff {
namespace {

// The code point of the UTF-8 sequence at s[i] (advancing i past it); U+FFFD for a broken one.
uint32_t next_code_point(std::string_view s, size_t& i) {
  unsigned char c = static_cast<unsigned char>(s[i++]);
  int more = c >= 0xf0 ? 3 : c >= 0xe0 ? 2 : c >= 0xc0 ? 1 : -1;
  if (more < 0) return 0xfffd;
  uint32_t cp = c & (0x3f >> more);
  for (int k = 0; k < more; ++k) {
    if (i >= s.size() || (static_cast<unsigned char>(s[i]) & 0xc0) != 0x80) return 0xfffd;
    cp = cp << 6 | (static_cast<unsigned char>(s[i++]) & 0x3f);
  }
  return cp;
}

std::string escaped(std::string_view s, bool minus) {
  std::string out;
  bool line_start = true;
  bool in_code = false;
  for (size_t i = 0; i < s.size();) {
    char c = s[i];
    if (line_start && (c == '.' || c == '\'')) out += "\\&";
    line_start = c == '\n';
    if (static_cast<unsigned char>(c) >= 0x80) {
      char buf[16];
      std::snprintf(buf, sizeof buf, "\\[u%04X]", next_code_point(s, i));
      out += buf;
      continue;
    }
    ++i;
    if (c == '\\') out += "\\e";
    else if (c == '-' && minus) out += "\\-";
    else if (c == '`') {
      out += in_code ? "\\fR" : "\\fB";
      in_code = !in_code;
    } else out += c;
  }
  if (in_code) out += "\\fR";
  return out;
}

}  // namespace

std::string text(std::string_view s) { return escaped(s, false); }
std::string word(std::string_view s) { return escaped(s, true); }

}  // namespace nsplan::roff
