// run.seccomp and nsplan's init, through the nsplan binary, each run in a sandbox (sandbox.h):
//   - a deny list makes the listed syscalls fail with the profile's errno, as the command sees
//     it, and only them; an allow list gives every other syscall its errno; action kill ends the
//     process with SIGSYS (128+31 from nsplan run); action log lets the syscall run;
//   - the filter holds in the command, not in nsplan's init, and comes with no_new_privs;
//   - the init is PID 1 and the command its child (with init: false, the command is PID 1); an
//     orphan that ends is reaped (a zombie stays with init: false, under a shell that never
//     waits); SIGTERM to nsplan ends a command that does not handle it; statuses pass through.
#include <unistd.h>

#include <cstdlib>

#include <string>
#include <vector>

#include "compiler/syscall_names.h"
#include "tests/kernel/profile_test.h"

namespace nsplan::kernel_test {
namespace {

class SeccompInitTest : public ProfileTest {
 protected:
  SeccompInitTest() : ProfileTest("seccomp") {}
  RunResult run(const std::string& script, const ScriptVars& vars = {}) { return run_sandboxed(tmp_.path(), vars, script); }
  // nsplan run of WITH and of WITHOUT, their lines prefixed "with_" and "without_".
  RunResult with_and_without(const std::string& with, const std::string& without) {
    return run(R"SH(
"$N" run "$WITH" 2>&1 | sed 's/^/with_/'
"$N" run "$WITHOUT" 2>&1 | sed 's/^/without_/'
)SH", {{"WITH", with}, {"WITHOUT", without}});
  }
};

// What the command does to observe a filter on mkdir and unshare; D is a directory to make.
const char kMkdirUnshare[] =
    "  command: [sh, -c, 'mkdir \"$D\" 2>&1; echo \"mkdir=$?\"; if [ -d \"$D\" ]; then echo made=yes; else echo made=no; fi; "
    "unshare -n true 2>&1; echo \"unshare=$?\"; echo \"echo=works\"; grep -E \"^(Seccomp|NoNewPrivs):\" /proc/self/status "
    "| tr -d \"\\t\" | tr : =']\n";

TEST_F(SeccompInitTest, DenyListFailsTheListedSyscallsWithTheErrno) {
  std::string denied = profile("deny", "run:\n  seccomp: {deny: [mkdir, mkdirat, unshare], errno: EACCES}\n" + std::string(kMkdirUnshare));
  std::string open = profile("open", "run:\n" + std::string(kMkdirUnshare));
  RunResult r = run(R"SH(
D="$T/denied" "$N" run "$DENIED" > "$T/d.out" 2>&1; echo "rc=$?"; sed 's/^/denied_/' "$T/d.out"
D="$T/open" "$N" run "$OPEN" > "$T/o.out" 2>&1; echo "open_rc=$?"; sed 's/^/open_/' "$T/o.out"
)SH", {{"DENIED", denied}, {"OPEN", open}});
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_NE(script_value(r.out, "denied_mkdir"), "0") << r.describe();
  EXPECT_TRUE(contains(r.out, "Permission denied")) << "EACCES, not the default EPERM\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "denied_made"), "no") << r.describe();
  EXPECT_NE(script_value(r.out, "denied_unshare"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "denied_echo"), "works") << "everything else runs\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "denied_Seccomp"), "2") << "a filter (SECCOMP_MODE_FILTER)\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "denied_NoNewPrivs"), "1") << r.describe();
  // The same command without a filter makes the directory and the namespace.
  EXPECT_EQ(script_value(r.out, "open_mkdir"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "open_made"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "open_unshare"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "open_Seccomp"), "0") << r.describe();
}

// An allow list of every syscall of this architecture but mkdir and mkdirat: only those get the
// default action's errno.
TEST_F(SeccompInitTest, AllowListGivesEveryOtherSyscallTheErrno) {
  std::string allow;
  for (const auto& n : native_syscall_names())
    if (n != "mkdir" && n != "mkdirat") allow += (allow.empty() ? "" : ", ") + n;
  ASSERT_GT(allow.size(), 1000u);
  std::string p = profile("allow", "run:\n  seccomp: {allow: [" + allow + "], action: errno, errno: EROFS}\n" + std::string(kMkdirUnshare));
  RunResult r = run(R"SH(
D="$T/allowed" "$N" run "$PROFILE" > "$T/a.out" 2>&1; echo "rc=$?"; cat "$T/a.out"
)SH", {{"PROFILE", p}});
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_NE(script_value(r.out, "mkdir"), "0") << r.describe();
  EXPECT_TRUE(contains(r.out, "Read-only file system")) << "EROFS from the filter\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "made"), "no") << r.describe();
  EXPECT_EQ(script_value(r.out, "unshare"), "0") << "allowed\n" << r.describe();
}

