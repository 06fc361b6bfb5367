// nsplan freeze, thaw, kill and destroy --kill against the real kernel (issue 11, freezer): a
// sleeping process is attached to an applied profile's cgroups, and
//   - plain destroy refuses, names the process and suggests --kill, and changes nothing;
//   - freeze stops it (v1 freezer.state FROZEN through cgroup.membership: [freezer]; v2
//     cgroup.events "frozen 1"; the process's state is stopped) and thaw resumes it;
//   - kill --signal TERM ends it with SIGTERM, kill (KILL) with SIGKILL, waiting until empty;
//   - destroy --kill empties the cgroups, then removes them;
//   - on v1 a profile without the freezer hierarchy cannot be frozen (the hint names
//     cgroup.membership), and kill still works there (pidfd passes).
// Only cgroups below CgroupParent's "nsplan-t-<pid>-cg<n>", in a Sandbox.
#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

class TaskControl : public ProbedHostTest {
 protected:
  std::string write_profile(const std::string& suffix, const std::string& cgroup_body) {
    name_ = test_name(suffix);
    return tmp_.write(suffix + ".yaml", "nsplan: 1\nname: " + name_ + "\ncgroup:\n  path: work\n" + cgroup_body);
  }
  std::string name_;
};

// The shell functions of the scripts: a sleeping process in the profile's cgroups, and its state.
const char* kPrelude = R"SH(
start() {
  sh -c 'while :; do :; done' & sp=$!
  "$N" attach "$PROFILE" $sp --cgroup-parent "$PARENT" > /dev/null 2>&1 || { echo "attach_failed=$sp"; kill -9 $sp; }
}
state() { sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' /proc/$1/status 2>/dev/null || echo gone; }
# wait for $1, but never forever: a signal that did not arrive is a failure, not a hang.
reap() { (sleep 10; kill -9 $1 2>/dev/null) & _w=$!; wait $1; _st=$?; kill $_w 2>/dev/null; return $_st; }
gone() { if kill -0 $1 2>/dev/null && [ "$(state $1)" != Z ]; then echo no; else echo yes; fi; }
)SH";

TEST_F(TaskControl, FreezeThawKillAndDestroyKillActOnTheProfilesProcesses) {
  const bool v2 = this->v2();
  const std::vector<std::string> hierarchies = v2 ? std::vector<std::string>{"pids"} : std::vector<std::string>{"pids", "freezer"};
  CgroupParent cg(hierarchies);
  ASSERT_TRUE(cg.ok()) << cg.error();
  const std::string path = write_profile("tasks", "  pids: {max: 20}\n  membership: [freezer]\n");
  const std::string state_file = v2 ? cg.dir_of("pids") + "/work/cgroup.events" : cg.dir_of("freezer") + "/work/freezer.state";
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", path}, {"PARENT", cg.name()}, {"STATE", state_file}},
                              std::string(kPrelude) + R"SH(
P="--cgroup-parent $PARENT"
"$N" apply "$PROFILE" $P > /dev/null 2> "$T/apply.err"; echo "apply=$?"
start
"$N" destroy "$PROFILE" $P > "$T/d1.out" 2> "$T/d1.err"; echo "destroy_plain=$?"
echo "destroy_plain_err=$(tr '\n' ' ' < "$T/d1.err")"
if [ -d "$(dirname "$STATE")" ]; then echo "kept=yes"; else echo "kept=no"; fi
"$N" freeze "$PROFILE" $P > "$T/f.out" 2> "$T/f.err"; echo "freeze=$?"; cat "$T/f.err"
echo "frozen_file=$(tr '\n' ' ' < "$STATE")"
sleep 0.1; echo "frozen_state=$(state $sp)"
"$N" thaw "$PROFILE" $P > /dev/null 2> "$T/t.err"; echo "thaw=$?"; cat "$T/t.err"
echo "thawed_file=$(tr '\n' ' ' < "$STATE")"
sleep 0.1; echo "thawed_state=$(state $sp)"
"$N" kill "$PROFILE" --signal TERM $P > "$T/k1.out" 2> "$T/k1.err"; echo "kill_term=$?"; cat "$T/k1.err"
reap $sp; echo "term_status=$?"
start
"$N" kill "$PROFILE" $P > "$T/k2.out" 2> "$T/k2.err"; echo "kill=$?"; cat "$T/k2.err"
reap $sp; echo "kill_status=$?"
start
"$N" destroy "$PROFILE" --kill $P > "$T/d2.out" 2> "$T/d2.err"; echo "destroy_kill=$?"; cat "$T/d2.err"
reap $sp; echo "destroy_kill_status=$?"
echo "destroy_kill_out=$(tr '\n' ' ' < "$T/d2.out")"
)SH",
                              60);
  ASSERT_TRUE(r.exited()) << r.describe();
  EXPECT_EQ(script_value(r.out, "apply"), "0") << r.describe() << read_file(tmp_.file("apply.err"));
  EXPECT_EQ(script_value(r.out, "attach_failed"), "<none>") << r.describe();
  // Plain destroy: refused, the process named, nothing changed.
  EXPECT_EQ(script_value(r.out, "destroy_plain"), "3") << r.describe();
  const std::string refused = script_value(r.out, "destroy_plain_err");
  EXPECT_TRUE(contains(refused, "still has 1 process in its cgroups; nothing was changed")) << refused;
  EXPECT_TRUE(contains(refused, " sh ")) << refused;
  EXPECT_TRUE(contains(refused, "nsplan destroy --kill " + name_)) << refused;
  EXPECT_EQ(script_value(r.out, "kept"), "yes") << r.describe();
  // Freeze and thaw.
  EXPECT_EQ(script_value(r.out, "freeze"), "0") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "frozen_file"), v2 ? "frozen 1" : "FROZEN")) << r.describe();
  // A busy loop runs (R) unless frozen.
  EXPECT_NE(script_value(r.out, "frozen_state"), "R") << r.describe();
  EXPECT_NE(script_value(r.out, "frozen_state"), "gone") << r.describe();
  EXPECT_EQ(script_value(r.out, "thaw"), "0") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "thawed_file"), v2 ? "frozen 0" : "THAWED")) << r.describe();
  EXPECT_EQ(script_value(r.out, "thawed_state"), "R") << r.describe();
  // Signals: TERM, then KILL (128 + the signal, as the shell reports it).
  EXPECT_EQ(script_value(r.out, "kill_term"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "term_status"), "143") << r.describe();
  EXPECT_EQ(script_value(r.out, "kill"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "kill_status"), "137") << r.describe();
  // destroy --kill.
  EXPECT_EQ(script_value(r.out, "destroy_kill"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "destroy_kill_status"), "137") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "destroy_kill_out"), "killed 1 process of '" + name_ + "'")) << r.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{}) << "destroy --kill removed the cgroups";
}

