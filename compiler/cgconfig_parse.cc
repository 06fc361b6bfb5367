#include "compiler/cgconfig_parse.h"

#include "compiler/escape.h"
#include "compiler/utf8.h"

namespace nsplan::cgconfig {
namespace {

enum class Tok { Word, Open, Close, Equals, Semicolon, End, Bad };

struct Token {
  Tok kind = Tok::End;
  Word word;        // Word: its text; others: the character's location
  size_t offset = 0;
  std::string bad;  // Bad: why
};

// More errors than this in one file say nothing more: the reader stops.
constexpr size_t kMaxErrors = 50;

bool plain_char(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '-' ||
         c == '/' || c == '.' || c == ',' || c == '%' || c == '@';
}

const char* describe(Tok t) {
  switch (t) {
    case Tok::Word: return "a name";
    case Tok::Open: return "'{'";
    case Tok::Close: return "'}'";
    case Tok::Equals: return "'='";
    case Tok::Semicolon: return "';'";
    case Tok::End: return "the end of the file";
    case Tok::Bad: return "an invalid character";
  }
  return "?";
}

class Lexer {
 public:
  Lexer(const SourceManager& sm, uint32_t file) : sm_(sm), file_(file), text_(sm.file(file).text) {}

  Token next() {
    skip_blanks_and_comments();
    Token t;
    t.offset = pos_;
    if (pos_ >= text_.size()) {
      t.kind = Tok::End;
      t.word.loc = loc(text_.size(), 1);
      return t;
    }
    const unsigned char c = static_cast<unsigned char>(text_[pos_]);
    if (plain_char(c)) {
      size_t start = pos_;
      while (pos_ < text_.size() && plain_char(static_cast<unsigned char>(text_[pos_]))) ++pos_;
      t.kind = Tok::Word;
      t.word.text = std::string(text_.substr(start, pos_ - start));
      t.word.loc = loc(start, pos_ - start);
      return t;
    }
    if (c == '"') return quoted();
    t.word.loc = loc(pos_, 1);
    ++pos_;
    switch (c) {
      case '{': t.kind = Tok::Open; return t;
      case '}': t.kind = Tok::Close; return t;
      case '=': t.kind = Tok::Equals; return t;
      case ';': t.kind = Tok::Semicolon; return t;
      default: break;
    }
    t.kind = Tok::Bad;
    auto d = utf8::decode(text_, t.offset);
    pos_ = t.offset + d.length;
    t.word.loc.len = static_cast<uint32_t>(d.length);
    t.bad = d.problem ? std::string("a byte that is not UTF-8 (") + d.problem + ")"
                      : "unexpected character '" + text::escaped(text_.substr(t.offset, d.length)) + "'";
    return t;
  }

  SourceLoc loc(size_t offset, size_t len) const {
    SourceLoc l = sm_.loc_at(file_, offset);
    l.len = static_cast<uint32_t>(std::max<size_t>(1, std::min<size_t>(len, 200)));
    return l;
  }

 private:
  // Blanks, and comments: from '#' to the end of the line anywhere outside a word; from '*' to
  // the end of the line when it is the line's first non-blank character (libcgroup's lexer).
  void skip_blanks_and_comments() {
    while (pos_ < text_.size()) {
      char c = text_[pos_];
      if (c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '\f' || c == '\v') {
        ++pos_;
        continue;
      }
      if (c == '#' || (c == '*' && at_line_start(pos_))) {
        while (pos_ < text_.size() && text_[pos_] != '\n') ++pos_;
        continue;
      }
      break;
    }
  }

  bool at_line_start(size_t at) const {
    while (at > 0) {
      char c = text_[at - 1];
      if (c == '\n') return true;
      if (c != ' ' && c != '\t') return false;
      --at;
    }
    return true;
  }

