#include "compiler/text_policy.h"

#include <cstdio>

#include "compiler/utf8.h"

namespace nsplan::text {

namespace {

bool is_control(char32_t cp) { return cp < 0x20 || (cp >= 0x7f && cp <= 0x9f); }
bool is_bidi_control(char32_t cp) { return (cp >= 0x202a && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069); }

const char* short_name(char32_t cp) {
  // ISO 6429 abbreviations, as terminals and `man ascii` name them.
  static const char* const c0[] = {"NUL", "SOH", "STX", "ETX", "EOT", "ENQ", "ACK", "BEL", "BS",  "HT",  "LF",
                                   "VT",  "FF",  "CR",  "SO",  "SI",  "DLE", "DC1", "DC2", "DC3", "DC4", "NAK",
                                   "SYN", "ETB", "CAN", "EM",  "SUB", "ESC", "FS",  "GS",  "RS",  "US"};
  static const char* const c1[] = {"PAD", "HOP", "BPH", "NBH", "IND", "NEL", "SSA", "ESA", "HTS", "HTJ", "VTS",
                                   "PLD", "PLU", "RI",  "SS2", "SS3", "DCS", "PU1", "PU2", "STS", "CCH", "MW",
                                   "SPA", "EPA", "SOS", "SGCI", "SCI", "CSI", "ST", "OSC", "PM",  "APC"};
  static const char* const bidi[] = {"LEFT-TO-RIGHT EMBEDDING", "RIGHT-TO-LEFT EMBEDDING", "POP DIRECTIONAL FORMATTING",
                                     "LEFT-TO-RIGHT OVERRIDE", "RIGHT-TO-LEFT OVERRIDE"};
  static const char* const isolates[] = {"LEFT-TO-RIGHT ISOLATE", "RIGHT-TO-LEFT ISOLATE", "FIRST STRONG ISOLATE",
                                         "POP DIRECTIONAL ISOLATE"};
  if (cp < 0x20) return c0[cp];
  if (cp == 0x7f) return "DEL";
  if (cp >= 0x80 && cp <= 0x9f) return c1[cp - 0x80];
  if (cp >= 0x202a && cp <= 0x202e) return bidi[cp - 0x202a];
  if (cp >= 0x2066 && cp <= 0x2069) return isolates[cp - 0x2066];
  return nullptr;
}

std::string byte_hex(unsigned char b) {
  char buf[8];
  std::snprintf(buf, sizeof buf, "0x%02X", b);
  return buf;
}

const char* const kControlWhy = "a terminal acts on control characters: ESC, CR and the like can hide or rewrite "
                                "what a reviewer sees";
const char* const kBidiWhy = "a bidirectional control makes text display in another order than it is read (\"Trojan Source\")";

// The encoding a file is in when it is not UTF-8 but UTF-16 or UTF-32, by its BOM or the NUL
// bytes an ASCII first character leaves (YAML 1.2, 5.2); null otherwise.
const char* wide_encoding(std::string_view t) {
  auto at = [&](size_t i) { return i < t.size() ? static_cast<unsigned char>(t[i]) : 0x100u; };
  if (at(0) == 0 && at(1) == 0 && (at(2) == 0xfe || at(2) == 0) && at(3) != 0 && at(3) != 0x100) return "UTF-32BE";
  if ((at(0) == 0xff && at(1) == 0xfe && at(2) == 0 && at(3) == 0) ||
      (at(0) != 0 && at(0) != 0x100 && at(1) == 0 && at(2) == 0 && at(3) == 0))
    return "UTF-32LE";
  if ((at(0) == 0xfe && at(1) == 0xff) || (at(0) == 0 && at(1) != 0 && at(1) != 0x100)) return "UTF-16BE";
  if ((at(0) == 0xff && at(1) == 0xfe) || (at(0) != 0 && at(0) != 0x100 && at(1) == 0)) return "UTF-16LE";
  return nullptr;
}

}  // namespace

bool misleading(char32_t cp) { return is_control(cp) || is_bidi_control(cp); }

std::string code_point_name(char32_t cp) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "U+%04X", static_cast<unsigned>(cp));
  const char* name = short_name(cp);
  return name ? std::string(buf) + " (" + name + ")" : std::string(buf);
}

std::optional<Problem> check_file(std::string_view t) {
  if (const char* encoding = wide_encoding(t))
    return Problem{0, std::string("the file is ") + encoding + "; expected valid UTF-8",
                   "YAML profiles are UTF-8; convert it, e.g. iconv -f " + std::string(encoding) + " -t UTF-8"};
  for (size_t i = 0; i < t.size();) {
    utf8::Decoded d = utf8::decode(t, i);
    if (d.problem)
      return Problem{i, "invalid UTF-8: byte " + byte_hex(static_cast<unsigned char>(t[i])) + " is " + d.problem +
                            "; expected valid UTF-8",
                     "YAML profiles are UTF-8; convert the file, e.g. iconv -f LATIN1 -t UTF-8"};
    char32_t cp = d.code_point;
    bool line_end = cp == '\n' || (cp == '\r' && i + 1 < t.size() && t[i + 1] == '\n');
    if (is_control(cp) && cp != '\t' && !line_end)
      return Problem{i, "control character " + code_point_name(cp) + " in the file; expected printable text",
                     cp == '\r' ? "a carriage return must be followed by a newline (\\r\\n line ends are fine)"
                                : std::string(kControlWhy) + "; only tab and line ends may be written as they are"};
    if (is_bidi_control(cp))
      return Problem{i, "bidirectional control " + code_point_name(cp) + " in the file; expected text without "
                        "direction overrides",
                     std::string(kBidiWhy) + "; remove it"};
    i += d.length;
  }
  return std::nullopt;
}

std::optional<Problem> check_value(std::string_view v, Allow allow) {
  for (size_t i = 0; i < v.size();) {
    utf8::Decoded d = utf8::decode(v, i);
    // The file was checked already, but yaml-cpp turns the escapes \N and \_ into the single
    // bytes 0x85 and 0xA0 instead of UTF-8.
    if (d.problem)
      return Problem{i, "contains invalid UTF-8: byte " + byte_hex(static_cast<unsigned char>(v[i])) + " is " + d.problem,
                     "the YAML escapes \\N and \\_ come out of yaml-cpp as single bytes, not UTF-8; "
                     "write \\u00a0 for a no-break space"};
    char32_t cp = d.code_point;
    bool kept = allow == Allow::NewlineAndTab && (cp == '\n' || cp == '\t');
    if (is_control(cp) && !kept)
      return Problem{i, "contains control character " + code_point_name(cp),
                     std::string(kControlWhy) + (allow == Allow::NewlineAndTab ? "; newline and tab are allowed"
                                                                                : "; a path cannot hold them")};
    if (is_bidi_control(cp))
      return Problem{i, "contains bidirectional control " + code_point_name(cp), std::string(kBidiWhy)};
    i += d.length;
  }
  return std::nullopt;
}

}  // namespace nsplan::text
