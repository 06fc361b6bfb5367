// A value or an error message with an optional hint; for small parsers that cannot see the
// source location (units, translations). The caller attaches the location.
#pragma once
#include <string>
#include <utility>
#include <variant>

namespace nsplan {

struct Problem {
  std::string message;  // "bad unit 'X' in '3X'"
  std::string hint;     // "use K, M, G or T (×1024), or max"
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : v_(std::move(value)) {}
  Result(Problem p) : v_(std::move(p)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const { return std::get<0>(v_); }
  T& value() { return std::get<0>(v_); }
  const Problem& problem() const { return std::get<1>(v_); }

 private:
  std::variant<T, Problem> v_;
};

}  // namespace nsplan
