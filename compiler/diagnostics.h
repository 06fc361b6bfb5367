// Diagnostics are collected, not thrown: a compile reports every problem it finds, each as
// "file:line:col: error: message", the source line, a caret, and an optional hint.
#pragma once
#include <string>
#include <vector>

#include "compiler/source.h"

namespace nsplan {

enum class Severity { Error, Warning, Note };

struct Diagnostic {
  Severity severity = Severity::Error;
  SourceLoc loc;
  std::string message;
  std::string hint;  // "did you mean 'max'?"; printed on its own line after the caret
};

class Diagnostics {
 public:
  void error(SourceLoc loc, std::string message, std::string hint = {});
  void warning(SourceLoc loc, std::string message, std::string hint = {});
  void add(Diagnostic d) { list_.push_back(std::move(d)); }

  bool has_errors() const { return errors_ > 0; }
  size_t error_count() const { return errors_; }
  const std::vector<Diagnostic>& all() const { return list_; }
  void clear() { list_.clear(); errors_ = 0; }

 private:
  std::vector<Diagnostic> list_;
  size_t errors_ = 0;
};

// Renders one diagnostic like a compiler does, with "included from" notes for values that come
// from an included file. Ends with a newline.
std::string render(const Diagnostic& d, const SourceManager& sm);
std::string render_all(const Diagnostics& diags, const SourceManager& sm);
const char* severity_name(Severity s);

}  // namespace nsplan
