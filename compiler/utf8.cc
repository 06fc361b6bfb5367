#include "compiler/utf8.h"

namespace nsplan::utf8 {

namespace {

bool is_continuation(unsigned char b) { return (b & 0xc0) == 0x80; }

}  // namespace

Decoded decode(std::string_view text, size_t at) {
  auto lead = static_cast<unsigned char>(text[at]);
  if (lead < 0x80) return {lead, 1, nullptr};
  if (is_continuation(lead)) return {0, 1, "a continuation byte without a lead byte"};
  if (lead == 0xc0 || lead == 0xc1) return {0, 1, "an overlong encoding"};
  if (lead >= 0xf5) return {0, 1, "a byte that never occurs in UTF-8"};

  size_t length = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
  char32_t cp = lead & (0x7f >> length);
  for (size_t i = 1; i < length; ++i) {
    if (at + i >= text.size() || !is_continuation(static_cast<unsigned char>(text[at + i])))
      return {0, 1, "a sequence cut short"};
    cp = (cp << 6) | (static_cast<unsigned char>(text[at + i]) & 0x3f);
  }
  static constexpr char32_t kSmallest[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[length]) return {0, 1, "an overlong encoding"};
  if (cp >= 0xd800 && cp <= 0xdfff) return {0, 1, "an encoded surrogate (U+D800..U+DFFF)"};
  if (cp > 0x10ffff) return {0, 1, "a code point above U+10FFFF"};
  return {cp, length, nullptr};
}

}  // namespace nsplan::utf8
