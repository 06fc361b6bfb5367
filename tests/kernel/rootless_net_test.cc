// namespaces.net.rootless against the real kernel and pasta(1): a uid without privileges runs
// nsplan run with a new user and net namespace, and the command reaches a TCP listener on the
// sandbox's loopback through the gateway address pasta maps to it. The sandbox's own network
// namespace plays the host (a veth pair with an address and a default route, for pasta to copy);
// no traffic leaves namespaces the test made. No pasta may be left when nsplan returns.
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/kernel/profile_test.h"

namespace nsplan::kernel_test {
namespace {

bool on_path(const std::string& program) {
  for (const char* dir : {"/usr/bin", "/bin", "/usr/sbin", "/usr/local/bin"})
    if (::access((std::string(dir) + "/" + program).c_str(), X_OK) == 0) return true;
  return false;
}

// The "host": a veth pair (this kernel may lack the dummy module) with 10.213.0.2/24 and a
// default route via 10.213.0.1, which pasta copies and uses as the namespace's gateway.
const char* kHostSide = R"SH(
ip link add nsplan-rl0 type veth peer name nsplan-rl1 || exit 90
ip addr add 10.213.0.2/24 dev nsplan-rl0 && ip link set nsplan-rl0 up && ip link set nsplan-rl1 up || exit 91
ip route add default via 10.213.0.1 dev nsplan-rl0 || exit 92
)SH";

// uid 1000 has no name in /etc/passwd here, so its groups are given by number.
const char* kAsUser = "as_user() { setpriv --reuid=1000 --regid=1000 --groups=1000,100 \"$@\"; }\n";

// Counts live pasta processes in this sandbox's network namespace (pasta's host side).
const char* kCountPasta = R"SH(
left=0; me=$(readlink /proc/self/ns/net)
for d in /proc/[0-9]*; do
  c=$(cat "$d/comm" 2>/dev/null) || continue
  grep -q '^State:[[:space:]]*Z' "$d/status" 2>/dev/null && continue  # exited, not yet reaped
  case $c in pasta*|passt*) [ "$(readlink "$d/ns/net" 2>/dev/null)" = "$me" ] && left=$((left + 1));; esac
done
echo "pasta_left=$left"
)SH";

class RootlessNetTest : public TempDirTest {
 protected:
  RootlessNetTest() : TempDirTest("rootless") {}
  void SetUp() override {
    TempDirTest::SetUp();
    if (stopped()) return;
    if (!on_path("pasta")) NSPLAN_SKIP_OR_FAIL("pasta is not installed (package passt)");
  }

  // A profile with a new user namespace, a rootless net namespace and COMMAND (a YAML list).
  std::string profile(const std::string& suffix, const std::string& command) {
    return tmp_.write(suffix + ".yaml", "nsplan: 1\nname: " + test_name(suffix) +
                                            "\nnamespaces:\n  user: {}\n  net: {rootless: pasta}\nrun:\n  command: " + command + "\n");
  }

  // The profile's command connects to a TCP echo server on the sandbox's loopback through the
  // gateway address pasta maps to it; LAUNCH ("\"$N\" run \"$P\"" or an explain pipe) runs as
  // uid 1000 with two groups when UNPRIVILEGED, as root otherwise. The server must have answered
  // and no pasta may be left.
  void expect_reaches_loopback(bool unprivileged, const std::string& launch, int port) {
    std::string echo = NSPLAN_TCP_ECHO, port_text = std::to_string(port);
    std::string p = profile("echo" + port_text, "[" + echo + ", client, 10.213.0.1, '" + port_text + "', hello]");
    std::string as = unprivileged ? "as_user " : "";
    RunResult r = run_sandboxed(tmp_.path(), {{"P", p}, {"E", echo}},
                                std::string(kHostSide) + kAsUser + "\"$E\" server 127.0.0.1 " + port_text +
                                    " > \"$T/server.out\" 2>&1 &\nserver=$!\ncd /\n" + as + "env N=\"$N\" P=\"$P\" sh -c '" +
                                    launch + "'; echo rc=$?\nwait \"$server\"; echo server_rc=$?\n" + kCountPasta);
    ASSERT_EQ(script_value(r.out, "rc"), "0") << r.describe();
    // The server answered a connection from its own loopback: pasta's socket on the host side.
    EXPECT_NE(r.out.find("echo hello from 127.0.0.1:" + port_text + " to 127.0.0.1:"), std::string::npos) << r.describe();
    EXPECT_EQ(script_value(r.out, "server_rc"), "0") << r.describe();
    EXPECT_EQ(script_value(r.out, "pasta_left"), "0") << r.describe();
  }
};