  // "...": everything up to the next '"', newlines included; no escapes (as libcgroup).
  Token quoted() {
    Token t;
    t.offset = pos_;
    size_t start = pos_++;
    size_t close = text_.find('"', pos_);
    if (close == std::string_view::npos) {
      pos_ = text_.size();
      t.kind = Tok::Bad;
      t.word.loc = loc(start, 1);
      t.bad = "a quoted string that never ends";
      return t;
    }
    std::string_view inside = text_.substr(start + 1, close - start - 1);
    pos_ = close + 1;
    t.word.loc = loc(start, close + 1 - start);
    for (size_t i = 0; i < inside.size();) {
      auto d = utf8::decode(inside, i);
      if (d.problem) {
        t.kind = Tok::Bad;
        t.word.loc = loc(start + 1 + i, 1);
        t.bad = std::string("a byte that is not UTF-8 in a quoted string (") + d.problem + ")";
        return t;
      }
      i += d.length;
    }
    t.kind = Tok::Word;
    t.word.text = std::string(inside);
    t.word.quoted = true;
    return t;
  }

  const SourceManager& sm_;
  uint32_t file_;
  std::string_view text_;
  size_t pos_ = 0;
};

struct SyntaxError {};

class Parser {
 public:
  Parser(const SourceManager& sm, uint32_t file, Diagnostics& diags) : lex_(sm, file), diags_(diags) { advance(); }

  Config run() {
    while (cur_.kind != Tok::End && errors_ < kMaxErrors) {
      const size_t depth_before = depth_;
      try {
        section();
      } catch (const SyntaxError&) {
        recover(depth_before);
      }
    }
    if (errors_ >= kMaxErrors)
      diags_.error(cur_.word.loc, "too many errors; the rest of the file is not read", "correct the errors above first");
    return std::move(config_);
  }

 private:
  void advance() {
    cur_ = lex_.next();
    if (cur_.kind == Tok::Open) ++depth_;
    if (cur_.kind == Tok::Close && depth_ > 0) --depth_;
  }

  [[noreturn]] void fail(const SourceLoc& at, const std::string& message, const std::string& hint = {}) {
    ++errors_;
    diags_.error(at, message, hint);
    throw SyntaxError{};
  }

  [[noreturn]] void unexpected(const std::string& wanted, const std::string& hint = {}) {
    if (cur_.kind == Tok::Bad)
      fail(cur_.word.loc, "expected " + wanted + ", found " + cur_.bad,
           hint.empty() ? "a value with characters other than letters, digits and _ - / . , % @ goes in double quotes"
                        : hint);
    std::string found = cur_.kind == Tok::Word ? "'" + text::escaped(cur_.word.text) + "'" : describe(cur_.kind);
    fail(cur_.word.loc, "expected " + wanted + ", found " + found, hint);
  }

  void expect(Tok kind, const std::string& hint = {}) {
    if (cur_.kind != kind) unexpected(describe(kind), hint);
    advance();
  }

  Word word(const std::string& what) {
    if (cur_.kind != Tok::Word) unexpected(what);
    Word w = cur_.word;
    advance();
    return w;
  }

  bool at_keyword(const char* keyword) const {
    return cur_.kind == Tok::Word && !cur_.word.quoted && cur_.word.text == keyword;
  }

  // A problem found after its tokens were read: reported, and the reading goes on.
  void report(const SourceLoc& at, const std::string& message, const std::string& hint = {}) {
    ++errors_;
    diags_.error(at, message, hint);
  }

  bool at_section_keyword() const {
    for (const char* k : {"mount", "namespace", "group", "template", "default"})
      if (at_keyword(k)) return true;
    return false;
  }

  // After an error: inside a section (brace depth above DEPTH, where it started), skip to the
  // '}' that closes it; at the top level, to the next section keyword.
  void recover(size_t depth) {
    if (depth_ > depth) {
      while (cur_.kind != Tok::End && depth_ > depth) advance();
      if (cur_.kind == Tok::Close) advance();
      return;
    }
    if (cur_.kind != Tok::End) advance();
    while (cur_.kind != Tok::End && !(depth_ == depth && at_section_keyword())) advance();
  }

