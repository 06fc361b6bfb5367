// nsplan fmt's layout (compiler/yaml_format.h): comments kept, the canonical indentation, and the
// safety net (the result parses to the same document) over every profile the repository has.
#include <gtest/gtest.h>

#include <filesystem>

#include "applier/files.h"
#include "compiler/yaml_format.h"

namespace nsplan {
namespace {

std::string formatted(const std::string& text) {
  FormatOutcome out = format_profile_text("t.yaml", text);
  EXPECT_TRUE(out.formatted) << render_all(out.diags, out.sources);
  return out.formatted.value_or("");
}

TEST(Fmt, ReindentsAndKeepsEveryComment) {
  const std::string messy =
      "# header\n"
      "\n"
      "\n"
      "nsplan:   1\n"
      "name: x   # trailing, its column kept\n"
      "cgroup:\n"
      "    # about memory\n"
      "    memory:\n"
      "          max: 3G\n"
      "          soft:     1G   \n"
      "network:\n"
      "   links:\n"
      "   - name: a\n"
      "     kind: bridge\n"
      "\n"
      "\n"
      "   -   name: b     # b\n"
      "       kind: bridge\n"
      "       addresses: [10.0.0.1/24,\n"
      "                   10.0.1.1/24]\n"
      "   # the end of links\n"
      "run:\n"
      "  command:\n"
      "     - /bin/sh\n"
      "     - -c\n"
      "     - |\n"
      "         echo \"# not a comment\"\n"
      "\n"
      "         echo   two  \n"
      "\n";
  const std::string canonical =
      "# header\n"
      "\n"
      "nsplan: 1\n"
      "name: x   # trailing, its column kept\n"
      "cgroup:\n"
      "  # about memory\n"
      "  memory:\n"
      "    max: 3G\n"
      "    soft: 1G\n"
      "network:\n"
      "  links:\n"
      "    - name: a\n"
      "      kind: bridge\n"
      "\n"
      "    - name: b     # b\n"
      "      kind: bridge\n"
      "      addresses: [10.0.0.1/24,\n"
      "                  10.0.1.1/24]\n"
      "  # the end of links\n"
      "run:\n"
      "  command:\n"
      "    - /bin/sh\n"
      "    - -c\n"
      "    - |\n"
      "        echo \"# not a comment\"\n"
      "\n"
      "        echo   two  \n";
  EXPECT_EQ(formatted(messy), canonical);
  EXPECT_EQ(formatted(canonical), canonical) << "the layout is stable";
}

TEST(Fmt, ZeroIndentedListsAndNestedLists) {
  EXPECT_EQ(formatted("a:\n- x\n- y\nb:\n  - - 1\n    - 2\n  - [3]\n"), "a:\n  - x\n  - y\nb:\n  - - 1\n    - 2\n  - [3]\n");
  EXPECT_EQ(formatted("a:\n-\n   k: v\n   l: w\n"), "a:\n  -\n    k: v\n    l: w\n");
}

TEST(Fmt, AnchorsAndAliasesKeepTheirPlace) {
  EXPECT_EQ(formatted("a: &x\n    b: 1\nc: *x\nd:\n    - &y {k: v}\n    - *y\n"), "a: &x\n  b: 1\nc: *x\nd:\n  - &y {k: v}\n  - *y\n");
}

TEST(Fmt, ASyntaxErrorIsLocatedAndNothingIsFormatted) {
  FormatOutcome out = format_profile_text("t.yaml", "a: [1, 2\nb: 3\n");
  EXPECT_FALSE(out.formatted);
  EXPECT_TRUE(out.diags.has_errors());
  EXPECT_NE(render_all(out.diags, out.sources).find("t.yaml:"), std::string::npos);
}

// Every YAML file of the repository: laid out once, it is stable, and says the same (the safety
// net would refuse otherwise). The shipped profiles are laid out so already.
TEST(Fmt, EveryProfileOfTheRepository) {
  namespace fs = std::filesystem;
  size_t files = 0;
  for (const char* dir : {"profiles", "tests/golden/cases", "tests/diagnostics", "tests/golden"}) {
    for (const auto& e : fs::directory_iterator(std::string(NSPLAN_SOURCE_DIR) + "/" + dir)) {
      if (e.path().extension() != ".yaml") continue;
      auto f = applier::read_profile_file(e.path().string());
      ASSERT_TRUE(f.ok) << e.path();
      FormatOutcome once = format_profile_text(e.path().string(), f.text);
      if (!once.formatted) {
        // Only a file that does not parse may be refused (the diagnostics tests have some).
        EXPECT_TRUE(once.diags.has_errors());
        EXPECT_EQ(render_all(once.diags, once.sources).find("fmt cannot lay out"), std::string::npos)
            << render_all(once.diags, once.sources);
        continue;
      }
      ++files;
      FormatOutcome twice = format_profile_text(e.path().string(), *once.formatted);
      ASSERT_TRUE(twice.formatted) << e.path();
      EXPECT_EQ(*twice.formatted, *once.formatted) << e.path() << ": not stable";
      if (std::string(dir) == "profiles") {
        EXPECT_EQ(*once.formatted, f.text) << e.path() << " is not laid out as fmt does";
      }
    }
  }
  EXPECT_GT(files, 20u);
}

}  // namespace
}  // namespace nsplan
