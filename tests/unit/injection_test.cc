// Values with shell metacharacters, newlines, quotes, $(...), backticks, leading dashes, unicode
// look-alikes, control and bidirectional characters: either the checks refuse them (saying which
// characters are allowed, or naming the one refused), or explain quotes them so that the script
// does exactly what nsplan does with them. A property test over generated values; the script is
// run by /bin/sh and its output compared.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <random>

#include "../fuzz/fuzz_support.h"
#include "applier/explain.h"
#include "applier/files.h"
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

// The first control or bidirectional character of a value that free text refuses, as the error
// names it; empty if there is none. Written from the bytes, apart from the code under test.
std::string refused_character(const std::string& s) {
  for (size_t i = 0; i < s.size(); ++i) {
    auto b = [&](size_t k) { return i + k < s.size() ? static_cast<unsigned char>(s[i + k]) : 0; };
    if (b(0) == 0x1b) return "control character U+001B (ESC)";
    if (b(0) == '\r') return "control character U+000D (CR)";
    if (b(0) == 0x07) return "control character U+0007 (BEL)";
    if (b(0) == 0x7f) return "control character U+007F (DEL)";
    if (b(0) == 0xc2 && b(1) == 0x9b) return "control character U+009B (CSI)";
    if (b(0) == 0xe2 && b(1) == 0x80 && b(2) == 0xae) return "bidirectional control U+202E (RIGHT-TO-LEFT OVERRIDE)";
    if (b(0) == 0xe2 && b(1) == 0x81 && b(2) == 0xa7) return "bidirectional control U+2067 (RIGHT-TO-LEFT ISOLATE)";
  }
  return "";
}

// A double-quoted YAML scalar; what a file may not hold raw is written as an escape, so that it
// is the value, not the file, that is judged.
std::string yaml_quote(const std::string& s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    auto c = static_cast<unsigned char>(s[i]);
    char b[16];
    if (c == '"' || c == '\\') out += '\\', out += static_cast<char>(c);
    else if (c == '\n') out += "\\n";
    else if (c == '\t') out += "\\t";
    else if (c < 0x20 || c == 0x7f) {
      std::snprintf(b, sizeof b, "\\x%02x", c);
      out += b;
    } else if (c == 0xc2 && i + 1 < s.size() && static_cast<unsigned char>(s[i + 1]) == 0x9b) {
      out += "\\x9b";
      ++i;
    } else if (c == 0xe2 && s.compare(i, 3, "\xe2\x80\xae") == 0) {
      out += "\\u202e";
      i += 2;
    } else if (c == 0xe2 && s.compare(i, 3, "\xe2\x81\xa7") == 0) {
      out += "\\u2067";
      i += 2;
    } else out += static_cast<char>(c);
  }
  return out + "\"";
}

std::vector<std::string> hostile_values() {
  std::vector<std::string> v = {"$(touch /tmp/nsplan-pwned)", "`id`", "a;b", "a|b", "a&&b", "'", "\"", "\\",
                                "-rf", "--help", "a\nb", "${HOME}", "$$", "*", "?", "~", "a b", "#x", "!x",
                                "\xe2\x80\x8b", "\xd0\xb0", "'\\''", "\t", ">x", "<x", "(x)", "{x}", "x=y",
                                "\x1b[2J", "ok\rfake", "\x07", "a\x7f", "\xc2\x9b" "31m", "\xe2\x80\xae" "cba",
                                "x\xe2\x81\xa7" "y", "Z\xc3\xbcrich \xe6\x9d\xb1\xe4\xba\xac \xf0\x9f\x99\x82"};
  const std::string alphabet = "ab$`'\"\\;|&<>(){}[]*?~! #=-\n\t%@:,.\x1b\r";
  std::mt19937 rng(20261129);
  for (int i = 0; i < 150; ++i) {
    std::string s;
    size_t len = 1 + rng() % 12;
    for (size_t k = 0; k < len; ++k) s += alphabet[rng() % alphabet.size()];
    v.push_back(s);
  }
  return v;
}