  void section() {
    if (cur_.kind != Tok::Word || cur_.word.quoted)
      unexpected("a section (mount, group, template, namespace or default)");
    const Word keyword = cur_.word;
    if (keyword.text == "mount" || keyword.text == "namespace") {
      advance();
      auto settings = block_of_settings(keyword.text + " section");
      if (settings.empty())
        report(keyword.loc, "empty " + keyword.text + " section", "libcgroup wants at least one 'controller = path;' in it");
      auto& into = keyword.text == "mount" ? config_.mounts : config_.namespaces;
      for (auto& s : settings) into.push_back(std::move(s));
      return;
    }
    if (keyword.text == "group" || keyword.text == "template") {
      advance();
      Group g;
      g.keyword = keyword.loc;
      g.name = word("a " + keyword.text + " name");
      group_body(g);
      (keyword.text == "group" ? config_.groups : config_.templates).push_back(std::move(g));
      return;
    }
    if (keyword.text == "default") {
      advance();
      expect(Tok::Open);
      if (!at_keyword("perm")) unexpected("'perm'", "a default section holds one perm section");
      Permissions p = perm();
      expect(Tok::Close);
      if (config_.default_perm) report(keyword.loc, "a second default section", "give one default section");
      config_.default_perm = std::move(p);
      config_.default_loc = keyword.loc;
      return;
    }
    fail(keyword.loc, "unknown section '" + text::escaped(keyword.text) + "'",
         "sections are mount, group, template, namespace and default");
  }

  // "{" { NAME = VALUE ; } "}"
  std::vector<Setting> block_of_settings(const std::string& what) {
    expect(Tok::Open);
    std::vector<Setting> out;
    while (cur_.kind != Tok::Close) {
      if (cur_.kind == Tok::End) unexpected("'}' closing the " + what);
      out.push_back(setting());
    }
    advance();
    return out;
  }

  Setting setting() {
    Setting s;
    s.name = word("a name");
    if (cur_.kind != Tok::Equals) unexpected("'=' after '" + text::escaped(s.name.text) + "'");
    advance();
    s.value = word("a value for '" + text::escaped(s.name.text) + "'");
    if (cur_.kind != Tok::Semicolon)
      unexpected("';' after the value of '" + text::escaped(s.name.text) + "'", "each 'name = value' ends with ';'");
    advance();
    return s;
  }

  void group_body(Group& g) {
    expect(Tok::Open);
    while (cur_.kind != Tok::Close) {
      if (cur_.kind == Tok::End) unexpected("'}' closing group '" + text::escaped(g.name.text) + "'");
      if (at_keyword("perm")) {
        const SourceLoc at = cur_.word.loc;
        Permissions p = perm();
        if (g.perm) report(at, "a second perm section in group '" + text::escaped(g.name.text) + "'", "give one perm section");
        g.perm = std::move(p);
        continue;
      }
      ControllerSection c;
      c.controller = word("a controller section (such as cpu { ... }) or perm");
      c.settings = block_of_settings(c.controller.text + " section");
      g.controllers.push_back(std::move(c));
    }
    advance();
  }

  Permissions perm() {
    Permissions p;
    p.loc = cur_.word.loc;
    advance();
    expect(Tok::Open);
    while (cur_.kind != Tok::Close) {
      const bool task = at_keyword("task"), admin = at_keyword("admin");
      if (!task && !admin) unexpected("'task' or 'admin'", "perm holds task { uid gid fperm } and admin { uid gid dperm fperm }");
      const SourceLoc at = cur_.word.loc;
      advance();
      auto settings = block_of_settings(task ? "task section" : "admin section");
      auto& slot = task ? p.task : p.admin;
      if (slot) report(at, std::string("a second ") + (task ? "task" : "admin") + " section", "give each once");
      slot = std::move(settings);
      (task ? p.task_loc : p.admin_loc) = at;
    }
    advance();
    return p;
  }

  Lexer lex_;
  Diagnostics& diags_;
  Token cur_;
  size_t depth_ = 0;
  size_t errors_ = 0;
  Config config_;
};

}  // namespace

Config parse(const SourceManager& sources, uint32_t file, Diagnostics& diags) {
  return Parser(sources, file, diags).run();
}

}  // namespace nsplan::cgconfig
