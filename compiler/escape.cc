#include "compiler/escape.h"

#include "compiler/text_policy.h"
#include "compiler/utf8.h"

namespace nsplan::text {

std::string escaped(std::string_view raw) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(raw.size());
  for (size_t i = 0; i < raw.size();) {
    utf8::Decoded d = utf8::decode(raw, i);
    if (!d.problem && d.code_point == '\\') {
      out += "\\\\";
    } else if (!d.problem && !misleading(d.code_point)) {
      out.append(raw.substr(i, d.length));
    } else {
      for (size_t k = 0; k < d.length; ++k) {
        auto b = static_cast<unsigned char>(raw[i + k]);
        out += "\\x";
        out += kHex[b >> 4];
        out += kHex[b & 0xf];
      }
    }
    i += d.length;
  }
  return out;
}

}  // namespace nsplan::text
