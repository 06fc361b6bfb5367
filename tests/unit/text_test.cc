// Text a profile may hold (compiler/text_policy.h): a file is valid UTF-8 without raw control or
// bidirectional characters, refused at its first bad byte; free-text values refuse control and
// bidirectional characters that YAML escapes produce, keeping newline and tab; multibyte text
// passes unchanged into explain.
#include <gtest/gtest.h>

#include "applier/explain.h"
#include "compiler/text_policy.h"
#include "compiler/utf8.h"
#include "test_support.h"

namespace nsplan {
namespace {

using testing::compile_text;

// ---- decoding -----------------------------------------------------------------------------

const char* problem_of(std::string_view bytes) { return utf8::decode(bytes, 0).problem; }

TEST(Utf8, DecodesEachLength) {
  EXPECT_EQ(utf8::decode("A", 0).code_point, U'A');
  auto two = utf8::decode("\xc3\xbc", 0);  // ü
  EXPECT_EQ(two.code_point, U'\u00fc');
  EXPECT_EQ(two.length, 2u);
  EXPECT_EQ(utf8::decode("\xe6\x9d\xb1", 0).code_point, U'\u6771');       // 東
  EXPECT_EQ(utf8::decode("\xf0\x9f\x99\x82", 0).code_point, U'\U0001F642');  // 🙂
  EXPECT_EQ(utf8::decode("\xf4\x8f\xbf\xbf", 0).code_point, U'\U0010FFFF');
  EXPECT_EQ(utf8::decode("\xed\x9f\xbf", 0).code_point, U'\uD7FF');  // just below the surrogates
  EXPECT_EQ(utf8::decode("\xee\x80\x80", 0).code_point, U'\uE000');  // just above
}

TEST(Utf8, RefusesEveryInvalidClass) {
  struct Case {
    std::string bytes;
    std::string problem;
  } cases[] = {
      {"\x80", "a continuation byte without a lead byte"},
      {"\xbf", "a continuation byte without a lead byte"},
      {"\xc0\xaf", "an overlong encoding"},
      {"\xc1\xbf", "an overlong encoding"},
      {"\xe0\x80\xaf", "an overlong encoding"},
      {"\xe0\x9f\xbf", "an overlong encoding"},
      {"\xf0\x80\x80\xaf", "an overlong encoding"},
      {"\xf0\x8f\xbf\xbf", "an overlong encoding"},
      {"\xed\xa0\x80", "an encoded surrogate (U+D800..U+DFFF)"},
      {"\xed\xbf\xbf", "an encoded surrogate (U+D800..U+DFFF)"},
      {"\xf4\x90\x80\x80", "a code point above U+10FFFF"},
      {"\xf5\x80\x80\x80", "a byte that never occurs in UTF-8"},
      {"\xfe", "a byte that never occurs in UTF-8"},
      {"\xff", "a byte that never occurs in UTF-8"},
      {"\xc3", "a sequence cut short"},
      {"\xe6\x9d", "a sequence cut short"},
      {"\xf0\x9f\x99", "a sequence cut short"},
      {"\xe6\x9d" "A", "a sequence cut short"},
      {"\xc3\xc3\xbc", "a sequence cut short"},
  };
  for (const auto& c : cases) {
    const char* p = problem_of(c.bytes);
    ASSERT_NE(p, nullptr) << ::testing::PrintToString(c.bytes);
    EXPECT_EQ(p, c.problem) << ::testing::PrintToString(c.bytes);
  }
}

TEST(Text, NamesCharactersTheWayTerminalsDo) {
  EXPECT_EQ(text::code_point_name(0x1b), "U+001B (ESC)");
  EXPECT_EQ(text::code_point_name(0x00), "U+0000 (NUL)");
  EXPECT_EQ(text::code_point_name(0x7f), "U+007F (DEL)");
  EXPECT_EQ(text::code_point_name(0x9b), "U+009B (CSI)");
  EXPECT_EQ(text::code_point_name(0x202e), "U+202E (RIGHT-TO-LEFT OVERRIDE)");
  EXPECT_EQ(text::code_point_name(0x2069), "U+2069 (POP DIRECTIONAL ISOLATE)");
  EXPECT_EQ(text::code_point_name(0x1f642), "U+1F642");
}

// ---- whole files --------------------------------------------------------------------------

// The one error of compiling TEXT, as "line:col: message".
std::string only_error(const std::string& text) {
  auto c = compile_text(text);
  if (c->diags.all().size() != 1) return "not one diagnostic:\n" + render_all(c->diags, c->sources);
  const Diagnostic& d = c->diags.all()[0];
  EXPECT_FALSE(d.hint.empty()) << d.message;
  return std::to_string(d.loc.line) + ":" + std::to_string(d.loc.col) + ": " + d.message;
}

const std::string kHead = "nsplan: 1\nname: t\n";

struct ErrorCase {
  std::string text, error;  // the profile (or the part after kHead), and its one error
};

TEST(TextFile, InvalidUtf8AnywhereIsRefusedAtItsFirstByte) {
  const ErrorCase cases[] = {
      // free text, plain and quoted
      {kHead + "description: caf\xe9 au lait\n", "3:17: invalid UTF-8: byte 0xE9 is a sequence cut short"},
      {kHead + "description: \"Z\xc3\xbcrich \xc0\xaf\"\n", "3:23: invalid UTF-8: byte 0xC0 is an overlong encoding"},
      {kHead + "run:\n  command: [echo, \"\xed\xa0\x80\"]\n",
       "4:20: invalid UTF-8: byte 0xED is an encoded surrogate (U+D800..U+DFFF)"},
      {kHead + "run:\n  command: [sh]\n  env: {HOME: /t\xf4\x90\x80\x80mp}\n",
       "5:17: invalid UTF-8: byte 0xF4 is a code point above U+10FFFF"},
      {kHead + "description: x\x80y\n", "3:15: invalid UTF-8: byte 0x80 is a continuation byte without a lead byte"},
      {kHead + "description: ends in \xe6\x9d", "3:22: invalid UTF-8: byte 0xE6 is a sequence cut short"},
      {kHead + "description: \xff\n", "3:14: invalid UTF-8: byte 0xFF is a byte that never occurs in UTF-8"},
      // not values: a comment, a key, before the version
      {kHead + "# na\xefve comment\n", "3:5: invalid UTF-8: byte 0xEF is a sequence cut short"},
      {kHead + "k\xe9y: 1\n", "3:2: invalid UTF-8: byte 0xE9 is a sequence cut short"},
      {"\xfe\xfe\n" + kHead, "1:1: invalid UTF-8: byte 0xFE is a byte that never occurs in UTF-8"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(only_error(c.text), c.error + "; expected valid UTF-8") << ::testing::PrintToString(c.text);
}

TEST(TextFile, RawControlAndBidiCharactersAreRefusedWhereTheyAre) {
  const ErrorCase cases[] = {
      {kHead + "description: a\x1b[2Jb\n", "3:15: control character U+001B (ESC) in the file; expected printable text"},
      {kHead + "# \x1b]0;title\x07\n", "3:3: control character U+001B (ESC) in the file; expected printable text"},
      {kHead + "description: over\rwritten\n", "3:18: control character U+000D (CR) in the file; expected printable text"},
      {kHead + "description: 'a\x7f'\n", "3:16: control character U+007F (DEL) in the file; expected printable text"},
      {kHead + "description: a\xc2\x9b" "31mb\n", "3:15: control character U+009B (CSI) in the file; expected printable text"},
      {kHead + "description: a\xc2\x85" "b\n", "3:15: control character U+0085 (NEL) in the file; expected printable text"},
      {kHead + "description: a\x0c" "b\n", "3:15: control character U+000C (FF) in the file; expected printable text"},
      {kHead + "run: {command: [ls]}  # \xe2\x80\xae }]nimda[ :dnammoc\n",
       "3:25: bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE) in the file; expected text without direction overrides"},
      {kHead + "description: \"x\xe2\x81\xa6y\"\n",
       "3:16: bidirectional control U+2066 (LEFT-TO-RIGHT ISOLATE) in the file; expected text without direction overrides"},
  };
  for (const auto& c : cases) EXPECT_EQ(only_error(c.text), c.error) << ::testing::PrintToString(c.text);
}

TEST(TextFile, Utf16AndUtf32AreNamedNotParsed) {
  auto widen = [](const std::string& ascii, bool big, size_t width) {
    std::string out;
    for (char ch : ascii) {
      std::string unit(width, '\0');
      unit[big ? width - 1 : 0] = ch;
      out += unit;
    }
    return out;
  };
  std::string profile = kHead + "run: {command: [true]}\n";
  struct Case {
    std::string text, encoding;
  } cases[] = {
      {"\xff\xfe" + widen(profile, false, 2), "UTF-16LE"},
      {"\xfe\xff" + widen(profile, true, 2), "UTF-16BE"},
      {widen(profile, false, 2), "UTF-16LE"},
      {widen(profile, true, 2), "UTF-16BE"},
      {std::string("\xff\xfe\0\0", 4) + widen(profile, false, 4), "UTF-32LE"},
      {std::string("\0\0\xfe\xff", 4) + widen(profile, true, 4), "UTF-32BE"},
      {widen(profile, false, 4), "UTF-32LE"},
      {widen(profile, true, 4), "UTF-32BE"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(only_error(c.text), "1:1: the file is " + c.encoding + "; expected valid UTF-8") << c.encoding;
  EXPECT_EQ(only_error(std::string("\0", 1)), "1:1: control character U+0000 (NUL) in the file; expected printable text");
}

TEST(TextFile, Utf8BomAndCrlfLineEndsAreFine) {
  auto bom = compile_text("\xef\xbb\xbf" + kHead + "run: {command: [true]}\n");
  EXPECT_TRUE(bom->ok()) << render_all(bom->diags, bom->sources);
  auto crlf = compile_text("nsplan: 1\r\nname: t\r\nrun: {command: [true]}\r\n");
  EXPECT_TRUE(crlf->ok()) << render_all(crlf->diags, crlf->sources);
}

TEST(TextFile, AnIncludedFileIsCheckedToo) {
  testing::MemoryFiles files;
  files.files["main.yaml"] = kHead + "include: [frag.yaml]\nrun: {command: [true]}\n";
  files.files["frag.yaml"] = "description: \"\xe2\x80\xae\"\n";
  auto c = compile_file("main.yaml", files.reader(), HostFacts::stated(CgroupMode::V2), {});
  std::string text = render_all(c->diags, c->sources);
  EXPECT_NE(text.find("frag.yaml:1:15: error: bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE) in the file"),
            std::string::npos) << text;
  EXPECT_NE(text.find("main.yaml:3:11: note: in file included from here"), std::string::npos) << text;
}

// ---- values made by escapes -----------------------------------------------------------------

TEST(TextValue, EscapedControlAndBidiCharactersAreRefusedAtTheScalar) {
  const ErrorCase cases[] = {
      {"description: \"a\\e[2Jb\"\n", "3:14: 'description' contains control character U+001B (ESC)"},
      {"description: \"ok\\rfake line\"\n", "3:14: 'description' contains control character U+000D (CR)"},
      {"description: \"\\0\"\n", "3:14: 'description' contains control character U+0000 (NUL)"},
      {"description: \"\\x7f\"\n", "3:14: 'description' contains control character U+007F (DEL)"},
      {"description: \"\\x9b\"\n", "3:14: 'description' contains control character U+009B (CSI)"},
      // yaml-cpp decodes \N (NEL) and \_ (no-break space) to one byte each, which is not UTF-8.
      {"description: \"\\N\"\n", "3:14: 'description' contains invalid UTF-8: byte 0x85 is a continuation byte without a lead byte"},
      {"description: \"a\\_b\"\n", "3:14: 'description' contains invalid UTF-8: byte 0xA0 is a continuation byte without a lead byte"},
      {"description: \"\\u0085\"\n", "3:14: 'description' contains control character U+0085 (NEL)"},
      {"description: \"\\u202Eevil\"\n", "3:14: 'description' contains bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE)"},
      {"run:\n  command: [echo, ok, \"\\u2067x\"]\n",
       "4:23: 'command' contains bidirectional control U+2067 (RIGHT-TO-LEFT ISOLATE)"},
      {"run:\n  command: [echo, \"\\e]0;owned\\a\"]\n", "4:19: 'command' contains control character U+001B (ESC)"},
      {"run:\n  command: [sh]\n  env: {PS1: \"\\x1b[8m\"}\n",
       "5:14: environment value 'PS1' contains control character U+001B (ESC)"},
      {"run:\n  command: [sh]\n  env: {A: \"\\u202d\"}\n",
       "5:12: environment value 'A' contains bidirectional control U+202D (LEFT-TO-RIGHT OVERRIDE)"},
      {"run:\n  command: [sh]\n  cwd: \"/tmp/a\\tb\"\n", "5:8: path 'cwd' contains control character U+0009 (HT)"},
      {"run:\n  command: [sh]\n  cwd: \"/tmp/a\\nb\"\n", "5:8: path 'cwd' contains control character U+000A (LF)"},
      {"run:\n  command: [sh]\n  cwd: \"/tmp/\\u2066\"\n",
       "5:8: path 'cwd' contains bidirectional control U+2066 (LEFT-TO-RIGHT ISOLATE)"},
      {"include: \"frag\\e.yaml\"\n", "3:10: include: file name contains control character U+001B (ESC)"},
  };
  for (const auto& c : cases) EXPECT_EQ(only_error(kHead + c.text), c.error) << c.text;
}

TEST(TextValue, RestrictedFieldsStillSayWhichCharactersTheyAllow) {
  auto c = compile_text("nsplan: 1\nname: \"a\\u202eb\"\n");
  ASSERT_EQ(c->diags.all().size(), 1u) << render_all(c->diags, c->sources);
  EXPECT_EQ(c->diags.all()[0].hint, "use 1..64 letters, digits, '_', '.' or '-', not starting with '-' or '.'");
}

TEST(TextValue, NewlineAndTabStayInFreeText) {
  auto c = compile_text(kHead + "description: \"two\\nlines\\tand a tab\"\n"
                        "run:\n  command: [printf, \"%s\\n\", \"a\\tb\\nc\"]\n  env: {X: \"1\\n\\t2\"}\n");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  EXPECT_EQ(c->profile->description->value, "two\nlines\tand a tab");
}

TEST(TextValue, MultibyteTextArrivesInExplainUnchanged) {
  const std::string text = "Z\xc3\xbcrich \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x99\x82";  // Zürich 東京 🙂
  auto c = compile_text(kHead + "description: " + text + "\nrun:\n  command: [echo, \"" + text + "\"]\n  env: {CITY: " +
                        text + "}\n");
  ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources);
  ASSERT_TRUE(c->profile->description);
  EXPECT_EQ(c->profile->description->value, text);
  applier::ExplainOptions options;
  options.description = c->profile->description->value;
  std::string script = applier::explain(*c->plan, c->diags, c->sources, options);
  EXPECT_NE(script.find("# " + text + "\n"), std::string::npos) << script;
  EXPECT_NE(script.find("'echo' '" + text + "'"), std::string::npos) << script;
  EXPECT_NE(script.find("'CITY=" + text + "'"), std::string::npos) << script;
}

}  // namespace
}  // namespace nsplan
