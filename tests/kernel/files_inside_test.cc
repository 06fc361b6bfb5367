// namespaces.net.etc against the real kernel, through the nsplan binary, in sandboxes (sandbox.h):
//   - run: the command reads the profile's resolv.conf, hosts and hostname at /etc, cannot write
//     them, and the host's files and the state dir are as before; explain | sh shows the same;
//   - apply: /etc/netns/NAME/ holds the files, `ip netns exec NAME cat /etc/resolv.conf` sees
//     them; destroy removes them (and the directory nsplan made);
//   - a file already there is never overwritten: a different one fails the apply, which is rolled
//     back; an equal one is left in place by destroy; a symlinked /etc/netns is refused.
// /etc is the host's: the sandbox (sandbox.h) puts an overlay over it in its own mount namespace,
// so what nsplan writes there lands in the sandbox's tmpfs.
#include <gtest/gtest.h>

#include "tests/kernel/profile_test.h"

namespace nsplan::kernel_test {
namespace {

class FilesInsideTest : public ProfileTest {
 protected:
  FilesInsideTest() : ProfileTest("files") {}
};

const char* kEtc =
    "    etc:\n"
    "      resolv_conf: {nameservers: [192.0.2.53], search: [example.test], options: [ndots:2]}\n"
    "      hosts: {entries: [{address: 192.0.2.7, names: [db.example.test, db]}]}\n"
    "      hostname: box\n";

const char* kResolv = "nameserver 192.0.2.53\nsearch example.test\noptions ndots:2\n";

TEST_F(FilesInsideTest, RunBindsTheFilesReadOnlyAndLeavesTheHostAsItWas) {
  std::string p = profile("run", std::string("namespaces:\n  net:\n") + kEtc +
                                     "  mnt: {}\n"
                                     "run:\n"
                                     "  command: [sh, -c, 'cat /etc/resolv.conf /etc/hosts /etc/hostname; "
                                     "(echo x >> /etc/resolv.conf) 2> /dev/null && echo WRITABLE || echo READ-ONLY; "
                                     "echo staged=$(ls -A /run/nsplan | grep -c -e resolv.conf -e hosts -e hostname)']\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}}, R"SH(
before=$(cat /etc/resolv.conf /etc/hosts /etc/hostname | md5sum)
"$N" run "$PROFILE" > "$T/run.out" 2> "$T/run.err"; echo "rc=$?"
"$N" explain "$PROFILE" > "$T/explain.sh" && sh "$T/explain.sh" > "$T/sh.out" 2> "$T/sh.err"; echo "sh_rc=$?"
after=$(cat /etc/resolv.conf /etc/hosts /etc/hostname | md5sum)
[ "$before" = "$after" ] && echo host=unchanged || echo host=CHANGED
echo "left=$(ls -A /run/nsplan 2>/dev/null | grep -c -e '^resolv.conf$' -e '^hosts$' -e '^hostname$')"
cmp -s "$T/run.out" "$T/sh.out" && echo same=yes || echo same=no
echo "--- run:"; cat "$T/run.out" "$T/run.err"; echo "--- sh:"; cat "$T/sh.out" "$T/sh.err"
)SH");
  ASSERT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_TRUE(contains(r.out, std::string("--- run:\n") + kResolv +
                                  "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
                                  "192.0.2.7\tdb.example.test\tdb\nbox\nREAD-ONLY\nstaged=0\n"))
      << r.describe();
  EXPECT_EQ(script_value(r.out, "host"), "unchanged") << r.describe();
  EXPECT_EQ(script_value(r.out, "left"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "sh_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "same"), "yes") << r.describe();
}

// A tmpfs of the profile on /etc hides /etc/alternatives, and with it awk: the script's remount
// of a file's bind must need no program but mount(8), or the file stays writable under sh.
TEST_F(FilesInsideTest, TheFilesStayReadOnlyOverAProfilesTmpfsOnEtc) {
  std::string p = profile("etctmpfs", std::string("namespaces:\n  net:\n") + kEtc +
                                          "  mnt:\n    tmpfs: [{path: /etc}]\n"
                                          "run:\n"
                                          "  command: [/bin/sh, -c, '(echo x >> /etc/resolv.conf) 2> /dev/null && echo WRITABLE || echo READ-ONLY; "
                                          "(echo x >> /etc/hostname) 2> /dev/null && echo WRITABLE || echo READ-ONLY; ls -A /etc | wc -l']\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}}, R"SH(
"$N" run "$PROFILE" > "$T/run.out" 2> "$T/run.err"; echo "rc=$?"
"$N" explain "$PROFILE" > "$T/explain.sh" && sh "$T/explain.sh" > "$T/sh.out" 2> "$T/sh.err"; echo "sh_rc=$?"
cmp -s "$T/run.out" "$T/sh.out" && echo same=yes || echo same=no
echo "--- run:"; cat "$T/run.out" "$T/run.err"; echo "--- sh:"; cat "$T/sh.out" "$T/sh.err"
)SH");
  ASSERT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_TRUE(contains(r.out, "--- run:\nREAD-ONLY\nREAD-ONLY\n3\n")) << r.describe();
  EXPECT_EQ(script_value(r.out, "sh_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "same"), "yes") << r.describe();
}

TEST_F(FilesInsideTest, ApplyWritesEtcNetnsThatIpNetnsExecShowsAndDestroyRemoves) {
  std::string p = profile("app", std::string("namespaces:\n  net:\n    persist: ") + test_name("app") + "\n" + kEtc);
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}, {"NS", test_name("app")}}, R"SH(
"$N" apply "$PROFILE" > "$T/apply.out" 2>&1; echo "apply=$?"
echo "mode=$(stat -c '%a %U' "/etc/netns/$NS/resolv.conf")"
ip netns exec "$NS" cat /etc/resolv.conf > "$T/seen"; echo "exec=$?"
ip netns exec "$NS" cat /etc/hostname | sed 's/^/hostname=/'
"$N" destroy "$PROFILE" > "$T/destroy.out" 2>&1; echo "destroy=$?"
[ -e "/etc/netns/$NS" ] && echo dir=left || echo dir=gone
[ -d /etc/netns ] && echo top=kept || echo top=gone
cat "$T/apply.out" "$T/destroy.out"
)SH");
  ASSERT_EQ(script_value(r.out, "apply"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "mode"), "644 root") << r.describe();
  EXPECT_EQ(script_value(r.out, "exec"), "0") << r.describe();
  EXPECT_EQ(read_file(tmp_.file("seen")), kResolv);
  EXPECT_EQ(script_value(r.out, "hostname"), "box") << r.describe();
  EXPECT_EQ(script_value(r.out, "destroy"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "dir"), "gone") << r.describe();
  EXPECT_EQ(script_value(r.out, "top"), "kept") << r.describe();  // /etc/netns is shared: never removed
}

TEST_F(FilesInsideTest, AFileAlreadyThereIsNeverOverwrittenNorRemoved) {
  std::string p = profile("pre", std::string("namespaces:\n  net:\n    persist: ") + test_name("pre") + "\n" + kEtc);
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}, {"NS", test_name("pre")}, {"RESOLV", kResolv}},
                              R"SH(
mkdir -p "/etc/netns/$NS" && echo 'nameserver 198.51.100.1' > "/etc/netns/$NS/resolv.conf"
"$N" apply "$PROFILE" > "$T/apply1.out" 2>&1; echo "apply1=$?"
echo "kept=$(cat "/etc/netns/$NS/resolv.conf")"
echo "hosts1=$([ -e "/etc/netns/$NS/hosts" ] && echo made || echo none)"
[ -e "/run/netns/$NS" ] && echo netns1=made || echo netns1=none
# The same text as the profile's: apply leaves it, destroy does not take it.
printf '%s' "$RESOLV" > "/etc/netns/$NS/resolv.conf"
"$N" apply "$PROFILE" > "$T/apply2.out" 2>&1; echo "apply2=$?"
"$N" destroy "$PROFILE" > "$T/destroy.out" 2>&1; echo "destroy=$?"
echo "after=$(ls -A "/etc/netns/$NS" | tr '\n' ' ')"
cat "$T/apply1.out" "$T/apply2.out" "$T/destroy.out"
)SH");
  EXPECT_NE(script_value(r.out, "apply1"), "0") << r.describe();
  EXPECT_TRUE(contains(r.out, "is never overwritten")) << r.describe();
  EXPECT_EQ(script_value(r.out, "kept"), "nameserver 198.51.100.1") << r.describe();
  EXPECT_EQ(script_value(r.out, "hosts1"), "none") << r.describe();
  EXPECT_EQ(script_value(r.out, "netns1"), "none") << r.describe();  // the apply was rolled back
  EXPECT_EQ(script_value(r.out, "apply2"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "destroy"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "after"), "resolv.conf ") << r.describe();
}

TEST_F(FilesInsideTest, ASymlinkedEtcNetnsIsRefusedNotFollowed) {
  std::string p = profile("sym", std::string("namespaces:\n  net:\n    persist: ") + test_name("sym") + "\n" + kEtc);
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}, {"NS", test_name("sym")}}, R"SH(
mkdir -p "$T/elsewhere" && ln -s "$T/elsewhere" /etc/netns
"$N" apply "$PROFILE" > "$T/apply.out" 2>&1; echo "apply=$?"
echo "elsewhere=$(ls -A "$T/elsewhere" | wc -l)"
cat "$T/apply.out"
)SH");
  EXPECT_NE(script_value(r.out, "apply"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "elsewhere"), "0") << r.describe();
  EXPECT_TRUE(contains(r.out, "symbolic link is never followed")) << r.describe();
}

