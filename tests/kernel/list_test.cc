// `nsplan list` and `nsplan status NAME` against the real kernel, in a sandbox: the state records
// which file an apply came from and when; status NAME reads that file again (input: it must still
// name the profile), and list says for each applied profile whether the system still matches it.
#include <string>

#include "tests/kernel/sandbox.h"

namespace nsplan::kernel_test {
namespace {

TEST(List, StatusByNameAndListFollowTheRecordedFile) {
  NSPLAN_REQUIRE_ROOT();
  TempDir tmp{"list"};
  ASSERT_TRUE(tmp.ok());
  std::string p = tmp.write("listed.yaml", "nsplan: 1\nname: nspt-listed\nnetwork:\n  links:\n    - {name: nspt-lbr, kind: bridge}\n");
  RunResult r = run_sandboxed(tmp.path(), {{"P", p}}, R"SH(
"$N" list > "$T/l0.out"; echo "list_empty=$?"
echo "list_empty_out=$(cat "$T/l0.out")"
cd / && "$N" apply "$P" > /dev/null || echo "apply_failed"
"$N" list > "$T/l1.out"; echo "list_rc=$?"
echo "list_line=$(grep '^nspt-listed ' "$T/l1.out" | tr -s ' ')"
"$N" status nspt-listed > /dev/null; echo "status_name=$?"
ip link set nspt-lbr down
"$N" status nspt-listed > "$T/s.out"; echo "status_drift=$?"
echo "status_changed=$(grep -c '^  changed ' "$T/s.out")"
echo "list_drift=$("$N" list | grep '^nspt-listed ' | tr -s ' ')"
"$N" status nspt-unknown 2> "$T/u.err"; echo "status_unknown=$?"
sed -i 's/^name: nspt-listed/name: nspt-other/' "$P"
"$N" status nspt-listed 2> "$T/o.err"; echo "status_renamed=$?"
echo "status_renamed_err=$(head -1 "$T/o.err")"
"$N" destroy nspt-listed > /dev/null || echo "destroy_failed"
echo "list_after=$("$N" list)"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_FALSE(contains(r.out, "failed")) << r.describe();
  EXPECT_EQ(script_value(r.out, "list_empty"), "0") << r.describe();
  EXPECT_TRUE(starts_with(script_value(r.out, "list_empty_out"), "no profile is applied here")) << r.describe();
  EXPECT_EQ(script_value(r.out, "list_rc"), "0") << r.describe();
  // NAME, the time, the state, the file by its absolute path (apply ran from /).
  std::string line = script_value(r.out, "list_line");
  EXPECT_TRUE(contains(line, " in place " + p)) << r.describe();
  EXPECT_TRUE(contains(line, "Z ")) << "no UTC time: " << r.describe();
  EXPECT_EQ(script_value(r.out, "status_name"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "status_drift"), "4") << r.describe();
  EXPECT_EQ(script_value(r.out, "status_changed"), "1") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "list_drift"), " drifted (1 change) ")) << r.describe();
  EXPECT_EQ(script_value(r.out, "status_unknown"), "3") << r.describe();
  EXPECT_EQ(script_value(r.out, "status_renamed"), "1") << "a file that names another profile now is not its status\n" << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "status_renamed_err"), "names profile 'nspt-other' now, not 'nspt-listed'")) << r.describe();
  EXPECT_TRUE(starts_with(script_value(r.out, "list_after"), "no profile is applied here")) << r.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
