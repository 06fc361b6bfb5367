// run's process attributes and capabilities against the real kernel, through the nsplan binary,
// each in a sandbox of its own (sandbox.h): what the command reads from /proc/self/status, its
// umask, nice value, oom_score_adj, I/O priority, scheduling policy and CPU affinity, and what it
// can do with net_admin over a network namespace its user namespace owns. `nsplan explain | sh`
// must observe the same.
#include <sys/stat.h>
#include <unistd.h>

#include <map>
#include <string>

#include "tests/kernel/profile_test.h"

namespace nsplan::kernel_test {
namespace {


// Prints the capability sets and NoNewPrivs of the command itself, as KEY=value lines.
const char* kShowStatus =
    "  command: [sh, -c, 'echo uid=$(id -u); "
    "while read -r k v; do case $k in Cap*|NoNewPrivs:) echo \"${k%:}=$v\";; esac; done < /proc/self/status']\n";

class ProcessTest : public ProfileTest {
 protected:
  ProcessTest() : ProfileTest("proc") {}

  // The output of `nsplan run P` and of `nsplan explain P | sh`, each in its own sandbox.
  std::pair<RunResult, RunResult> run_and_explain(const std::string& p) {
    RunResult run = run_sandboxed(tmp_.path(), {{"P", p}}, "cd /\n\"$N\" run \"$P\"\necho rc=$?\n");
    RunResult explain = run_sandboxed(tmp_.path(), {{"P", p}},
                                      "cd /\n\"$N\" explain \"$P\" > \"$T/explain.sh\" || exit 99\nsh \"$T/explain.sh\"\necho rc=$?\n");
    return {run, explain};
  }
};

TEST_F(ProcessTest, ANonRootUidHoldsItsAmbientCapabilityAfterExec) {
  std::string p = profile("caps", std::string("run:\n  uid: 1000\n  capabilities: {drop: [all], add: [net_admin]}\n") + kShowStatus);
  auto [run, explain] = run_and_explain(p);
  for (const RunResult* r : {&run, &explain}) {
    ASSERT_EQ(script_value(r->out, "rc"), "0") << r->describe();
    EXPECT_EQ(script_value(r->out, "uid"), "1000") << r->describe();
    // net_admin (12) alone, in every set: permitted and effective come from the ambient set.
    for (const char* set : {"CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb"})
      EXPECT_EQ(script_value(r->out, set), "0000000000001000") << set << "\n" << r->describe();
    EXPECT_EQ(script_value(r->out, "NoNewPrivs"), "1") << r->describe();
  }
}

TEST_F(ProcessTest, DroppingOneCapabilityLeavesRootTheOthers) {
  std::string p = profile("drop", std::string("run:\n  capabilities: {drop: [sys_admin]}\n  no_new_privs: false\n") + kShowStatus);
  auto [run, explain] = run_and_explain(p);
  for (const RunResult* r : {&run, &explain}) {
    ASSERT_EQ(script_value(r->out, "rc"), "0") << r->describe();
    unsigned long long eff = std::stoull(script_value(r->out, "CapEff"), nullptr, 16);
    unsigned long long bnd = std::stoull(script_value(r->out, "CapBnd"), nullptr, 16);
    EXPECT_EQ(eff & (1ull << 21), 0u) << r->describe();  // sys_admin gone
    EXPECT_NE(eff & (1ull << 12), 0u) << r->describe();  // net_admin kept
    EXPECT_EQ(bnd & (1ull << 21), 0u) << r->describe();
    EXPECT_EQ(script_value(r->out, "NoNewPrivs"), "0") << r->describe();
  }
}

// A net namespace made together with a new user namespace belongs to it: net_admin there lets an
// unprivileged uid of the namespace make links in it and take lo down; without net_admin it cannot.
TEST_F(ProcessTest, NetAdminOverTheNetNamespaceItsUserNamespaceOwns) {
  const std::string ns =
      "namespaces:\n"
      "  user: {uid_map: \"0 100000 65536\", gid_map: \"0 100000 65536\"}\n"
      "  net: {}\n";
  const std::string cmd =
      "  command: [sh, -c, 'ip link add nspt-a type veth peer name nspt-b && ip link set nspt-a up && ip -o link show nspt-a && "
      "ip link set lo down && ip -o link show lo; echo uid=$(id -u)']\n";
  std::string with = profile("own-net", ns + "run:\n  uid: 1000\n  capabilities: {drop: [all], add: [net_admin]}\n" + cmd);
  std::string without = profile("no-cap", ns + "run:\n  uid: 1000\n  capabilities: {drop: [all]}\n" + cmd);
  RunResult r = run_sandboxed(tmp_.path(), {{"WITH", with}, {"WITHOUT", without}}, R"SH(
cd /
"$N" run "$WITH"; echo "rc=$?"
"$N" run "$WITHOUT" 2>&1; echo "rc_without=$?"
)SH");
  EXPECT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "uid"), "1000") << r.describe();
  // The host kernel here has veth but no dummy (differential_cases.h).
  EXPECT_NE(r.out.find("nspt-a@nspt-b: <NO-CARRIER,BROADCAST,MULTICAST,UP"), std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("lo: <LOOPBACK> "), std::string::npos) << r.describe();  // set down: no UP
  EXPECT_NE(r.out.find("Operation not permitted"), std::string::npos) << r.describe();
}

TEST_F(ProcessTest, CommandSeesItsUmaskNiceOomScoreIoPrioritySchedulerAndAffinity) {
  std::string p = profile("attrs",
                          "run:\n"
                          "  umask: \"027\"\n"
                          "  nice: 7\n"
                          "  oom_score_adj: 345\n"
                          "  ioprio: {class: best-effort, level: 6}\n"
                          "  sched: {policy: batch}\n"
                          "  cpus: \"0\"\n"
                          "  command: [sh, -c, 'echo umask=$(umask); echo nice=$(nice); echo oom=$(cat /proc/self/oom_score_adj); "
                          "echo io=$(ionice); echo sched=$(chrt -p $$ | head -n 1); echo cpus=$(taskset -p -c $$)']\n");
  auto [run, explain] = run_and_explain(p);
  for (const RunResult* r : {&run, &explain}) {
    ASSERT_EQ(script_value(r->out, "rc"), "0") << r->describe();
    EXPECT_EQ(script_value(r->out, "umask"), "0027") << r->describe();
    EXPECT_EQ(script_value(r->out, "nice"), "7") << r->describe();
    EXPECT_EQ(script_value(r->out, "oom"), "345") << r->describe();
    EXPECT_EQ(script_value(r->out, "io"), "best-effort: prio 6") << r->describe();
    EXPECT_NE(script_value(r->out, "sched").find("SCHED_BATCH"), std::string::npos) << r->describe();
    EXPECT_NE(script_value(r->out, "cpus").find("current affinity list: 0"), std::string::npos) << r->describe();
  }
}

TEST_F(ProcessTest, ACapabilityNsplanLacksFailsBeforeTheCommand) {
  // As a uid without capabilities, nsplan cannot raise net_admin: setup fails (125), nothing runs.
  std::string p = profile("lacks", "run:\n  capabilities: {add: [net_admin]}\n  command: [echo, ran]\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}}, R"SH(
cd /
setpriv --reuid=1000 --regid=1000 --clear-groups "$N" run "$P"; echo "rc=$?"
)SH");
  EXPECT_EQ(script_value(r.out, "rc"), "125") << r.describe();
  EXPECT_EQ(r.out.find("ran"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("net_admin"), std::string::npos) << r.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
