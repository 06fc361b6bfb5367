#include "compiler/yaml_format.h"

#include <algorithm>
#include <map>
#include <vector>

#include "compiler/yaml_tree.h"

namespace nsplan {
namespace {

using Type = YamlNode::Type;

bool is_block(const YamlNode& n) { return (n.type == Type::Map || n.type == Type::Sequence) && !n.flow; }

// One source line and what the layout does to it.
struct Line {
  std::string text;
  size_t indent = 0;      // its leading spaces
  bool blank = false;
  bool comment = false;   // only a comment
  bool structural = false;  // a block key or dash starts it: its column is the layout's
  long shift = 0;         // columns to add (negative: remove) before its first character
  // Runs of blanks inside the line, [from, to) in bytes, each to become one space.
  std::vector<std::pair<size_t, size_t>> gaps;
};

class Layout {
 public:
  Layout(const std::string& text, Diagnostics& diags, uint32_t file) : diags_(diags), file_(file) {
    size_t start = 0;
    while (start <= text.size()) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      Line l;
      l.text = text.substr(start, end - start);
      if (!l.text.empty() && l.text.back() == '\r') l.text.pop_back();
      l.indent = l.text.find_first_not_of(' ');
      l.blank = l.indent == std::string::npos || l.text.find_first_not_of(" \t") == std::string::npos;
      if (l.blank) l.indent = 0;
      l.comment = !l.blank && l.text[l.indent] == '#';
      lines_.push_back(std::move(l));
      if (end == text.size() || end + 1 == text.size()) break;  // a final newline ends the last line
      start = end + 1;
    }
  }

  // Lays out the tree ROOT; false when a line would need two columns at once.
  bool place(const YamlNode& root) {
    if (root.type == Type::Map && !root.flow) map(root, 0);
    if (root.type == Type::Sequence && !root.flow) sequence(root, 0);
    return ok_;
  }

  std::string text() {
    settle_unplaced_lines();
    std::string out;
    bool previous_blank = true;  // none at the start
    size_t pending_blanks = 0;
    size_t last = lines_.size();
    while (last > 0 && lines_[last - 1].blank) --last;  // none at the end, not even a scalar's
    for (size_t i = 0; i < last; ++i) {
      const Line& l = lines_[i];
      if (l.blank && !inside_scalar_[i]) {
        ++pending_blanks;
        continue;
      }
      if (pending_blanks && !previous_blank) out += "\n";
      pending_blanks = 0;
      out += render(l, inside_scalar_[i]);
      out += "\n";
      previous_blank = false;
    }
    return out;
  }

 private:
  Line* at(uint32_t line) { return line >= 1 && line <= lines_.size() ? &lines_[line - 1] : nullptr; }

  void fail(const SourceLoc& where, const std::string& why) {
    if (!ok_) return;
    ok_ = false;
    diags_.error(where, "fmt cannot lay out this line: " + why, "the file was left as it is");
  }

  // LINE starts with a block key or dash now at column NEW_COL (0-based).
  void put(uint32_t line_no, size_t new_col, const SourceLoc& where) {
    Line* l = at(line_no);
    if (!l) return fail(where, "no such line");
    long shift = static_cast<long>(new_col) - static_cast<long>(l->indent);
    if (l->structural && l->shift != shift) return fail(where, "it would need two indentations (an alias?)");
    l->structural = true;
    l->shift = shift;
  }

  // The blanks between byte FROM of LINE and the next non-blank: one space.
  void gap_after(Line& l, size_t from) {
    size_t to = from;
    while (to < l.text.size() && (l.text[to] == ' ' || l.text[to] == '\t')) ++to;
    if (to > from + 1 && to < l.text.size() && l.text[to] != '#') l.gaps.emplace_back(from, to);
  }

  bool has_trailing_comment(const Line& l) const {
    // A '#' after a blank, outside quotes.
    char quote = 0;
    for (size_t i = l.indent; i < l.text.size(); ++i) {
      char c = l.text[i];
      if (quote) {
        if (c == quote) quote = 0;
        continue;
      }
      if ((c == '"' || c == '\'') && (i == 0 || l.text[i - 1] == ' ' || l.text[i - 1] == '[' || l.text[i - 1] == '{' || l.text[i - 1] == ','))
        quote = c;
      else if (c == '#' && i > 0 && (l.text[i - 1] == ' ' || l.text[i - 1] == '\t'))
        return true;
    }
    return false;
  }

