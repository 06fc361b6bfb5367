// nsplan export: the OCI config.json and the systemd drop-in made from a checked profile. Values
// that a translation could get wrong (swap as memory+swap, CPUQuota= percentages, weight scales,
// device rules), that every loss is a located diagnostic, and the reviewed goldens.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>

#include "applier/files.h"
#include "compiler/compile.h"
#include "compiler/export_oci.h"
#include "compiler/export_systemd.h"
#include "test_support.h"

namespace nsplan {
namespace {

namespace fs = std::filesystem;
using exporting::ExportOptions;
using exporting::ExportResult;
using Json = nlohmann::json;

struct Exported {
  std::unique_ptr<Compilation> compilation;
  ExportResult result;
  Json json;  // OCI only
};

// The profile TEXT (after the header) checked, then exported to TARGET.
Exported export_text(const std::string& body, const std::string& target, ExportOptions options = {}) {
  static testing::MemoryFiles files;
  files.files["p.yaml"] = "nsplan: 1\nname: t\n" + body;
  Exported e;
  e.compilation = check_file("p.yaml", files.reader());
  EXPECT_TRUE(e.compilation->profile && !e.compilation->diags.has_errors())
      << render_all(e.compilation->diags, e.compilation->sources);
  if (!e.compilation->profile) return e;
  if (target == "oci") {
    e.result = exporting::export_oci(*e.compilation->profile, options);
    e.json = Json::parse(e.result.text);
  } else {
    e.result = exporting::export_systemd(*e.compilation->profile, options, &e.compilation->sources);
  }
  return e;
}

std::vector<std::string> messages(const Exported& e, Severity severity) {
  std::vector<std::string> out;
  for (const auto& d : e.result.diags.all())
    if (d.severity == severity) out.push_back(e.compilation->sources.describe(d.loc) + ": " + d.message);
  return out;
}

bool has_line(const std::string& text, const std::string& line) {
  std::istringstream in(text);
  for (std::string l; std::getline(in, l);)
    if (l == line) return true;
  return false;
}

// ---- OCI -----------------------------------------------------------------------------------

TEST(ExportOci, SwapIsMemoryPlusSwap) {
  auto e = export_text("cgroup:\n  memory: {max: 3G, swap: 1G, soft: 1G}\n", "oci");
  const Json& mem = e.json["linux"]["resources"]["memory"];
  EXPECT_EQ(mem["limit"], 3221225472LL);
  EXPECT_EQ(mem["swap"], 4294967296LL);  // 3G + 1G: OCI's swap is v1's memsw
  EXPECT_EQ(mem["reservation"], 1073741824LL);
  EXPECT_TRUE(messages(e, Severity::Warning).empty());
}

TEST(ExportOci, SwapWithoutMaxIsReportedNotGuessed) {
  auto e = export_text("cgroup:\n  memory: {swap: 1G}\n", "oci");
  EXPECT_FALSE(e.json["linux"]["resources"].contains("memory"));
  auto w = messages(e, Severity::Warning);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].rfind("p.yaml:4:", 0), 0u) << w[0];
  EXPECT_NE(w[0].find("OCI cannot express a swap limit without a memory max"), std::string::npos) << w[0];
}

TEST(ExportOci, UnlimitedValuesAreMinusOne) {
  auto e = export_text("cgroup:\n  memory: {max: max, swap: max}\n  pids: {max: max}\n  cpu: {max: max}\n", "oci");
  const Json& r = e.json["linux"]["resources"];
  EXPECT_EQ(r["memory"]["limit"], -1);
  EXPECT_EQ(r["memory"]["swap"], -1);
  EXPECT_EQ(r["pids"]["limit"], -1);
  EXPECT_EQ(r["cpu"]["quota"], -1);
  EXPECT_EQ(r["cpu"]["period"], 100000);
}

TEST(ExportOci, CpuShareScalesWithThePeriod) {
  auto e = export_text("cgroup:\n  cpu: {max: \"150%\", period: 50000, shares: 768, weight: 200}\n", "oci");
  const Json& r = e.json["linux"]["resources"];
  EXPECT_EQ(r["cpu"]["quota"], 75000);
  EXPECT_EQ(r["cpu"]["period"], 50000);
  EXPECT_EQ(r["cpu"]["shares"], 768);                 // v1's scale, as OCI's field is
  EXPECT_EQ(r["unified"]["cpu.weight"], "200");       // v2's scale: no formula in between
  auto q = export_text("cgroup:\n  cpu: {max: 20000/80000}\n", "oci");
  EXPECT_EQ(q.json["linux"]["resources"]["cpu"]["quota"], 20000);
  EXPECT_EQ(q.json["linux"]["resources"]["cpu"]["period"], 80000);
}

