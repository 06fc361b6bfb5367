#include "compiler/diagnostics.h"

#include <algorithm>

#include "compiler/text_policy.h"
#include "compiler/utf8.h"

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

// Control characters, bidirectional overrides and bytes that are not UTF-8 must not reach the
// terminal (they could rewrite or reorder what the user sees): each is shown as '?'. A profile
// holds none of them (text_policy.h), but messages quote values and file names. Tabs stay, for
// the caret to line up.
std::string printable(std::string_view text) {
  std::string out;
  for (size_t i = 0; i < text.size();) {
    utf8::Decoded d = utf8::decode(text, i);
    bool shown = !d.problem && (d.code_point == '\t' || !text::misleading(d.code_point));
    out += shown ? text.substr(i, d.length) : "?";
    i += d.length;
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
  // One space per character before the column (columns count bytes), so that the caret stays
  // under its character after multibyte text.
  for (size_t i = 0; i < col; i += utf8::decode(line, i).length) out += line[i] == '\t' ? '\t' : ' ';
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
  // Located: file:line:col; otherwise the program's name, as every other error nsplan prints.
  out += d.loc.valid() ? sm.describe(d.loc) + ": " : std::string("nsplan: ");
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
