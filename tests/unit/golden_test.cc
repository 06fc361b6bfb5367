// Golden tests: for every profile in profiles/ and tests/golden/cases/, explain (v1 and v2) and plan --json are compared
// with reviewed files in tests/golden/. After a deliberate change, regenerate with
// NSPLAN_UPDATE_GOLDEN=1 and review the diff like code.
#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>

#include "applier/files.h"
#include "compiler/compile.h"
#include "compiler/json_emitter.h"
#include "applier/explain.h"
#include "test_support.h"

namespace nsplan {
namespace {

namespace fs = std::filesystem;

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

struct Output {
  std::string text;
  std::string diagnostics;
};

// Paths stay relative to the source tree, as a user in a checkout would type them.
Output render(const std::string& profile, CgroupMode mode, bool json, bool teardown = false, bool systemd = false) {
  EXPECT_EQ(chdir(NSPLAN_SOURCE_DIR), 0);
  HostFacts facts = HostFacts::stated(mode);
  facts.systemd = systemd;
  auto c = compile_file(profile, applier::profile_file_reader(), facts, PlanOptions{});
  Output out;
  out.diagnostics = render_all(c->diags, c->sources);
  if (!c->ok()) return out;
  std::string description = c->profile->description ? c->profile->description->value : "";
  applier::ExplainOptions options;
  options.teardown = teardown;
  options.description = description;
  out.text = json ? emit_json(*c->plan, c->diags, c->sources) : applier::explain(*c->plan, c->diags, c->sources, options);
  return out;
}


class Golden : public ::testing::TestWithParam<std::string> {};

TEST_P(Golden, MatchesReviewedOutput) {
  const std::string profile = GetParam();
  const std::string stem = fs::path(profile).stem().string();
  bool update = std::getenv("NSPLAN_UPDATE_GOLDEN") != nullptr;
  struct Variant {
    CgroupMode mode;
    bool json;
    bool teardown;
    const char* suffix;
  } variants[] = {{CgroupMode::V1, false, false, ".v1.sh"},
                  {CgroupMode::V2, false, false, ".v2.sh"},
                  {CgroupMode::V1, true, false, ".v1.json"},
                  {CgroupMode::V2, true, false, ".v2.json"},
                  {CgroupMode::V2, false, true, ".v2.destroy.sh"}};
  for (const auto& v : variants) {
    Output out = render(profile, v.mode, v.json, v.teardown);
    ASSERT_FALSE(out.text.empty()) << profile << " does not compile:\n" << out.diagnostics;
    fs::path golden = fs::path(NSPLAN_SOURCE_DIR) / "tests/golden" / (stem + v.suffix);
    if (update) {
      std::ofstream(golden) << out.text;
      continue;
    }
    ASSERT_TRUE(fs::exists(golden)) << golden << " is missing; run with NSPLAN_UPDATE_GOLDEN=1 and review it";
    EXPECT_EQ(out.text, slurp(golden)) << "output for " << profile << " (" << v.suffix << ") changed";
    // Deterministic: a second compile gives the same bytes.
    EXPECT_EQ(out.text, render(profile, v.mode, v.json, v.teardown).text);
  }
}

// A host where systemd owns the v2 tree (explain --cgroup v2 --systemd): the unit first, the
// cgroups below it, and destroy stopping it last.
TEST(GoldenSystemd, FirefoxOnASystemdHost) {
  bool update = std::getenv("NSPLAN_UPDATE_GOLDEN") != nullptr;
  for (bool teardown : {false, true}) {
    Output out = render("profiles/firefox.yaml", CgroupMode::V2, false, teardown, true);
    ASSERT_FALSE(out.text.empty()) << out.diagnostics;
    fs::path golden = fs::path(NSPLAN_SOURCE_DIR) / "tests/golden" / (teardown ? "firefox.v2-systemd.destroy.sh" : "firefox.v2-systemd.sh");
    if (update) {
      std::ofstream(golden) << out.text;
      continue;
    }
    EXPECT_EQ(out.text, slurp(golden)) << golden << " changed";
  }
}

INSTANTIATE_TEST_SUITE_P(Profiles, Golden, ::testing::ValuesIn(testing::shipped_profiles()),
                         [](const auto& info) {
                           std::string n = fs::path(info.param).stem().string();
                           for (char& c : n)
                             if (!isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });

TEST(GoldenSet, EveryGoldenFileBelongsToAProfile) {
  // A golden file whose profile was removed or renamed would go stale unseen.
  auto profiles = testing::shipped_profiles();
  for (const auto& e : fs::directory_iterator(fs::path(NSPLAN_SOURCE_DIR) / "tests/golden")) {
    std::string name = e.path().filename().string();
    if (e.is_directory() || name.find('.') == std::string::npos || e.path().extension() == ".md") continue;
    std::string stem = name.substr(0, name.find('.'));
    EXPECT_TRUE(std::find(profiles.begin(), profiles.end(), "profiles/" + stem + ".yaml") != profiles.end() ||
                std::find(profiles.begin(), profiles.end(), "tests/golden/cases/" + stem + ".yaml") != profiles.end())
        << name << " has no profile";
  }
}

}  // namespace
}  // namespace nsplan