TEST_F(SeccompInitTest, KillActionEndsTheProcessWithSigsysAndLogLetsItRun) {
  std::string kill = profile("kill", "run:\n  seccomp: {deny: [mkdir, mkdirat], action: kill}\n  command: [mkdir, x]\n");
  std::string log = profile("log", "run:\n  seccomp: {deny: [mkdir, mkdirat], action: log}\n  command: [mkdir, x]\n");
  RunResult r = run(R"SH(
cd "$T" && "$N" run "$KILL" 2> "$T/k.err"; echo "kill_rc=$?"
if [ -d "$T/x" ]; then echo kill_made=yes; else echo kill_made=no; fi
cd "$T" && "$N" run "$LOG"; echo "log_rc=$?"
if [ -d "$T/x" ]; then echo log_made=yes; else echo log_made=no; fi
cat "$T/k.err"
)SH", {{"KILL", kill}, {"LOG", log}});
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "kill_rc"), "159") << "128 + SIGSYS\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "kill_made"), "no") << r.describe();
  EXPECT_EQ(script_value(r.out, "log_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "log_made"), "yes") << r.describe();
}

// The init is PID 1 (nsplan's own code, without the filter), the command its child, with it.
TEST_F(SeccompInitTest, InitIsPid1WithoutTheFilterAndTheCommandIsItsChild) {
  const std::string look =
      "  command: [sh, -c, 'echo \"pid=$$\"; echo \"ppid=$PPID\"; echo \"pid1=$(cat /proc/1/comm)\"; "
      "echo \"pid1_seccomp=$(grep ^Seccomp: /proc/1/status | tr -d \"\\t\" | cut -d: -f2)\"; "
      "echo \"own_seccomp=$(grep ^Seccomp: /proc/self/status | tr -d \"\\t\" | cut -d: -f2)\"']\n";
  const std::string ns = "namespaces: {pid: {}, mnt: {proc: true}}\n";
  std::string with = profile("init", ns + "run:\n  seccomp: {deny: [\"@reboot\"]}\n" + look);
  std::string without = profile("noinit", ns + "run:\n  init: false\n" + look);
  RunResult r = with_and_without(with, without);
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "with_pid"), "2") << r.describe();
  EXPECT_EQ(script_value(r.out, "with_ppid"), "1") << r.describe();
  EXPECT_EQ(script_value(r.out, "with_pid1"), "nsplan") << r.describe();
  EXPECT_EQ(script_value(r.out, "with_pid1_seccomp"), "0") << "the init runs without the filter\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "with_own_seccomp"), "2") << r.describe();
  EXPECT_EQ(script_value(r.out, "without_pid"), "1") << r.describe();
  EXPECT_EQ(script_value(r.out, "without_pid1"), "sh") << r.describe();
}

// An orphan's parent exits at once, and a background observer counts zombies later; the command
// itself becomes `sleep`, which never waits (a shell would reap any child while it waits). Under
// nsplan's init the orphan is reaped when it ends; with sleep as PID 1 it stays a zombie.
TEST_F(SeccompInitTest, InitReapsOrphans) {
  const std::string orphan =
      "  command: [sh, -c, '( sh -c \"sleep 0.1 & exit 0\"; sleep 0.6; "
      "echo \"zombies=$(grep -l \"^State:.*Z\" /proc/[0-9]*/status 2>/dev/null | wc -l)\" ) & exec sleep 1.2']\n";
  const std::string ns = "namespaces: {pid: {}, mnt: {proc: true}}\n";
  std::string with = profile("reap", ns + "run:\n" + orphan);
  std::string without = profile("noreap", ns + "run:\n  init: false\n" + orphan);
  RunResult r = with_and_without(with, without);
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "with_zombies"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "without_zombies"), "1") << "the contrast: no init, a zombie\n" << r.describe();
}

// SIGTERM to nsplan reaches a command that does not handle it (as PID 1 it would ignore it), and
// nsplan reports 128+15; exit statuses, a self-inflicted SIGKILL and an exec failure pass through.
TEST_F(SeccompInitTest, SignalsAndStatusesPassThroughTheInit) {
  std::string p = profile("status", "namespaces: {pid: {}}\nrun:\n  command: [sh, -c, 'echo READY; sleep 30 & wait']\n");
  RunResult r = run(R"SH(
"$N" run "$PROFILE" > "$T/t.out" 2>&1 &
np=$!
wait_for "$T/t.out" READY
now_cs; t0=$NOW_CS
kill -TERM $np
wait $np; echo "term=$?"
now_cs; echo "term_ms=$(( (NOW_CS - t0) * 10 ))"
"$N" run "$PROFILE" -- sh -c 'exit 7'; echo "exit=$?"
"$N" run "$PROFILE" -- sh -c 'kill -KILL $$'; echo "self_kill=$?"
"$N" run "$PROFILE" -- /nonexistent/nsplan-t-no-such-program 2> "$T/e.err"; echo "noexec=$?"
echo "noexec_err=$(tr '\n' ' ' < "$T/e.err")"
cat "$T/t.out"
)SH", {{"PROFILE", p}});
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "term"), "143") << r.describe();
  EXPECT_LT(std::atoi(script_value(r.out, "term_ms").c_str()), 5000) << "the first SIGTERM ended it\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "exit"), "7") << r.describe();
  EXPECT_EQ(script_value(r.out, "self_kill"), "137") << r.describe();
  EXPECT_EQ(script_value(r.out, "noexec"), "127") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "noexec_err"), "/nonexistent/nsplan-t-no-such-program")) << r.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