TEST(ExportOci, DeviceRulesFollowTheDefault) {
  auto e = export_text("cgroup:\n  devices:\n    allow: [c 1:3 rwm, \"c 136:* rw\", b 8:0 r]\n", "oci");
  const Json expected = Json::parse(R"([
    {"allow": false, "access": "rwm"},
    {"allow": true, "type": "c", "major": 1, "minor": 3, "access": "rwm"},
    {"allow": true, "type": "c", "major": 136, "access": "rw"},
    {"allow": true, "type": "b", "major": 8, "minor": 0, "access": "r"}])");
  EXPECT_EQ(e.json["linux"]["resources"]["devices"], expected);
  auto open = export_text("cgroup:\n  devices: {default: allow, deny: [\"c 10:200 rw\"]}\n", "oci");
  const Json& list = open.json["linux"]["resources"]["devices"];
  ASSERT_EQ(list.size(), 2u);
  EXPECT_EQ(list[0], Json::parse(R"({"allow": true, "access": "rwm"})"));
  EXPECT_EQ(list[1], Json::parse(R"({"allow": false, "type": "c", "major": 10, "minor": 200, "access": "rw"})"));
}

TEST(ExportOci, NamespacesWithPathsAndPersistence) {
  ExportOptions o;
  o.state_dir = "/var/lib/nsplan-t";
  auto e = export_text("namespaces:\n  net: {persist: lab-a}\n  ipc: {join: shared}\n  pid: {}\n"
                       "  uts: {hostname: box}\n  cgroup: {path: /proc/1/ns/cgroup}\n",
                       "oci", o);
  const Json expected = Json::parse(R"([
    {"type": "pid"},
    {"type": "network", "path": "/run/netns/lab-a"},
    {"type": "ipc", "path": "/var/lib/nsplan-t/ns/shared.ipc"},
    {"type": "uts"},
    {"type": "cgroup", "path": "/proc/1/ns/cgroup"}])");
  EXPECT_EQ(e.json["linux"]["namespaces"], expected);
  EXPECT_EQ(e.json["hostname"], "box");
  auto w = messages(e, Severity::Warning);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].rfind("p.yaml:4:", 0), 0u) << w[0];  // at persist:
}

TEST(ExportOci, ProcessRlimitsAndUser) {
  auto e = export_text("limits:\n  nofile: {soft: 1024, hard: 4096}\n  core: unlimited\n"
                       "run:\n  command: [make, -j4]\n  cwd: /src\n  env: {A: b}\n  uid: 1000\n  groups: [27]\n"
                       "  no_new_privs: true\n  clear_env: true\n",
                       "oci");
  const Json& p = e.json["process"];
  EXPECT_EQ(p["args"], Json::parse(R"(["make", "-j4"])"));
  EXPECT_EQ(p["cwd"], "/src");
  EXPECT_EQ(p["env"], Json::parse(R"(["A=b"])"));
  EXPECT_EQ(p["user"], Json::parse(R"({"uid": 1000, "gid": 1000, "additionalGids": [27]})"));
  EXPECT_EQ(p["noNewPrivileges"], true);
  const Json expected = Json::parse(R"([
    {"type": "RLIMIT_CORE", "soft": 18446744073709551615, "hard": 18446744073709551615},
    {"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 4096}])");
  EXPECT_EQ(p["rlimits"], expected);
  EXPECT_TRUE(messages(e, Severity::Note).size() == 1u);  // only root.path "/"
}

TEST(ExportOci, HugePagesAndV2OnlyFiles) {
  auto e = export_text("cgroup:\n  hugetlb: [{page: 2M, max: 64M, reserved: 32M}]\n"
                       "  memory: {high: 900M, oom_group: true}\n  io: {weight: 300}\n",
                       "oci");
  const Json& r = e.json["linux"]["resources"];
  EXPECT_EQ(r["hugepageLimits"], Json::parse(R"([{"pageSize": "2MB", "limit": 67108864}])"));
  EXPECT_EQ(r["unified"]["hugetlb.2MB.rsvd.max"], "33554432");
  EXPECT_EQ(r["unified"]["memory.high"], "943718400");
  EXPECT_EQ(r["unified"]["memory.oom.group"], "1");
  EXPECT_EQ(r["unified"]["io.weight"], "default 300");
}

TEST(ExportOci, NetworkIsReportedAndStrictRefusesIt) {
  const std::string body = "network:\n  links:\n    - {name: d0, kind: dummy}\n";
  auto e = export_text(body, "oci");
  auto w = messages(e, Severity::Warning);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].rfind("p.yaml:5:", 0), 0u) << w[0];
  EXPECT_NE(w[0].find("OCI cannot express the dummy link d0"), std::string::npos) << w[0];
  ExportOptions strict;
  strict.strict = true;
  auto s = export_text(body, "oci", strict);
  EXPECT_TRUE(s.result.diags.has_errors());
  EXPECT_TRUE(messages(s, Severity::Warning).empty());
}

