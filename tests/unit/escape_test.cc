// Text read from the kernel is shown through text::escaped (compiler/escape.h): printable UTF-8
// stays as it is; invalid UTF-8, control characters and bidirectional controls become \xNN per
// byte; a backslash is doubled, so the escaped text tells exactly which bytes there were.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "applier/sys_error.h"
#include "compiler/escape.h"
#include "compiler/utf8.h"

namespace nsplan {
namespace {

using text::escaped;

TEST(Escaped, PrintableUtf8StaysAsItIs) {
  EXPECT_EQ(escaped(""), "");
  EXPECT_EQ(escaped("host-1.example"), "host-1.example");
  EXPECT_EQ(escaped("m\xc3\xbcnchen \xe6\x9d\xb1 \xf0\x9f\x99\x82"), "m\xc3\xbcnchen \xe6\x9d\xb1 \xf0\x9f\x99\x82");
  EXPECT_EQ(escaped("8:0 rbps=max wbps=1048576"), "8:0 rbps=max wbps=1048576");
}

TEST(Escaped, InvalidUtf8AndControlBytesBecomeHex) {
  EXPECT_EQ(escaped("\xff\x1bx"), "\\xff\\x1bx");  // the hostname of the kernel test
  EXPECT_EQ(escaped("\x1b[2J"), "\\x1b[2J");       // a terminal escape sequence, defused
  EXPECT_EQ(escaped("a\rb\nc\td"), "a\\x0db\\x0ac\\x09d");
  EXPECT_EQ(escaped(std::string("a\0b", 3)), "a\\x00b");
  EXPECT_EQ(escaped("\x7f"), "\\x7f");
  EXPECT_EQ(escaped("\xc2\x85"), "\\xc2\\x85");                      // C1 NEL, valid UTF-8
  EXPECT_EQ(escaped("abc\xe2\x80\xae" "cba"), "abc\\xe2\\x80\\xaecba");  // RIGHT-TO-LEFT OVERRIDE
  EXPECT_EQ(escaped("\xc3"), "\\xc3");                                 // cut short
  EXPECT_EQ(escaped("\xc3(x"), "\\xc3(x");
  EXPECT_EQ(escaped("\xed\xa0\x80"), "\\xed\\xa0\\x80");               // a surrogate: three bytes
  EXPECT_EQ(escaped("\xc0\xaf"), "\\xc0\\xaf");                        // overlong
}

TEST(Escaped, BackslashIsDoubledSoNothingPassesForAnEscape) {
  EXPECT_EQ(escaped("\\"), "\\\\");
  EXPECT_EQ(escaped("\\xff"), "\\\\xff");  // the four characters, not the byte
  EXPECT_NE(escaped("\\xff"), escaped("\xff"));
}

TEST(Escaped, ResultIsValidUtf8WithoutControlsForEveryByte) {
  std::string all;
  for (int b = 0; b < 256; ++b) all += static_cast<char>(b);
  for (const std::string& input : {all, all + all.substr(0x80) + "\xe2\x80"}) {
    std::string out = escaped(input);
    for (size_t i = 0; i < out.size();) {
      utf8::Decoded d = utf8::decode(out, i);
      ASSERT_EQ(d.problem, nullptr) << "at " << i;
      ASSERT_FALSE(d.code_point < 0x20 || (d.code_point >= 0x7f && d.code_point <= 0x9f)) << "at " << i;
      i += d.length;
    }
    // JSON takes it without complaint and gives it back unchanged.
    nlohmann::json j = out;
    EXPECT_EQ(nlohmann::json::parse(j.dump()).get<std::string>(), out);
  }
}

// Error texts of the kernel layer carry kernel text (a hostname being restored, an extended ack):
// message() escapes them once.
TEST(Escaped, KernelErrorsAreEscapedOnce) {
  applier::SysError e{EINVAL, "set hostname '\xff\x1bx' in /run/nsplan/ns/a.uts", 0, "bad \\ name\n"};
  EXPECT_EQ(e.message(), "set hostname '\\xff\\x1bx' in /run/nsplan/ns/a.uts: Invalid argument (bad \\\\ name\\x0a)");
}

}  // namespace
}  // namespace nsplan