  void map(const YamlNode& m, size_t col) {
    for (const auto& [key, value] : m.entries) {
      Line* l = at(key->loc.line);
      if (!l) return fail(key->loc, "no such line");
      const size_t key_at = key->loc.col - 1;
      if (l->indent == key_at) put(key->loc.line, col, key->loc);
      // "key:    value" on one line: one space, unless a comment follows (its column is kept).
      if (value->loc.line == key->loc.line && !value->is_null() && !has_trailing_comment(*l)) {
        size_t colon = l->text.find(':', key_at + key->loc.len);
        if (colon != std::string::npos && colon + 1 < value->loc.col) gap_after(*l, colon + 1);
      }
      if (!is_block(*value)) {
        note_scalar(*value, key->loc.line);
        continue;
      }
      // On the key's line there can be only an anchor or a tag: the entries start below.
      if (value->type == Type::Map) map(*value, col + 2);
      else sequence(*value, col + 2);
    }
  }

  void sequence(const YamlNode& s, size_t col) {
    const size_t dash_at = s.loc.col - 1;
    for (const auto& item : s.items) {
      // The item's dash: the last line at or above the item that starts with '-' at the list's
      // column (the item may begin on the line below its dash).
      uint32_t dash_line = item->loc.line;
      while (dash_line > s.loc.line && !dash_starts(dash_line, dash_at)) --dash_line;
      Line* l = at(dash_line);
      if (!l || l->text.size() <= dash_at || l->text[dash_at] != '-') return fail(item->loc, "cannot find the dash of this item");
      if (l->indent == dash_at) put(dash_line, col, item->loc);
      if (item->loc.line == dash_line) gap_after(*l, dash_at + 1);
      if (!is_block(*item)) {
        note_scalar(*item, dash_line);
        continue;
      }
      // "- key: value": the mapping's keys line up two columns in from the dash.
      if (item->type == Type::Map) map(*item, col + 2);
      else sequence(*item, col + 2);
    }
  }

  bool dash_starts(uint32_t line_no, size_t dash_at) {
    Line* l = at(line_no);
    return l && !l->blank && l->indent == dash_at && l->text[dash_at] == '-' &&
           (l->text.size() == dash_at + 1 || l->text[dash_at + 1] == ' ');
  }

  // A scalar that starts with | or > (a block scalar) or spans lines: the lines after its first
  // are its text, kept byte for byte (blanks and trailing spaces included), only moved.
  void note_scalar(const YamlNode& n, uint32_t line_no) {
    if (n.type != Type::Scalar) return;
    const Line* l = at(line_no);
    if (!l) return;
    size_t at_col = n.loc.col - 1;
    bool block_scalar = n.loc.line == line_no && at_col < l->text.size() && (l->text[at_col] == '|' || l->text[at_col] == '>');
    if (block_scalar || n.scalar.find('\n') != std::string::npos) scalar_lines_from_.push_back(n.loc.line);
  }

  // Lines no key or dash starts: comments stand above the line they describe and take its
  // column; the rest (continuations of a flow collection or a scalar) move with the line they
  // continue.
  void settle_unplaced_lines() {
    inside_scalar_.assign(lines_.size(), false);
    std::vector<bool> scalar_start(lines_.size() + 2, false);
    for (uint32_t s : scalar_lines_from_) scalar_start[s] = true;
    long previous_shift = 0;
    bool in_scalar = false;
    for (size_t i = 0; i < lines_.size(); ++i) {
      Line& l = lines_[i];
      if (l.structural) {
        previous_shift = l.shift;
        in_scalar = scalar_start[i + 1];
        continue;
      }
      // Comments and blanks right above a structural line, at its indentation: its leading lines.
      size_t next = i;
      while (next < lines_.size() && !lines_[next].structural && (lines_[next].blank || lines_[next].comment)) ++next;
      bool leads = next < lines_.size() && lines_[next].structural && (l.blank || l.indent == lines_[next].indent);
      if (leads) {
        for (size_t j = i; j < next && (lines_[j].blank || lines_[j].indent == lines_[next].indent); ++j) {
          lines_[j].shift = lines_[next].shift;
          lines_[j].structural = false;
          inside_scalar_[j] = false;
          i = j;
        }
        in_scalar = false;
        continue;
      }
      l.shift = previous_shift;
      inside_scalar_[i] = in_scalar;
      if (!in_scalar && scalar_start[i + 1]) in_scalar = true;
    }
  }