// A user with supplementary groups it cannot drop (no CAP_SETGID): run keeps them, as planned.
TEST_F(RootlessNetTest, AnUnprivilegedCommandReachesTheHostsLoopbackThroughPasta) {
  expect_reaches_loopback(true, "\"$N\" run \"$P\"", 7641);
}

// The same through explain's script, as the same user: it keeps the caller's groups as run does
// (no setpriv --clear-groups, which needs CAP_SETGID), and starts and kills pasta itself.
TEST_F(RootlessNetTest, ExplainsScriptDoesTheSameForAnUnprivilegedCaller) {
  expect_reaches_loopback(true, "\"$N\" explain \"$P\" | sh", 7642);
}

// Root too: pasta keeps uid 0 (--runas 0:0), since nobody could not enter root's user namespace.
TEST_F(RootlessNetTest, RootsRunStartsAPastaThatCanEnterRootsNamespaces) {
  expect_reaches_loopback(false, "\"$N\" run \"$P\"", 7643);
}

// The shipped profile, as its header says: uid 1000 (the id its maps name) runs a command with
// it, root inside, online through pasta, under run (-- COMMAND) and its explain script (whose
// shell reads the command from stdin: the script keeps it in the foreground). The script's
// unshare maps the ids through newuidmap/newgidmap (package uidmap), as its header says.
TEST_F(RootlessNetTest, TheShippedProfileGivesUid1000ANetworkAsRootInside) {
  std::string p = source_dir() + "/profiles/rootless-net.yaml", echo = NSPLAN_TCP_ECHO;
  // The profile mounts a tmpfs on /tmp, where the build (and so the echo helper) may be: the
  // command runs a copy on the sandbox's own /run.
  std::string command = "/run/nsplan-tcp-echo client 10.213.0.1 7645 hello && echo uid_inside=$(id -u)";
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}, {"E", echo}, {"C", command}},
                              std::string(kHostSide) + "cp \"$E\" /run/nsplan-tcp-echo && chmod 755 /run/nsplan-tcp-echo || exit 93\n" +
                                  "for n in 1 2; do \"$E\" server 127.0.0.1 7645 >> \"$T/server.out\" 2>&1; done &\nserver=$!\ncd /\n" +
                                  kAsUser +
                                  "as_user \"$N\" run \"$P\" -- /bin/sh -c \"$C\"; echo run_rc=$?\n"
                                  "as_user \"$N\" explain \"$P\" > \"$T/explain.sh\" && echo \"$C\" | as_user sh \"$T/explain.sh\"; echo explain_rc=$?\n"
                                  "wait \"$server\"\n" + kCountPasta);
  EXPECT_EQ(script_value(r.out, "run_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "explain_rc"), "0") << r.describe();
  // Both reached the server, and both were root in their user namespace.
  size_t first = r.out.find("echo hello from 127.0.0.1:7645 to 127.0.0.1:");
  ASSERT_NE(first, std::string::npos) << r.describe();
  EXPECT_NE(r.out.find("echo hello from 127.0.0.1:7645", first + 1), std::string::npos) << r.describe();
  auto count = [&](const std::string& s) {
    size_t n = 0;
    for (size_t at = r.out.find(s); at != std::string::npos; at = r.out.find(s, at + 1)) ++n;
    return n;
  };
  EXPECT_EQ(count("uid_inside="), 2u) << r.describe();
  EXPECT_EQ(count("uid_inside=0\n"), 2u) << r.describe();
  EXPECT_EQ(script_value(r.out, "pasta_left"), "0") << r.describe();
}

// Root's $PATH is input: a pasta planted first on it is never run; the system's one is.
TEST_F(RootlessNetTest, RootNeverRunsAPastaPlantedOnPath) {
  std::string echo = NSPLAN_TCP_ECHO;
  std::string p = profile("planted", "[" + echo + ", client, 10.213.0.1, '7644', hello]");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}, {"E", echo}},
                              std::string(kHostSide) +
                                  "mkdir \"$T/bin\" && chown 1000 \"$T/bin\"\n"
                                  "printf '#!/bin/sh\\ntouch \"%s/planted-ran\"\\nexit 1\\n' \"$T\" > \"$T/bin/pasta\"\n"
                                  "chmod 755 \"$T/bin/pasta\"\n"
                                  "\"$E\" server 127.0.0.1 7644 > \"$T/server.out\" 2>&1 &\nserver=$!\ncd /\n"
                                  "PATH=\"$T/bin:$PATH\" \"$N\" run \"$P\"; echo rc=$?\n"
                                  "wait \"$server\"; echo server_rc=$?\n"
                                  "[ -e \"$T/planted-ran\" ] && echo planted=ran || echo planted=no\n" + kCountPasta);
  ASSERT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "planted"), "no") << r.describe();
  EXPECT_EQ(script_value(r.out, "server_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "pasta_left"), "0") << r.describe();
}

// pasta refuses a host with no route out: the command never runs, the status is 125 under run
// and explain | sh alike, and the script's watcher and FIFO are gone (no hang, nothing left).
TEST_F(RootlessNetTest, WhenPastaFailsTheCommandNeverRuns) {
  std::string p = profile("fails", "[/bin/echo, ran]");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}},
                              "cd /\n" + std::string(kAsUser) +
                              "as_user \"$N\" run \"$P\"; echo run_rc=$?\n"
                              "mkdir \"$T/tmp\" && chown 1000 \"$T/tmp\"\n"
                              "as_user \"$N\" explain \"$P\" > \"$T/explain.sh\" && TMPDIR=\"$T/tmp\" as_user sh \"$T/explain.sh\"; echo explain_rc=$?\n"
                              "echo \"left=$(ls -A \"$T/tmp\" | wc -l)\"\n" + std::string(kCountPasta));
  EXPECT_EQ(script_value(r.out, "run_rc"), "125") << r.describe();
  EXPECT_EQ(script_value(r.out, "explain_rc"), "125") << r.describe();
  EXPECT_EQ(r.out.find("ran"), std::string::npos) << r.describe();
  EXPECT_EQ(script_value(r.out, "left"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "pasta_left"), "0") << r.describe();
}