// The minimal /dev has exactly its nodes, links and mounts, and they work; sysfs is read-only.
TEST_F(FilesInsideTest, MinimalDevMqueueAndReadOnlySysfs) {
  // The mount table's fields after " - " are the type and source; the 6th field the options.
  std::string inner = tmp_.file("inside.sh");
  ASSERT_TRUE(write_text(inner, R"SH(
echo "dev=$(LC_ALL=C ls -A /dev | LC_ALL=C sort | tr '\n' ' ')"
echo hi > /dev/null && echo null=ok
echo "zero=$(head -c 3 /dev/zero | od -An -tx1 | tr -d ' ')"
(echo x > /dev/full) 2> /dev/null && echo full=wrote || echo full=ENOSPC
test -c /dev/pts/ptmx && test -L /dev/ptmx && echo pts=ok
echo "stdout=$(readlink /dev/stdout)"
# The last mount at a path is the one on top (the host's /sys is still below the new one).
sys= mqueue=
while read -r id parent dev root at options rest; do
  case "$at" in
    /sys) sys="${rest#*- } ${options%%,*}" ;;
    /dev/mqueue) mqueue="${rest#*- }" ;;
  esac
done < /proc/self/mountinfo
echo "sys=$sys"; echo "mqueue=$mqueue"
(: > /sys/nsplan-t) 2> /dev/null && echo syswrite=yes || echo syswrite=no
)SH"));
  std::string p = profile("dev",
                          "namespaces:\n"
                          "  pid: {}\n"
                          "  ipc: {}\n"
                          "  mnt: {proc: true, dev: true, mqueue: true, sysfs: true}\n"
                          "run:\n"
                          "  command: [sh, " + inner + "]\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}}, R"SH(
"$N" run "$PROFILE" > "$T/run.out" 2> "$T/run.err"; echo "rc=$?"
"$N" explain "$PROFILE" > "$T/explain.sh" && sh "$T/explain.sh" > "$T/sh.out" 2> "$T/sh.err"; echo "sh_rc=$?"
cmp -s "$T/run.out" "$T/sh.out" && echo same=yes || echo same=no
cat "$T/run.out" "$T/run.err"; echo "--- sh:"; cat "$T/sh.out" "$T/sh.err"
)SH");
  ASSERT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "dev"), "fd full mqueue null ptmx pts random shm stderr stdin stdout tty urandom zero ")
      << r.describe();
  EXPECT_EQ(script_value(r.out, "null"), "ok") << r.describe();
  EXPECT_EQ(script_value(r.out, "zero"), "000000") << r.describe();
  EXPECT_EQ(script_value(r.out, "full"), "ENOSPC") << r.describe();
  EXPECT_EQ(script_value(r.out, "pts"), "ok") << r.describe();
  EXPECT_EQ(script_value(r.out, "stdout"), "/proc/self/fd/1") << r.describe();
  EXPECT_TRUE(starts_with(script_value(r.out, "sys"), "sysfs sysfs ")) << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "sys"), " ro ro")) << r.describe();  // the superblock and the mount
  EXPECT_TRUE(starts_with(script_value(r.out, "mqueue"), "mqueue mqueue ")) << r.describe();
  EXPECT_EQ(script_value(r.out, "syswrite"), "no") << r.describe();
  EXPECT_EQ(script_value(r.out, "sh_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "same"), "yes") << r.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
