// The devices controller against the real kernel: a task of the profile's cgroup opens what the
// policy allows and is refused the rest, with the access granularity of the rules (read but not
// write). v1 (this host, the v1 VM): devices.deny and devices.allow, read back in devices.list;
// v2 (the v2 VM): a BPF device program attached by apply, which explain marks NOT IN SH and
// explain --strict refuses. Destroy leaves nothing: no cgroup, no program.
// Only cgroups below CgroupParent's "nsplan-t-<pid>-cg<n>"; the devices are /dev/null (1:3)
// and /dev/zero (1:5), which every kernel has.
#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

TEST(Devices, AllowedOpensDeniedDoesNotOnV1AndV2) {
  NSPLAN_REQUIRE_ROOT();
  ASSERT_TRUE(host_probe().ok) << host_probe().error;
  const HostFacts& facts = host_probe().facts;
  const bool v1 = facts.mode == CgroupMode::V1;
  ASSERT_TRUE(!v1 || facts.controllers.count("devices")) << "every kernel here has the v1 devices controller";
  TempDir tmp;
  ASSERT_TRUE(tmp.ok());
  // /dev/zero may be read, not written; everything else but /dev/null is refused.
  const std::string inside =
      "if : > /dev/null; then echo null=ok; else echo null=denied; fi; "
      "if head -c 1 /dev/zero > /dev/null 2>&1; then echo zero_read=ok; else echo zero_read=denied; fi; "
      "if (echo x > /dev/zero) 2> /dev/null; then echo zero_write=ok; else echo zero_write=denied; fi; "
      "if head -c 1 /dev/urandom > /dev/null 2>&1; then echo urandom=ok; else echo urandom=denied; fi";
  const std::string path = tmp.write("dev.yaml", "nsplan: 1\nname: " + test_name("devices") +
                                                     "\ncgroup:\n  path: dev\n  pids: {max: 50}\n"
                                                     "  devices:\n    allow: [\"c 1:3 rwm\", \"c 1:5 r\"]\n"
                                                     "run:\n  command: [sh, -c, \"" + inside + "\"]\n");
  CgroupParent cg(v1 ? std::vector<std::string>{"pids", "devices"} : std::vector<std::string>{"pids"});
  ASSERT_TRUE(cg.ok()) << cg.error();
  const std::string list = v1 ? cg.dir_of("devices") + "/dev/devices.list" : "";
  RunResult r = run_sandboxed(tmp.path(), {{"PROFILE", path}, {"PARENT", cg.name()}, {"LIST", list}}, R"SH(
P="--cgroup-parent $PARENT"
"$N" explain "$PROFILE" $P > "$T/explain.sh" 2>&1; echo "explain=$?"
echo "not_in_sh=$(grep -c '^# NOT IN SH: nsplan apply loads a BPF device program' "$T/explain.sh")"
"$N" explain --strict "$PROFILE" $P > /dev/null 2> "$T/strict.err"; echo "strict=$?"
echo "strict_err=$(tr '\n' ' ' < "$T/strict.err")"
"$N" apply "$PROFILE" $P > /dev/null 2> "$T/apply.err"; echo "apply=$?"
echo "apply_err=$(tr '\n' ' ' < "$T/apply.err")"
[ -n "$LIST" ] && echo "list=$(tr '\n' ',' < "$LIST")"
"$N" run "$PROFILE" $P 2> "$T/run.err"; echo "run=$?"
"$N" status "$PROFILE" $P > /dev/null 2>&1; echo "status=$?"
"$N" apply "$PROFILE" $P > "$T/again.out" 2>&1; echo "again=$?"
echo "again_out=$(tr '\n' ' ' < "$T/again.out")"
"$N" destroy "$PROFILE" $P > /dev/null 2>&1; echo "destroy=$?"
)SH");
  ASSERT_TRUE(r.exited()) << r.describe();
  EXPECT_EQ(script_value(r.out, "apply"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "run"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "null"), "ok") << r.describe();
  EXPECT_EQ(script_value(r.out, "zero_read"), "ok") << r.describe();
  EXPECT_EQ(script_value(r.out, "zero_write"), "denied") << r.describe();
  EXPECT_EQ(script_value(r.out, "urandom"), "denied") << r.describe();
  EXPECT_EQ(script_value(r.out, "status"), "0") << "in place\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "again"), "0") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "again_out"), "no changes")) << "a second apply changes nothing\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "destroy"), "0") << r.describe();
  EXPECT_EQ(cg.descendants(), std::vector<std::string>{});
  EXPECT_EQ(script_value(r.out, "explain"), "0") << r.describe();
  if (v1) {
    EXPECT_EQ(script_value(r.out, "list"), "c 1:3 rwm,c 1:5 r,") << r.describe();
    EXPECT_EQ(script_value(r.out, "not_in_sh"), "0") << r.describe();
    EXPECT_EQ(script_value(r.out, "strict"), "0") << r.describe();
  } else {
    EXPECT_EQ(script_value(r.out, "not_in_sh"), "1") << r.describe();
    EXPECT_EQ(script_value(r.out, "strict"), "1") << r.describe();
    EXPECT_TRUE(contains(script_value(r.out, "strict_err"),
                         "dev.yaml:7:5: error: a POSIX sh script cannot load the BPF device program of this step (devices: "
                         "none but c 1:3 rwm, c 1:5 r); only nsplan apply attaches it"))
        << r.describe();
  }
}

}  // namespace
}  // namespace nsplan::kernel_test