// nsplan killed by SIGKILL while its command runs: pasta, nsplan's child in a session of its own,
// dies with it (parent-death signal), and so does the command. Before, pasta ran on in the
// background, holding the namespace, with no one left to stop it.
TEST_F(RootlessNetTest, AKilledRunLeavesNoPastaBehind) {
  std::string p = profile("killed", "[sleep, '41.25']");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}},
                              std::string(kHostSide) + kAsUser + R"SH(
pasta_pid() {
  me=$(readlink /proc/self/ns/net)
  for d in /proc/[0-9]*; do
    case $(cat "$d/comm" 2>/dev/null) in pasta*|passt*) [ "$(readlink "$d/ns/net" 2>/dev/null)" = "$me" ] && echo "${d#/proc/}";; esac
  done
}
session() { awk '{print $6}' "/proc/$1/stat"; }
cd /
# setpriv execs nsplan: $! is nsplan's pid (as_user, a function, would run in a subshell).
setpriv --reuid=1000 --regid=1000 --groups=1000,100 "$N" run "$P" & run=$!
n=0; pasta=
while [ -z "$pasta" ] && [ $n -lt 100 ]; do pasta=$(pasta_pid); sleep 0.1; n=$((n + 1)); done
echo "found=${pasta:+yes}"
[ -n "$pasta" ] && { [ "$(session "$pasta")" = "$(session "$run")" ] && echo own_session=no || echo own_session=yes; }
kill -9 "$run"; wait "$run"; echo run_rc=$?
alive() { [ -d "/proc/$1" ] && ! grep -q '^State:[[:space:]]*Z' "/proc/$1/status" 2>/dev/null; }
n=0; while alive "$pasta" && [ $n -lt 50 ]; do sleep 0.1; n=$((n + 1)); done
pgrep -f -x 'sleep 41.25' > /dev/null && echo command_left=yes || echo command_left=no
)SH" + kCountPasta);
  ASSERT_EQ(script_value(r.out, "found"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "own_session"), "yes") << r.describe();
  EXPECT_EQ(script_value(r.out, "run_rc"), "137") << r.describe();
  EXPECT_EQ(script_value(r.out, "pasta_left"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "command_left"), "no") << r.describe();
}

