#include "compiler/diagnostics.h"

#include <algorithm>

namespace nsplan {

void Diagnostics::error(SourceLoc loc, std::string message, std::string hint) {
  list_.push_back({Severity::Error, loc, std::move(message), std::move(hint)});
  ++errors_;
}

void Diagnostics::warning(SourceLoc loc, std::string message, std::string hint) {
  list_.push_back({Severity::Warning, loc, std::move(message), std::move(hint)});
}

const char* severity_name(Severity s) {
  switch (s) {
    case Severity::Error: return "error";
    case Severity::Warning: return "warning";
    case Severity::Note: return "note";
  }
  return "error";
}

namespace {

// Control bytes from a profile must not reach the terminal (escape sequences could rewrite what
// the user sees): shown as '?'. Tabs stay, for the caret to line up.
std::string printable(std::string_view text) {
  std::string out(text);
  for (size_t i = 0; i < out.size(); ++i) {
    auto u = static_cast<unsigned char>(out[i]);
    if ((u < 0x20 && out[i] != '\t') || u == 0x7f) out[i] = '?';
    // C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F) include CSI too.
    if (u == 0xc2 && i + 1 < out.size() && static_cast<unsigned char>(out[i + 1]) >= 0x80 &&
        static_cast<unsigned char>(out[i + 1]) <= 0x9f)
      out.replace(i, 2, "?");
  }
  return out;
}

// The source line, then a caret under the column and tildes over the rest of the value.
std::string caret_block(const SourceLoc& loc, const SourceManager& sm) {
  std::string_view line = sm.line_text(loc.file, loc.line);
  if (line.empty() || loc.col == 0) return {};
  std::string out = "  ";
  out += printable(line);
  out += "\n  ";
  size_t col = std::min<size_t>(loc.col - 1, line.size());
  for (size_t i = 0; i < col; ++i) out += line[i] == '\t' ? '\t' : ' ';
  out += '^';
  size_t width = std::max<size_t>(1, loc.len);
  size_t room = line.size() > col ? line.size() - col : 1;
  for (size_t i = 1; i < std::min(width, room); ++i) out += '~';
  out += '\n';
  return out;
}

}  // namespace

std::string render(const Diagnostic& d, const SourceManager& sm) {
  std::string out;
  if (d.loc.valid()) out += sm.describe(d.loc) + ": ";
  out += severity_name(d.severity);
  out += ": " + printable(d.message) + "\n";
  if (d.loc.valid()) out += caret_block(d.loc, sm);
  if (!d.hint.empty()) out += "  hint: " + printable(d.hint) + "\n";
  // Walk the include chain outwards so an error inside an included file names its include site.
  uint32_t file = d.loc.file;
  for (int guard = 0; file != 0 && file <= sm.size() && guard < 64; ++guard) {
    const SourceLoc& site = sm.file(file).included_at;
    if (!site.valid()) break;
    out += sm.describe(site) + ": note: in file included from here\n";
    out += caret_block(site, sm);
    file = site.file;
  }
  return out;
}

std::string render_all(const Diagnostics& diags, const SourceManager& sm) {
  std::string out;
  for (const auto& d : diags.all()) out += render(d, sm);
  return out;
}

}  // namespace nsplan
