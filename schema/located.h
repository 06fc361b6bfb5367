// Where a value was written in a profile. Every value of the model keeps one, so diagnostics
// and explain comments can name file:line:col.
#pragma once
#include <cstdint>
#include <optional>

namespace nsplan {

struct SourceLoc {
  uint32_t file = 0;  // index into the compiler's SourceManager; 0 = no location
  uint32_t line = 0;  // 1-based
  uint32_t col = 0;   // 1-based
  uint32_t len = 1;   // width of the underlined text
  bool valid() const { return file != 0; }
  friend bool operator==(const SourceLoc&, const SourceLoc&) = default;
};

template <class T>
struct Located {
  T value{};
  SourceLoc loc;
};

// An optional profile value together with where it was written.
template <class T>
using Opt = std::optional<Located<T>>;

}  // namespace nsplan
