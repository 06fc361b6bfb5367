// namespaces.net.rootless against the real kernel and pasta(1): a uid without privileges runs
// nsplan run with a new user and net namespace, and the command reaches a TCP listener on the
// sandbox's loopback through the gateway address pasta maps to it. The sandbox's own network
// namespace plays the host (a veth pair with an address and a default route, for pasta to copy);
// no traffic leaves namespaces the test made. No pasta may be left when nsplan returns.
#include <sys/stat.h>
#include <unistd.h>

#include <string>

#include "tests/kernel/sandbox.h"

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

class RootlessNetTest : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    if (!on_path("pasta")) NSPLAN_SKIP_OR_FAIL("pasta is not installed (package passt)");
    if (!tmp_.ok()) FAIL() << "cannot make a temp dir under /tmp";
    ::chmod(tmp_.path().c_str(), 0755);  // uid 1000 reads its profile here
  }

  std::string profile(const std::string& suffix, const std::string& command) {
    std::string path = tmp_.file(suffix + ".yaml");
    EXPECT_TRUE(write_text(path, "nsplan: 1\nname: " + test_name(suffix) +
                                     "\nnamespaces:\n  user: {}\n  net: {rootless: pasta}\nrun:\n  command: " + command + "\n"))
        << path;
    return path;
  }

  TempDir tmp_{"rootless"};
};

TEST_F(RootlessNetTest, AnUnprivilegedCommandReachesTheHostsLoopbackThroughPasta) {
  // Only nsplan run: explain's script starts with `setpriv --clear-groups`, which a uid without
  // CAP_SETGID cannot run (setgroups is EPERM even for no group), so `explain | sh` as uid 1000
  // stops there, before pasta.
  std::string echo = NSPLAN_TCP_ECHO;
  std::string p = profile("echo", "[" + echo + ", client, 10.213.0.1, '7641', hello]");
  RunResult r = run_sandboxed(tmp_.path(), {{"P", p}, {"E", echo}},
                              std::string(kHostSide) + "\"$E\" server 127.0.0.1 7641 > \"$T/server.out\" 2>&1 &\n"
                              "server=$!\ncd /\n"
                              "setpriv --reuid=1000 --regid=1000 --clear-groups \"$N\" run \"$P\"; echo rc=$?\n"
                              "wait \"$server\"; echo server_rc=$?\n" + kCountPasta);
  ASSERT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  // The server answered a connection from its own loopback: pasta's socket on the host side.
  EXPECT_NE(r.out.find("echo hello from 127.0.0.1:7641 to 127.0.0.1:"), std::string::npos) << r.describe();
  EXPECT_EQ(script_value(r.out, "server_rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "pasta_left"), "0") << r.describe();
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
