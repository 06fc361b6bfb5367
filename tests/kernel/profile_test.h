// The fixture most kernel tests of the nsplan binary share: root, and a temp dir of their own
// (sandbox.h's TempDir) for their profiles, scripts and outputs; ProfileTest adds profiles named
// with the test prefix. A fixture that needs more calls SetUp() first and returns when it
// skipped or failed (a FAIL or skip in it returns from it, not from the derived SetUp).
#pragma once
#include <sys/stat.h>

#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {

class TempDirTest : public ::testing::Test {
 protected:
  // TAG: in the temp dir's name, /tmp/nsplan-t-<pid>-TAG-XXXXXX.
  explicit TempDirTest(const std::string& tag) : tmp_(tag) {}
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    if (!tmp_.ok()) FAIL() << "cannot make a temp dir under /tmp";
    // Readable by all: commands under another uid or in a user namespace read what is here.
    ::chmod(tmp_.path().c_str(), 0755);
  }
  // SetUp skipped or failed: the derived SetUp stops there.
  bool stopped() const { return IsSkipped() || HasFatalFailure(); }
  TempDir tmp_;
};

class ProfileTest : public TempDirTest {
 protected:
  using TempDirTest::TempDirTest;
  // A profile "nsplan-t-<pid>-SUFFIX" (NAME_ from then on) with BODY after its name; returns its
  // path.
  std::string profile(const std::string& suffix, const std::string& body) {
    name_ = test_name(suffix);
    return tmp_.write(suffix + ".yaml", "nsplan: 1\nname: " + name_ + "\n" + body);
  }
  std::string name_;
};

}  // namespace nsplan::kernel_test
