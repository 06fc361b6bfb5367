// Strict UTF-8 decoding (RFC 3629), one code point at a time. A profile is UTF-8 (YAML requires
// it), and yaml-cpp lets some invalid sequences through, so the front end decodes every byte
// itself before anything is read.
#pragma once
#include <cstddef>
#include <string_view>

namespace nsplan::utf8 {

struct Decoded {
  char32_t code_point = 0;
  size_t length = 1;  // bytes consumed; 1 after an invalid lead byte, so a scan can go on
  const char* problem = nullptr;  // why the bytes at the position are not UTF-8; null when valid
};

// Decodes the code point starting at text[at] (at < text.size()). Refuses what RFC 3629 refuses:
// stray continuation bytes, bytes that never occur (C0, C1, F5..FF), overlong encodings,
// surrogates U+D800..U+DFFF, code points above U+10FFFF and sequences cut short.
Decoded decode(std::string_view text, size_t at);

}  // namespace nsplan::utf8
