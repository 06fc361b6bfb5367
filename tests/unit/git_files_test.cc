// git:REV:PATH as nsplan diff takes it (applier/git_files.h): what is a git source, and what is
// refused before git is run (the reading itself is tested in a real repository: tests/diff_test.sh).
#include <gtest/gtest.h>

#include "applier/git_files.h"

namespace nsplan::applier {
namespace {

TEST(GitSource, SplitsAtTheFirstColonAfterTheRevision) {
  std::string error;
  auto s = parse_git_source("git:HEAD~1:profiles/lab.yaml", error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->rev, "HEAD~1");
  EXPECT_EQ(s->path, "profiles/lab.yaml");
  s = parse_git_source("git:main:a:b.yaml", error);
  ASSERT_TRUE(s) << error;
  EXPECT_EQ(s->rev, "main");
  EXPECT_EQ(s->path, "a:b.yaml");
  EXPECT_TRUE(error.empty());
}

TEST(GitSource, AFileIsNoGitSource) {
  std::string error;
  EXPECT_FALSE(parse_git_source("profiles/lab.yaml", error));
  EXPECT_FALSE(parse_git_source("gitlab.yaml", error));
  EXPECT_TRUE(error.empty());
}

TEST(GitSource, RefusesWhatGitCouldTakeForAnOption) {
  std::string error;
  EXPECT_FALSE(parse_git_source("git:--output=/tmp/x:lab.yaml", error));
  EXPECT_EQ(error, "'git:--output=/tmp/x:lab.yaml': a revision does not start with '-'");
  // read_git_blob refuses it too, whoever calls it.
  FileContent c = read_git_blob("-p", "lab.yaml");
  EXPECT_FALSE(c.ok);
  EXPECT_EQ(c.error, "a revision does not start with '-'");
}

TEST(GitSource, RefusesMalformedOnes) {
  for (const char* bad : {"git:HEAD", "git::lab.yaml", "git:HEAD:", "git:"}) {
    std::string error;
    EXPECT_FALSE(parse_git_source(bad, error)) << bad;
    EXPECT_NE(error.find("is not git:REV:PATH"), std::string::npos) << bad << ": " << error;
  }
  std::string error;
  EXPECT_FALSE(parse_git_source(std::string("git:HEAD\n:x.yaml"), error));
  EXPECT_NE(error.find("no newline or NUL"), std::string::npos) << error;
}

}  // namespace
}  // namespace nsplan::applier