// v1 without the freezer hierarchy: freeze says how to get one; kill works without it. On v2
// every cgroup can freeze, and the same profile freezes.
TEST_F(TaskControl, WithoutTheFreezerHierarchyKillStillWorksAndFreezeSaysWhatToAdd) {
  const bool v2 = this->v2();
  CgroupParent cg({"pids"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  const std::string path = write_profile("nofreezer", "  pids: {max: 20}\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", path}, {"PARENT", cg.name()}}, std::string(kPrelude) + R"SH(
P="--cgroup-parent $PARENT"
"$N" apply "$PROFILE" $P > /dev/null 2>&1; echo "apply=$?"
start
"$N" freeze "$PROFILE" $P > /dev/null 2> "$T/f.err"; echo "freeze=$?"
echo "freeze_err=$(tr '\n' ' ' < "$T/f.err")"
"$N" thaw "$PROFILE" $P > /dev/null 2>&1
"$N" kill "$PROFILE" -s 15 $P > /dev/null 2> "$T/k.err"; echo "kill=$?"; cat "$T/k.err"
reap $sp; echo "term_status=$?"
"$N" destroy "$PROFILE" $P > /dev/null 2>&1; echo "destroy=$?"
)SH",
                              60);
  ASSERT_TRUE(r.exited()) << r.describe();
  EXPECT_EQ(script_value(r.out, "apply"), "0") << r.describe();
  if (v2) {
    EXPECT_EQ(script_value(r.out, "freeze"), "0") << r.describe();
  } else {
    EXPECT_EQ(script_value(r.out, "freeze"), "3") << r.describe();
    EXPECT_TRUE(contains(script_value(r.out, "freeze_err"), "add freezer to cgroup.membership")) << r.describe();
  }
  EXPECT_EQ(script_value(r.out, "kill"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "term_status"), "143") << r.describe();
  EXPECT_EQ(script_value(r.out, "destroy"), "0") << r.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});
}

// A profile that owns nothing, and a cgroup that is not the one nsplan made (same name, another
// directory), are left alone.
TEST_F(TaskControl, NothingIsSignalledThatNsplanDidNotMake) {
  CgroupParent cg({"pids"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  const std::string path = write_profile("swapped", "  pids: {max: 20}\n");
  const std::string dir = cg.dir_of("pids") + "/work";
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", path}, {"PARENT", cg.name()}, {"DIR", dir}}, std::string(kPrelude) + R"SH(
P="--cgroup-parent $PARENT"
"$N" kill "$PROFILE" $P > /dev/null 2> "$T/none.err"; echo "not_applied=$?"
echo "not_applied_err=$(tr '\n' ' ' < "$T/none.err")"
"$N" apply "$PROFILE" $P > /dev/null 2>&1; echo "apply=$?"
# Someone removes nsplan's cgroup and makes another of the same name, with a process in it.
rmdir "$DIR" && mkdir "$DIR" && { sleep 300 & sp=$!; echo $sp > "$DIR/cgroup.procs"; }
echo "stranger=$(grep -cx "$sp" "$DIR/cgroup.procs")"
"$N" kill "$PROFILE" $P > /dev/null 2> "$T/swap.err"; echo "swapped=$?"
echo "swapped_err=$(tr '\n' ' ' < "$T/swap.err")"
echo "gone=$(gone $sp)"
kill $sp; wait $sp
rmdir "$DIR"
"$N" destroy "$PROFILE" $P > /dev/null 2>&1
)SH",
                              60);
  ASSERT_TRUE(r.exited()) << r.describe();
  EXPECT_EQ(script_value(r.out, "not_applied"), "3") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "not_applied_err"), "owns no cgroup on this host")) << r.describe();
  EXPECT_EQ(script_value(r.out, "apply"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "swapped"), "3") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "swapped_err"), "is not the cgroup nsplan made")) << r.describe();
  EXPECT_EQ(script_value(r.out, "stranger"), "1") << r.describe();
  EXPECT_EQ(script_value(r.out, "gone"), "no") << "the stranger's process was not killed\n" << r.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