// A deny list: every call allowed but the listed ones (groups as nsplan's own members), which
// return the errno; an allow list: the errno by default, the listed calls and nsplan's four allowed.
TEST(ExportOci, SeccompListsTheSameCallsAsTheFilter) {
  auto deny = export_text("run:\n  command: [true]\n  seccomp: {deny: [\"@swap\", ptrace], errno: EACCES}\n", "oci");
  const Json& d = deny.json["linux"]["seccomp"];
  EXPECT_EQ(d["defaultAction"], "SCMP_ACT_ALLOW");
  ASSERT_EQ(d["syscalls"].size(), 1u);
  EXPECT_EQ(d["syscalls"][0]["names"], Json::parse(R"(["ptrace", "swapoff", "swapon"])"));
  EXPECT_EQ(d["syscalls"][0]["action"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(d["syscalls"][0]["errnoRet"], 13);
  EXPECT_TRUE(messages(deny, Severity::Warning).empty());

  auto allow = export_text("run:\n  command: [true]\n  seccomp: {allow: [read, write]}\n", "oci");
  const Json& a = allow.json["linux"]["seccomp"];
  EXPECT_EQ(a["defaultAction"], "SCMP_ACT_ERRNO");
  EXPECT_EQ(a["defaultErrnoRet"], 1);
  EXPECT_EQ(a["syscalls"][0]["names"], Json::parse(R"(["execve", "exit", "exit_group", "read", "rt_sigreturn", "write"])"));
  EXPECT_EQ(a["syscalls"][0]["action"], "SCMP_ACT_ALLOW");

  auto kill = export_text("run:\n  command: [true]\n  seccomp: {deny: [ptrace], action: kill}\n", "oci");
  EXPECT_EQ(kill.json["linux"]["seccomp"]["syscalls"][0]["action"], "SCMP_ACT_KILL_PROCESS");
  EXPECT_FALSE(kill.json["linux"]["seccomp"]["syscalls"][0].contains("errnoRet"));
}

TEST(ExportOci, NetEtcIsReportedAtItsKey) {
  auto e = export_text("namespaces:\n  net:\n    etc:\n      hostname: box\n      resolv_conf: {nameservers: [192.0.2.1]}\n", "oci");
  auto w = messages(e, Severity::Warning);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0], "p.yaml:6:7: OCI cannot express the network namespace's own /etc/resolv.conf, /etc/hostname (net.etc)");
}

// ---- systemd -------------------------------------------------------------------------------

TEST(ExportSystemd, SeccompBecomesSystemCallFilterWithNamesNotSystemdsGroups) {
  auto deny = export_text("run:\n  command: [true]\n  seccomp: {deny: [\"@swap\", ptrace], errno: EACCES}\n", "systemd");
  EXPECT_TRUE(has_line(deny.result.text, "SystemCallFilter=~ptrace swapoff swapon")) << deny.result.text;
  EXPECT_TRUE(has_line(deny.result.text, "SystemCallErrorNumber=EACCES")) << deny.result.text;
  EXPECT_TRUE(has_line(deny.result.text, "SystemCallArchitectures=native")) << deny.result.text;
  EXPECT_TRUE(messages(deny, Severity::Warning).empty());

  // systemd widens every allow list by its @default group: said, at the list.
  auto allow = export_text("run:\n  command: [true]\n  seccomp:\n    allow: [read, write]\n", "systemd");
  EXPECT_TRUE(has_line(allow.result.text, "SystemCallFilter=execve exit exit_group read rt_sigreturn write")) << allow.result.text;
  auto w = messages(allow, Severity::Warning);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].rfind("p.yaml:6:13: systemd cannot express an allow list of these calls alone", 0), 0u) << w[0];

  auto log = export_text("run:\n  command: [true]\n  seccomp: {deny: [ptrace], action: log}\n", "systemd");
  EXPECT_TRUE(has_line(log.result.text, "SystemCallLog=ptrace")) << log.result.text;
  EXPECT_FALSE(has_line(log.result.text, "SystemCallFilter=~ptrace")) << log.result.text;

  auto trap = export_text("run:\n  command: [true]\n  seccomp: {deny: [ptrace], action: trap}\n", "systemd");
  EXPECT_EQ(messages(trap, Severity::Warning).size(), 1u);
}