// A caller's pasta (from its $PATH) that writes another pid than its own is refused and
// stopped, and the command never runs: nsplan signals only its own child.
TEST_F(RootlessNetTest, APastaThatNamesAnotherPidIsStoppedAndNothingRuns) {
  std::string p = profile("otherpid", "[/bin/echo, ran]");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}},
                              std::string(kHostSide) + kAsUser + R"SH(
mkdir "$T/bin" && chown 1000 "$T/bin"
cat > "$T/bin/pasta" <<'EOF'
#!/bin/sh
while [ $# -gt 0 ]; do [ "$1" = -P ] && f=$2; shift; done
echo 1 > "$f"
exec sleep 43.75
EOF
chmod 755 "$T/bin/pasta"
fake_left() { pgrep -f -x 'sleep 43.75' > /dev/null && echo yes || echo no; }
cd /
as_user env PATH="$T/bin:$PATH" "$N" run "$P"; echo rc=$?
echo "fake_left=$(fake_left)"
# explain's script alike: no go, and it stops the pid it started, not the one written.
mkdir "$T/tmp" && chown 1000 "$T/tmp"
as_user "$N" explain "$P" > "$T/explain.sh" && TMPDIR="$T/tmp" as_user env PATH="$T/bin:$PATH" sh "$T/explain.sh"; echo explain_rc=$?
echo "explain_fake_left=$(fake_left)"
echo "explain_tmp_left=$(ls -A "$T/tmp" | wc -l)"
# Text that is no pid (here a terminal escape) is not shown.
sed -i 's/^echo 1 /printf "1\\033[2J\\n" /' "$T/bin/pasta"
as_user env PATH="$T/bin:$PATH" "$N" run "$P"; echo text_rc=$?
# An empty line is no pid either (not a failed wait).
sed -i 's/^printf .*/echo > "$f"/' "$T/bin/pasta"
as_user env PATH="$T/bin:$PATH" "$N" run "$P"; echo empty_rc=$?
echo "empty_fake_left=$(fake_left)"
)SH");
  EXPECT_EQ(script_value(r.out, "rc"), "125") << r.describe();
  EXPECT_EQ(script_value(r.out, "text_rc"), "125") << r.describe();
  EXPECT_NE(r.err.find("pasta wrote pid 1 to its pid file, not its own"), std::string::npos) << r.describe();
  EXPECT_EQ(script_value(r.out, "empty_rc"), "125") << r.describe();
  EXPECT_EQ(script_value(r.out, "empty_fake_left"), "no") << r.describe();
  const std::string not_a_pid = "pasta wrote something other than a pid to its pid file";
  size_t first = r.err.find(not_a_pid);
  ASSERT_NE(first, std::string::npos) << r.describe();
  EXPECT_NE(r.err.find(not_a_pid, first + 1), std::string::npos) << "the empty line too\n" << r.describe();
  EXPECT_EQ(r.err.find("waiting for pasta"), std::string::npos) << r.describe();
  EXPECT_EQ(r.err.find("\033"), std::string::npos) << r.describe();
  EXPECT_EQ(r.out.find("ran"), std::string::npos) << r.describe();
  EXPECT_EQ(script_value(r.out, "fake_left"), "no") << r.describe();
  EXPECT_EQ(script_value(r.out, "explain_rc"), "125") << r.describe();
  EXPECT_EQ(script_value(r.out, "explain_fake_left"), "no") << r.describe();
  EXPECT_EQ(script_value(r.out, "explain_tmp_left"), "0") << r.describe();
}

TEST_F(RootlessNetTest, WithoutPastaNothingStarts) {
  std::string p = profile("nopasta", "[/bin/echo, ran]");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}},
                              "cd /\nsetpriv --reuid=1000 --regid=1000 --clear-groups env PATH=/nonexistent \"$N\" run \"$P\"; echo rc=$?\n");
  EXPECT_EQ(script_value(r.out, "rc"), "125") << r.describe();
  EXPECT_EQ(r.out.find("ran"), std::string::npos) << r.describe();
  EXPECT_NE(r.err.find("install passt"), std::string::npos) << r.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
