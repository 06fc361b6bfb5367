// namespaces.mnt overlay, dirs, symlinks and files against the real kernel, through the nsplan
// binary, in sandboxes (sandbox.h), under both `nsplan run` and `nsplan explain | sh`:
//   - the command sees the lower directories merged (top first), its writes land in upper (or in
//     the private tmpfs of upper: tmpfs, which leaves nothing behind), a lower-only overlay is
//     read-only; the dirs, files and links are there with their modes;
//   - a symbolic link planted on the way to a created path is refused and its target untouched;
//     a file already there is not overwritten; a lower directory that is a link is refused.
#include <gtest/gtest.h>

#include "tests/kernel/profile_test.h"

namespace nsplan::kernel_test {
namespace {

class MountOverlayTest : public ProfileTest {
 protected:
  MountOverlayTest() : ProfileTest("overlay") {}
  // Runs the profile with run, then with explain | sh; prints rc=, sh_rc= and both outputs.
  // BETWEEN runs between the two, AFTER at the end.
  RunResult run_both(const std::string& p, const std::string& setup, const std::string& between = "",
                     const std::string& after = "") {
    return run_sandboxed(tmp_.path(), {{"PROFILE", p}}, setup + R"SH(
"$N" run "$PROFILE" > "$T/run.out" 2> "$T/run.err"; echo "rc=$?"
)SH" + between + R"SH(
"$N" explain "$PROFILE" > "$T/explain.sh" && sh "$T/explain.sh" > "$T/sh.out" 2> "$T/sh.err"; echo "sh_rc=$?"
cmp -s "$T/run.out" "$T/sh.out" && echo same=yes || echo same=no
echo "left=$(ls -A /run/nsplan 2>/dev/null | grep -c -e '^upper$' -e '^work$')"
echo "--- run:"; cat "$T/run.out" "$T/run.err"; echo "--- sh:"; cat "$T/sh.out" "$T/sh.err"
)SH" + after);
  }
};

TEST_F(MountOverlayTest, TheCommandSeesTheOverlaysAndWhatTheProfileCreates) {
  const std::string t = tmp_.path();
  std::string p = profile("ov", "namespaces:\n  mnt:\n    overlay:\n"
                                "      - {target: " + t + "/o1, lower: [" + t + "/top, " + t + "/base], upper: tmpfs}\n"
                                "      - {target: " + t + "/o2, lower: [" + t + "/base], upper: " + t + "/u, work: " + t + "/w}\n"
                                "      - {target: " + t + "/o3, lower: [" + t + "/top, " + t + "/base]}\n"
                                "    dirs: [{path: " + t + "/o1/d, mode: \"0710\"}]\n"
                                "    files: [{path: " + t + "/o1/d/f, text: \"hello\\n\", mode: \"0640\"}]\n"
                                "    symlinks: [{path: " + t + "/o1/l, target: d/f}]\n"
                                "run:\n"
                                "  command: [sh, -c, 'cd " + t + " && cat o1/a o1/b && echo new > o1/n && cat o1/n && "
                                "echo w2 > o2/c && ((echo x > o3/x) 2> /dev/null && echo o3=rw || echo o3=ro) && "
                                "stat -c \"%a %F %n\" o1/d o1/d/f o1/l && cat o1/l && readlink o1/l']\n");
  RunResult r = run_both(p, R"SH(
mkdir -p "$T/top" "$T/base" "$T/u" "$T/w" "$T/o1" "$T/o2" "$T/o3"
echo top-a > "$T/top/a"; echo base-a > "$T/base/a"; echo base-b > "$T/base/b"
)SH", R"SH(
echo "upper_after_run=$(cat "$T/u/c")"; rm -f "$T/u/c"
)SH", R"SH(
echo "upper_after_sh=$(cat "$T/u/c")"
echo "lower=$(ls -A "$T/base" | tr '\n' ' ')/ $(ls -A "$T/top" | tr '\n' ' ')"
echo "o1_empty=$(ls -A "$T/o1" | wc -l)"
)SH");
  ASSERT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_TRUE(contains(r.out, "--- run:\ntop-a\nbase-b\nnew\no3=ro\n710 directory o1/d\n640 regular file o1/d/f\n"
                              "777 symbolic link o1/l\nhello\nd/f\n"))
      << r.describe();
  EXPECT_EQ(script_value(r.out, "upper_after_run"), "w2") << r.describe();
  EXPECT_EQ(script_value(r.out, "sh_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "same"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "upper_after_sh"), "w2") << r.describe();
  // The lower directories are as they were, the tmpfs upper left nothing, the mount point is bare.
  EXPECT_EQ(script_value(r.out, "lower"), "a b / a ") << r.describe();
  EXPECT_EQ(script_value(r.out, "left"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "o1_empty"), "0") << r.describe();
}

TEST_F(MountOverlayTest, APlantedLinkIsNotFollowedAndAFileThereIsNotOverwritten) {
  const std::string t = tmp_.path();
  // Paths are created only on the profile's own mounts: what is planted comes through an
  // overlay's lower directory, which the profile does not control.
  std::string link = profile("link", "namespaces:\n  mnt:\n    overlay: [{target: " + t + "/o, lower: [" + t + "/plant], upper: tmpfs}]\n"
                                     "    files: [{path: " + t + "/o/via/f, text: planted}]\n"
                                     "run: {command: [echo, ran]}\n");
  RunResult r = run_both(link, R"SH(
mkdir -p "$T/plant" "$T/victim" "$T/o"; ln -s "$T/victim" "$T/plant/via"
)SH", "rm -f \"$T/victim/f\"\n");
  EXPECT_NE(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_NE(script_value(r.out, "sh_rc"), "0") << r.describe();
  EXPECT_TRUE(contains(r.out, "is a symbolic link; nsplan does not follow it")) << r.describe();
  EXPECT_FALSE(contains(r.out, "ran\n")) << r.describe();
  EXPECT_FALSE(path_exists(t + "/victim/f"));

  std::string there = profile("there", "namespaces:\n  mnt:\n    overlay: [{target: " + t + "/o2, lower: [" + t + "/pre], upper: tmpfs}]\n"
                                       "    files: [{path: " + t + "/o2/exists, text: new}]\n"
                                       "run: {command: [echo, ran]}\n");
  r = run_both(there, "mkdir -p \"$T/pre\" \"$T/o2\"; echo old > \"$T/pre/exists\"\n", "echo \"after_run=$(cat \"$T/pre/exists\")\"\n");
  EXPECT_NE(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_NE(script_value(r.out, "sh_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "after_run"), "old") << r.describe();
  EXPECT_TRUE(contains(r.out, "exists already; nsplan never replaces what is there")) << r.describe();
  EXPECT_EQ(read_file(t + "/pre/exists"), "old\n");
}

TEST_F(MountOverlayTest, ALowerDirectoryThatIsALinkIsRefused) {
  const std::string t = tmp_.path();
  std::string p = profile("lower", "namespaces:\n  mnt:\n    overlay: [{target: " + t + "/o, lower: [" + t + "/ln, " + t +
                                       "/base]}]\nrun: {command: [echo, ran]}\n");
  RunResult r = run_both(p, "mkdir -p \"$T/base\" \"$T/real\" \"$T/o\"; ln -s \"$T/real\" \"$T/ln\"\n");
  EXPECT_NE(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_NE(script_value(r.out, "sh_rc"), "0") << r.describe();
  EXPECT_TRUE(contains(r.out, t + "/ln is a symbolic link; nsplan does not follow it")) << r.describe();
  EXPECT_TRUE(contains(r.out, "/ln is a symbolic link or not a directory")) << r.describe();
  EXPECT_FALSE(contains(r.out, "ran\n")) << r.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