TEST(ExportSystemd, CpuQuotaIsAPercentOfOneCpu) {
  bool exact = false;
  EXPECT_EQ(exporting::cpu_quota_percent(150000, 100000, exact), "150%");
  EXPECT_TRUE(exact);
  EXPECT_EQ(exporting::cpu_quota_percent(25000, 200000, exact), "12.5%");
  EXPECT_TRUE(exact);
  EXPECT_EQ(exporting::cpu_quota_percent(33333, 100000, exact), "33.33%");
  EXPECT_FALSE(exact);
  auto e = export_text("cgroup:\n  cpu: {max: 50000/200000}\n", "systemd");
  EXPECT_TRUE(has_line(e.result.text, "CPUQuota=25%")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "CPUQuotaPeriodSec=200000us")) << e.result.text;
  auto odd = export_text("cgroup:\n  cpu: {max: 33333/100000}\n", "systemd");
  EXPECT_TRUE(has_line(odd.result.text, "CPUQuota=33.33%")) << odd.result.text;
  EXPECT_EQ(messages(odd, Severity::Warning).size(), 1u);
}

TEST(ExportSystemd, MemoryValuesAndSwapAlone) {
  auto e = export_text("cgroup:\n  memory: {max: 3G, swap: 3G, soft: 1G, high: 5%}\n  pids: {max: 100}\n", "systemd");
  EXPECT_TRUE(has_line(e.result.text, "MemoryMax=3221225472")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "MemorySwapMax=3221225472")) << e.result.text;  // swap alone, not the sum
  EXPECT_TRUE(has_line(e.result.text, "MemoryLow=1073741824")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "MemoryHigh=5%")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "TasksMax=100")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "# from p.yaml:4")) << e.result.text;
}

TEST(ExportSystemd, SharesBecomeWeightByNsplansFormula) {
  auto e = export_text("cgroup:\n  cpu: {shares: 2048}\n", "systemd");
  EXPECT_TRUE(has_line(e.result.text, "CPUWeight=174")) << e.result.text;
}

TEST(ExportSystemd, DeviceRules) {
  auto e = export_text("cgroup:\n  devices:\n    allow: [c 1:3 rwm, \"c *:* m\", \"c 136:* rw\"]\n", "systemd");
  EXPECT_TRUE(has_line(e.result.text, "DevicePolicy=strict")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "DeviceAllow=/dev/char/1:3 rwm")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "DeviceAllow=char-* m")) << e.result.text;
  auto w = messages(e, Severity::Warning);
  ASSERT_EQ(w.size(), 1u);  // c 136:*: a whole major only by its group name
  EXPECT_NE(w[0].find("c 136:* rw"), std::string::npos) << w[0];
  auto open = export_text("cgroup:\n  devices: {default: allow, deny: [\"c 10:200 rw\"]}\n", "systemd");
  EXPECT_TRUE(has_line(open.result.text, "DevicePolicy=auto")) << open.result.text;
  EXPECT_FALSE(open.result.text.find("DeviceAllow=/") != std::string::npos) << open.result.text;
  auto ow = messages(open, Severity::Warning);
  ASSERT_EQ(ow.size(), 1u);
  EXPECT_NE(ow[0].find("systemd cannot express denying 'c 10:200 rw'"), std::string::npos) << ow[0];
}

