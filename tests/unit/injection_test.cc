// Values with shell metacharacters, newlines, quotes, $(...), backticks, leading dashes and
// unicode look-alikes: either the checks refuse them (saying which characters are allowed), or
// explain quotes them so that the script does exactly what nsplan does with them. A property
// test over generated values; the script is run by /bin/sh and its output compared.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "../fuzz/fuzz_support.h"
#include "compiler/shell_emitter.h"
#include "test_support.h"

namespace nsplan {
namespace {

// Runs SCRIPT with /bin/sh and returns its standard output.
std::string run_sh(const std::string& script, int& status) {
  char path[] = "/tmp/nsplan-inject-XXXXXX";
  int fd = mkstemp(path);
  EXPECT_GE(fd, 0);
  EXPECT_EQ(write(fd, script.data(), script.size()), static_cast<ssize_t>(script.size()));
  close(fd);
  std::string cmd = std::string("sh ") + path;
  FILE* p = popen(cmd.c_str(), "r");
  std::string out;
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  status = pclose(p);
  unlink(path);
  return out;
}

std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20) {
      char b[8];
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

std::vector<std::string> hostile_values() {
  std::vector<std::string> v = {"$(touch /tmp/nsplan-pwned)", "`id`", "a;b", "a|b", "a&&b", "'", "\"", "\\",
                                "-rf", "--help", "a\nb", "${HOME}", "$$", "*", "?", "~", "a b", "#x", "!x",
                                "\xe2\x80\x8b", "\xd0\xb0", "'\\''", "\t", ">x", "<x", "(x)", "{x}", "x=y"};
  const std::string alphabet = "ab$`'\"\\;|&<>(){}[]*?~! #=-\n\t%@:,.";
  std::mt19937 rng(20261129);
  for (int i = 0; i < 150; ++i) {
    std::string s;
    size_t len = 1 + rng() % 12;
    for (size_t k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
    v.push_back(s);
  }
  return v;
}

// Legal values (command arguments, environment values) reach the program unchanged.
TEST(Injection, QuotedValuesArriveExactlyAsWritten) {
  int checked = 0;
  for (const std::string& value : hostile_values()) {
    std::string profile = "nsplan: 1\nname: inj\nrun:\n  command: [printf, \"%s|%s\", " + yaml_quote(value) +
                          ", \"$V\"]\n  env: {V: " + yaml_quote(value) + "}\n";
    auto c = testing::compile_text(profile);
    ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources) << "\nfor " << yaml_quote(value);
    std::string script = emit_shell(*c->plan, c->diags, c->sources);
    std::string bad;
    EXPECT_TRUE(fuzz::only_quoted_data(script, bad)) << bad;
    // printf receives "$V" literally (quoted), so it prints the value and then the two bytes $V.
    int status = 0;
    std::string out = run_sh(script, status);
    EXPECT_EQ(status, 0) << script;
    EXPECT_EQ(out, value + "|$V") << script;
    ++checked;
  }
  EXPECT_GT(checked, 150);
}

// Names that reach the kernel or the command line of ip: refused, with the allowed characters.
TEST(Injection, NamesWithMetacharactersAreRefusedWithTheAllowedCharacters) {
  struct Field {
    const char* yaml;  // %s is replaced by the quoted value
    const char* allowed;
  } fields[] = {
      {"name: %s\n", "use 1..64 letters, digits, '_', '.' or '-'"},
      {"name: x\nnetwork:\n  links: [{name: %s, kind: bridge}]\n", "use letters, digits, '_', '.' and '-'"},
      {"name: x\ncgroup:\n  path: %s\n", ""},
      {"name: x\nnamespaces:\n  uts: {hostname: %s}\n", "use 1..64 letters, digits, '-' and '.'"},
      {"name: x\nnamespaces:\n  net: {persist: %s}\n", "use 1..64 letters, digits, '_', '.' or '-'"},
  };
  for (const std::string& value : hostile_values()) {
    // Only values with a character no name field allows must be refused everywhere.
    bool plain = value.find_first_not_of("abcdefghijklmnopqrstuvwxyz0123456789_.-:@+") == std::string::npos;
    if (plain) continue;
    for (const auto& f : fields) {
      std::string body = f.yaml;
      body.replace(body.find("%s"), 2, yaml_quote(value));
      auto c = testing::compile_text("nsplan: 1\n" + body, CgroupMode::V2);
      ASSERT_TRUE(c->diags.has_errors()) << "accepted " << yaml_quote(value) << " in\n" << body;
      bool hinted = std::string(f.allowed).empty();
      for (const auto& d : c->diags.all()) hinted |= d.hint.find(f.allowed) != std::string::npos;
      EXPECT_TRUE(hinted) << render_all(c->diags, c->sources);
    }
  }
}

}  // namespace
}  // namespace nsplan
