// cli/suggest.h: the did-you-mean of an unknown command.
#include "cli/suggest.h"

#include <gtest/gtest.h>

namespace nsplan::cli {
namespace {

const std::vector<std::string> kCommands{"explain", "plan", "apply", "destroy", "status", "run", "attach", "check", "schema"};

TEST(Suggest, TyposFindTheirCommand) {
  EXPECT_EQ(nearest("aply", kCommands), "apply");        // a letter missing
  EXPECT_EQ(nearest("destory", kCommands), "destroy");   // two letters swapped
  EXPECT_EQ(nearest("stauts", kCommands), "status");
  EXPECT_EQ(nearest("explian", kCommands), "explain");
  EXPECT_EQ(nearest("chekc", kCommands), "check");
  EXPECT_EQ(nearest("atach", kCommands), "attach");
}

TEST(Suggest, FarOrAmbiguousWordsGetNoSuggestion) {
  EXPECT_EQ(nearest("frobnicate", kCommands), "");
  EXPECT_EQ(nearest("", kCommands), "");
  EXPECT_EQ(nearest(std::string(200, 'a'), kCommands), "");
  // "pun" is one edit from "run", two from "plan"; "xx" is three or more from every command.
  EXPECT_EQ(nearest("pun", kCommands), "run");
  EXPECT_EQ(nearest("xx", kCommands), "");
  // Equally near two commands: no guess.
  EXPECT_EQ(nearest("ab", {"abc", "abd"}), "");
}

}  // namespace
}  // namespace nsplan::cli