TEST(ExportSystemd, QuotingOfCommandAndEnvironment) {
  EXPECT_EQ(exporting::exec_word("-j4"), "-j4");
  EXPECT_EQ(exporting::exec_word(""), "\"\"");
  EXPECT_EQ(exporting::exec_word("a b"), "\"a b\"");
  EXPECT_EQ(exporting::exec_word("$HOME"), "\"$$HOME\"");
  EXPECT_EQ(exporting::exec_word("50%"), "\"50%%\"");
  // A line break stays inside the word (systemd C-unescapes it): no directive can be slipped in.
  EXPECT_EQ(exporting::exec_word("x\nExecStartPre=/bin/evil"), "\"x\\nExecStartPre=/bin/evil\"");
  EXPECT_EQ(exporting::quoted_word("A=$b\r", false), "\"A=$b\\r\"");
  EXPECT_EQ(exporting::exec_word("say \"hi\"\\"), "\"say \\\"hi\\\"\\\\\"");
  auto e = export_text("run:\n  command: [/bin/echo, \"100% $x\"]\n  env: {P: \"a%b\"}\n", "systemd");
  EXPECT_TRUE(has_line(e.result.text, "ExecStart=")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "ExecStart=/bin/echo \"100%% $$x\"")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "Environment=\"P=a%%b\"")) << e.result.text;
}

TEST(ExportSystemd, NamespacesSystemdHasAndHasNot) {
  auto e = export_text("namespaces:\n  net: {path: /proc/1/ns/net}\n  ipc: {}\n  mnt: {read_only: [/usr]}\n  pid: {}\n", "systemd");
  EXPECT_TRUE(has_line(e.result.text, "NetworkNamespacePath=/proc/1/ns/net")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "PrivateIPC=yes")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "PrivateMounts=yes")) << e.result.text;
  EXPECT_TRUE(has_line(e.result.text, "ReadOnlyPaths=/usr")) << e.result.text;
  auto w = messages(e, Severity::Warning);
  ASSERT_EQ(w.size(), 1u);
  EXPECT_EQ(w[0].rfind("p.yaml:7:", 0), 0u) << w[0];
  EXPECT_NE(w[0].find("systemd cannot express a new pid namespace"), std::string::npos) << w[0];
}

// ---- every profile -------------------------------------------------------------------------


TEST(Export, EveryDiagnosticOfEveryProfileIsLocatedAndOutputIsStable) {
  ASSERT_EQ(chdir(NSPLAN_SOURCE_DIR), 0);
  for (const auto& profile : testing::shipped_profiles()) {
    auto c = check_file(profile, applier::profile_file_reader());
    ASSERT_TRUE(c->profile && !c->diags.has_errors()) << profile;
    for (int target = 0; target < 2; ++target) {
      auto once = target ? exporting::export_systemd(*c->profile, {}, &c->sources) : exporting::export_oci(*c->profile, {});
      auto again = target ? exporting::export_systemd(*c->profile, {}, &c->sources) : exporting::export_oci(*c->profile, {});
      EXPECT_EQ(once.text, again.text) << profile;
      for (const auto& d : once.diags.all()) {
        EXPECT_TRUE(d.loc.valid() && d.loc.line > 0) << profile << ": " << d.message;
        EXPECT_NE(d.severity, Severity::Error) << profile << ": " << d.message;
      }
    }
  }
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

// Reviewed output: NSPLAN_UPDATE_GOLDEN=1 rewrites the files, to be read like code.
TEST(Export, MatchesReviewedGoldens) {
  ASSERT_EQ(chdir(NSPLAN_SOURCE_DIR), 0);
  const bool update = std::getenv("NSPLAN_UPDATE_GOLDEN") != nullptr;
  for (const char* stem : {"firefox", "build-jail"}) {
    const std::string profile = std::string("profiles/") + stem + ".yaml";
    auto c = check_file(profile, applier::profile_file_reader());
    ASSERT_TRUE(c->profile && !c->diags.has_errors()) << profile;
    const std::pair<std::string, std::string> outputs[] = {
        {".oci.json", exporting::export_oci(*c->profile, {}).text},
        {".systemd.conf", exporting::export_systemd(*c->profile, {}, &c->sources).text}};
    for (const auto& [suffix, text] : outputs) {
      const fs::path golden = fs::path(NSPLAN_SOURCE_DIR) / "tests/golden" / (stem + suffix);
      if (update) std::ofstream(golden) << text;
      EXPECT_EQ(text, slurp(golden)) << golden << " differs; NSPLAN_UPDATE_GOLDEN=1 rewrites it";
    }
  }
}

}  // namespace
}  // namespace nsplan