  std::string render(const Line& l, bool verbatim) const {
    if (l.blank) return verbatim ? l.text : std::string();
    std::string body = l.text.substr(l.indent);
    // Gaps, right to left (offsets are into the original line).
    std::vector<std::pair<size_t, size_t>> gaps = l.gaps;
    std::sort(gaps.rbegin(), gaps.rend());
    // One space as (count, char): GCC 12 warns falsely (-Wrestrict) on the const char* overload.
    for (const auto& [from, to] : gaps) body.replace(from - l.indent, to - from, 1, ' ');
    if (!verbatim) {
      size_t end = body.find_last_not_of(" \t");
      body.erase(end == std::string::npos ? 0 : end + 1);
    }
    long indent = static_cast<long>(l.indent) + l.shift;
    return std::string(static_cast<size_t>(std::max(0L, indent)), ' ') + body;
  }

  std::vector<Line> lines_;
  std::vector<uint32_t> scalar_lines_from_;
  std::vector<bool> inside_scalar_;
  Diagnostics& diags_;
  uint32_t file_;
  bool ok_ = true;
};

// Whether A and B say the same (locations aside); WHERE is set to the first difference in B.
bool same_tree(const YamlNode& a, const YamlNode& b, SourceLoc& where) {
  where = b.loc;
  if (a.type != b.type || a.scalar != b.scalar || a.quoted != b.quoted || a.flow != b.flow) return false;
  if (a.items.size() != b.items.size() || a.entries.size() != b.entries.size()) return false;
  for (size_t i = 0; i < a.items.size(); ++i)
    if (!same_tree(*a.items[i], *b.items[i], where)) return false;
  for (size_t i = 0; i < a.entries.size(); ++i) {
    if (!same_tree(*a.entries[i].first, *b.entries[i].first, where)) return false;
    if (!same_tree(*a.entries[i].second, *b.entries[i].second, where)) return false;
  }
  return true;
}

}  // namespace

FormatOutcome format_profile_text(const std::string& path, const std::string& text) {
  FormatOutcome out;
  uint32_t file = out.sources.add(path, text);
  YamlPtr root = parse_yaml(out.sources, file, out.diags);
  if (!root || out.diags.has_errors()) return out;
  Layout layout(text, out.diags, file);
  if (!layout.place(*root)) return out;
  std::string formatted = layout.text();
  // The safety net: the new text must say exactly what the old one said.
  SourceManager again;
  Diagnostics again_diags;
  uint32_t again_file = again.add(path, formatted);
  YamlPtr again_root = parse_yaml(again, again_file, again_diags);
  SourceLoc where;
  if (!again_root || again_diags.has_errors() || !same_tree(*root, *again_root, where)) {
    SourceLoc at = root->loc;
    if (again_root && !again_diags.has_errors()) {
      // The line of the original whose text is the differing line's, when there is one.
      std::string_view bad = again.line_text(again_file, where.line);
      for (uint32_t n = 1; n <= out.sources.file(file).line_starts.size(); ++n) {
        std::string_view orig = out.sources.line_text(file, n);
        size_t a = orig.find_first_not_of(' '), b = bad.find_first_not_of(' ');
        if (a != std::string_view::npos && b != std::string_view::npos && orig.substr(a) == bad.substr(b)) {
          at = SourceLoc{file, n, static_cast<uint32_t>(a + 1), 1};
          break;
        }
      }
    }
    out.diags.error(at, "fmt cannot lay out this file without changing what it says",
                    "the file was left as it is; a layout nsplan fmt does not handle is near here");
    return out;
  }
  out.formatted = std::move(formatted);
  return out;
}

}  // namespace nsplan
