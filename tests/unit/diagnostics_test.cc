// Diagnostics tests in the style of `clang -verify`: each profile in tests/diagnostics/ carries
// its expected diagnostics in YAML comments, and every diagnostic must match one exactly:
//   key: value   # expected-error {{message}}
//   # expected-warning@+1 {{message}}      (the next line; @-1 the previous, @7 line 7)
// A first line `# nsplan-test: v1 strict` selects the target (default v2) and --strict;
// `online-cpus=0-3 memory-nodes=0` there states what a probed host would have online.
// Expectations in included files (tests/diagnostics/include/) count too. Files are read as
// nsplan reads them (applier/files.h), with a search path that does not exist, so that what
// this machine keeps on the profile search path changes nothing.
#include <gtest/gtest.h>
#include <unistd.h>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <regex>
#include <sstream>

#include "applier/files.h"
#include "compiler/compile.h"

namespace nsplan {
namespace {

namespace fs = std::filesystem;

constexpr const char* kSearchPath = "/nonexistent/nsplan-test-profiles";

struct Expected {
  std::string severity, file;
  uint32_t line = 0;
  std::string message;
  bool operator<(const Expected& o) const {
    return std::tie(file, line, severity, message) < std::tie(o.file, o.line, o.severity, o.message);
  }
  bool operator==(const Expected& o) const = default;
  std::string str() const { return file + ":" + std::to_string(line) + ": " + severity + ": " + message; }
};

std::vector<Expected> expectations_in(const std::string& file, const std::string& text) {
  static const std::regex re(R"(expected-(error|warning)(@([+-]?)(\d+))?\s*\{\{(.*?)\}\})");
  std::vector<Expected> out;
  std::istringstream in(text);
  std::string line;
  uint32_t n = 0;
  while (std::getline(in, line)) {
    ++n;
    for (std::sregex_iterator it(line.begin(), line.end(), re), end; it != end; ++it) {
      const auto& m = *it;
      uint32_t at = n;
      if (m[2].matched) {
        uint32_t k = static_cast<uint32_t>(std::stoul(m[4]));
        at = m[3] == "+" ? n + k : m[3] == "-" ? n - k : k;
      }
      out.push_back({m[1], file, at, m[5]});
    }
  }
  return out;
}

std::vector<std::string> cases() {
  std::vector<std::string> out;
  for (const auto& e : fs::directory_iterator(fs::path(NSPLAN_SOURCE_DIR) / "tests/diagnostics"))
    if (e.path().extension() == ".yaml") out.push_back("tests/diagnostics/" + e.path().filename().string());
  std::sort(out.begin(), out.end());
  return out;
}

class DiagnosticsCase : public ::testing::TestWithParam<std::string> {};

TEST_P(DiagnosticsCase, MatchesExpectations) {
  ASSERT_EQ(chdir(NSPLAN_SOURCE_DIR), 0);
  const std::string path = GetParam();
  auto first = applier::read_profile_file(path);
  ASSERT_TRUE(first.ok) << first.error;
  std::string header = first.text.substr(0, first.text.find('\n'));
  CgroupMode mode = header.find("nsplan-test:") != std::string::npos && header.find(" v1") != std::string::npos
                        ? CgroupMode::V1 : CgroupMode::V2;
  bool strict = header.find("nsplan-test:") != std::string::npos && header.find("strict") != std::string::npos;
  HostFacts facts = HostFacts::stated(mode);
  auto stated = [&](const std::string& key) -> std::optional<std::string> {
    std::smatch m;
    if (!std::regex_search(header, m, std::regex(key + "=(\\S*)"))) return std::nullopt;
    return m[1].str();
  };
  facts.online_cpus = stated("online-cpus");
  facts.memory_nodes = stated("memory-nodes");
  LoadOptions load;
  load.search_path = {kSearchPath};
  auto c = compile_file(path, applier::profile_file_reader(), facts, PlanOptions{strict}, load);

  std::vector<Expected> want, got;
  for (uint32_t f = 1; f <= c->sources.size(); ++f) {
    auto e = expectations_in(c->sources.file(f).path, c->sources.file(f).text);
    want.insert(want.end(), e.begin(), e.end());
  }
  ASSERT_FALSE(want.empty()) << path << " states no expected diagnostic";
  for (const auto& d : c->diags.all())
    got.push_back({severity_name(d.severity), d.loc.valid() ? c->sources.file(d.loc.file).path : "", d.loc.line, d.message});
  std::sort(want.begin(), want.end());
  std::sort(got.begin(), got.end());
  std::vector<Expected> missing, unexpected;
  std::set_difference(want.begin(), want.end(), got.begin(), got.end(), std::back_inserter(missing));
  std::set_difference(got.begin(), got.end(), want.begin(), want.end(), std::back_inserter(unexpected));
  for (const auto& m : missing) ADD_FAILURE() << "expected but not seen: " << m.str();
  for (const auto& u : unexpected) ADD_FAILURE() << "seen but not expected: " << u.str();
  if (!missing.empty() || !unexpected.empty()) std::cerr << render_all(c->diags, c->sources);
}

INSTANTIATE_TEST_SUITE_P(Files, DiagnosticsCase, ::testing::ValuesIn(cases()), [](const auto& info) {
  std::string n = fs::path(info.param).stem().string();
  for (char& c : n)
    if (!isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
});

}  // namespace
}  // namespace nsplan