// Legal values (command arguments, environment values) reach the program unchanged; values with
// a control or bidirectional character (newline and tab excepted) are refused, naming it.
TEST(Injection, QuotedValuesArriveExactlyAsWritten) {
  int checked = 0, refused = 0;
  for (const std::string& value : hostile_values()) {
    std::string profile = "nsplan: 1\nname: inj\nrun:\n  command: [printf, \"%s|%s\", " + yaml_quote(value) +
                          ", \"$V\"]\n  env: {V: " + yaml_quote(value) + "}\n";
    auto c = testing::compile_text(profile);
    if (std::string character = refused_character(value); !character.empty()) {
      std::vector<std::string> messages;
      for (const auto& d : c->diags.all()) messages.push_back(d.message);
      EXPECT_EQ(messages, (std::vector<std::string>{"'command' contains " + character,
                                                    "environment value 'V' contains " + character}))
          << yaml_quote(value);
      ++refused;
      continue;
    }
    ASSERT_TRUE(c->ok()) << render_all(c->diags, c->sources) << "\nfor " << yaml_quote(value);
    std::string script = applier::explain(*c->plan, c->diags, c->sources);
    std::string bad;
    EXPECT_TRUE(fuzz::only_quoted_data(script, bad)) << bad;
    // printf receives "$V" literally (quoted), so it prints the value and then the two bytes $V.
    int status = 0;
    std::string out = run_sh(script, status);
    EXPECT_EQ(status, 0) << script;
    EXPECT_EQ(out, value + "|$V") << script;
    ++checked;
  }
  EXPECT_GT(checked, 100);
  EXPECT_GT(refused, 30);
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

namespace nsplan {
namespace {

// The checker itself: data outside quotes is caught, the script writer's own syntax is not.
TEST(Injection, CheckerCatchesDataOutsideQuotes) {
  std::string bad;
  EXPECT_TRUE(fuzz::only_quoted_data("echo 'a;b' > 'f'\nrmdir 'd' || [ -z \"$(cat 'p')\" ]\n", bad)) << bad;
  EXPECT_TRUE(fuzz::only_quoted_data("sh -c 'x'\\''y' nsplan-run 'a' || status=$?\nexit \"$status\"\n", bad)) << bad;
  for (const char* leaked : {"echo a;b\n", "echo $(touch x)\n", "echo `id`\n", "echo 'a'b&c\n", "echo \"$HOME\"\n",
                             "echo 'unterminated\n", "x\\y\n", "echo a>b\n"}) {
    EXPECT_FALSE(fuzz::only_quoted_data(leaked, bad)) << leaked;
  }
  // A quoted heredoc's body is not expanded by sh: anything may stand in it, up to its terminator.
  EXPECT_TRUE(fuzz::only_quoted_data("nft -f - <<'END'\nadd rule $x `id` \"a\";\nEND\necho 'z'\n", bad)) << bad;
  for (const char* leaked : {"nft -f - <<'END'\nbody\n", "nft -f - <<'END' ; id\nbody\nEND\n",
                             "nft -f - <<'END'\nbody\nEND\necho $x\n"}) {
    EXPECT_FALSE(fuzz::only_quoted_data(leaked, bad)) << leaked;
  }
}

// The fuzzer's property over every shipped profile, in the unit suite: the fuzz run of CI found
// web-jail's scripts (a file written with set -C, an nft heredoc) outside the checker's grammar.
TEST(Injection, EveryShippedProfilesScriptsQuoteTheirData) {
  ASSERT_EQ(chdir(NSPLAN_SOURCE_DIR), 0);
  for (const auto& profile : testing::shipped_profiles())
    for (auto mode : {CgroupMode::V1, CgroupMode::V2}) {
      auto c = compile_file(profile, applier::profile_file_reader(), HostFacts::stated(mode), PlanOptions{});
      ASSERT_TRUE(c->ok()) << profile << "\n" << render_all(c->diags, c->sources);
      applier::ExplainOptions apply, destroy;
      destroy.teardown = true;
      for (const auto& options : {apply, destroy}) {
        std::string bad;
        EXPECT_TRUE(fuzz::only_quoted_data(applier::explain(*c->plan, c->diags, c->sources, options), bad))
            << profile << (options.teardown ? " (destroy)" : "") << ": " << bad;
      }
    }
}

}  // namespace
}  // namespace nsplan
