// `nsplan run` and `nsplan attach` against the real kernel, end to end through the nsplan binary.
//
// Every nsplan invocation (and every explain script) runs in a sandbox of its own (sandbox.h,
// run_sandboxed): private mount and network namespaces, a fresh tmpfs on /run. Profiles are
// written into a temp dir /tmp/nsplan-t-<pid>-run-*, their names start with nsplan-t-<pid>-,
// interfaces with nspt, and their cgroups go below a parent nsplan-t-<pid>-cg<N> that the test
// makes and removes (CgroupParent, --cgroup-parent). Addresses exist only in network namespaces
// made inside the sandbox.
//
// What is checked:
//   - inside the command: hostname, PID 1 and an own process list, rlimits, the boottime offset
//     (/proc/uptime), /proc/self/cgroup; in a user namespace: root inside, the mapped id outside;
//   - limits bite: the memory limit OOM-kills (oom_kill counter of the profile's cgroup, 137),
//     pids.max stops a fork loop;
//   - TCP between two persistent net namespaces (veth, and veth ports of a bridge) made by
//     `nsplan apply`, with server and client started by `nsplan run`;
//   - signals and exit statuses: SIGTERM reaches the command, exit codes and 128+signal come
//     back, a SIGKILLed nsplan leaves no process, namespace or ephemeral cgroup behind;
//   - attach: moves a process into the cgroups; refuses a profile with namespaces (exit 2)
//     unless --cgroups-only;
//   - `nsplan explain | sh` observes what `nsplan run` observes.
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "tests/kernel/profile_test.h"

namespace nsplan::kernel_test {
namespace {

bool have_program(const std::string& name) {
  std::string cmd = "command -v " + shq(name) + " >/dev/null 2>&1";
  return std::system(cmd.c_str()) == 0;
}

// 'text' as a YAML single-quoted scalar (one line only: YAML folds line breaks).
std::string yaml_quote(const std::string& text) {
  std::string out = "'";
  for (char c : text) out += c == '\'' ? std::string("''") : std::string(1, c);
  return out + "'";
}

// [a, b, c] as a YAML flow sequence of quoted strings.
std::string yaml_list(const std::vector<std::string>& items) {
  std::string out = "[";
  for (size_t i = 0; i < items.size(); ++i) out += (i ? ", " : "") + yaml_quote(items[i]);
  return out + "]";
}

// The value of the first line "KEY=value" of a script's output, or FALLBACK.
// The values of all lines "KEY=value".
std::vector<std::string> values_of(const std::string& text, const std::string& key) {
  std::vector<std::string> out;
  for (const auto& l : lines_of(text))
    if (starts_with(l, key + "=")) out.push_back(l.substr(key.size() + 1));
  return out;
}

// The tcp_echo helper (tests/helpers/tcp_echo.cc): the one the build made (NSPLAN_TCP_ECHO),
// or else compiled now into DIR with the c++ on PATH. "" when neither works.
std::string tcp_echo_binary(const std::string& dir) {
#ifdef NSPLAN_TCP_ECHO
  if (::access(NSPLAN_TCP_ECHO, X_OK) == 0) return NSPLAN_TCP_ECHO;
#endif
  std::string out = dir + "/tcp_echo";
  std::string cmd = "c++ -O1 -o " + shq(out) + " " + shq(source_dir() + "/tests/helpers/tcp_echo.cc") + " >" +
                    shq(dir + "/tcp_echo.log") + " 2>&1";
  if (std::system(cmd.c_str()) != 0 || ::access(out.c_str(), X_OK) != 0) return "";
  return out;
}

class RunTest : public ProfileTest {
 protected:
  RunTest() : ProfileTest("run") {}
  void SetUp() override {
    ProfileTest::SetUp();
    if (stopped()) return;
    if (::access(nsplan_binary().c_str(), X_OK) != 0) FAIL() << "no nsplan binary at " << nsplan_binary();
  }

  // Writes a profile "nsplan-t-<pid>-SUFFIX" with BODY, remembering its name; returns its path.
  std::string profile(const std::string& suffix, const std::string& body) {
    std::string path = ProfileTest::profile(suffix, body);
    names_[path] = name_;
    return path;
  }
  std::string name_of(const std::string& profile_path) { return names_[profile_path]; }

  // The profile's cgroup directory in the hierarchy of CONTROLLER (default path nsplan/NAME).
  std::string cgroup_dir(const CgroupParent& parent, const std::string& controller, const std::string& profile_path) {
    return parent.dir_of(controller) + "/nsplan/" + name_of(profile_path);
  }

  // A parent cgroup for CONTROLLERS, or a skip/fail when this host cannot make one.
  bool make_parent(std::unique_ptr<CgroupParent>& parent, const std::vector<std::string>& controllers) {
    parent = std::make_unique<CgroupParent>(controllers);
    if (!parent->ok()) {
      ADD_FAILURE() << "cannot make the test's parent cgroup: " << parent->error();
      return false;
    }
    return true;
  }

  // The line of /proc/self/cgroup text for CONTROLLER ("" when none).
  static std::string cgroup_line(const std::vector<std::string>& cgroup_lines, const std::string& controller, bool v2) {
    for (const auto& l : cgroup_lines) {
      size_t a = l.find(':'), b = l.find(':', a + 1);
      if (a == std::string::npos || b == std::string::npos) continue;
      std::string ctrls = l.substr(a + 1, b - a - 1);
      if (v2 ? ctrls.empty() : ("," + ctrls + ",").find("," + controller + ",") != std::string::npos)
        return l.substr(b + 1);
    }
    return "";
  }

  std::map<std::string, std::string> names_;
};

// ---- inside the command ---------------------------------------------------------------------

TEST_F(RunTest, CommandSeesItsHostnamePidNamespaceLimitsClockAndCgroup) {
  if (!path_exists("/proc/self/ns/time")) NSPLAN_SKIP_OR_FAIL("this kernel has no time namespaces");
  if (!have_program("ps")) NSPLAN_SKIP_OR_FAIL("needs ps (procps)");
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"memory", "pids"})) return;
  const std::string inner =
      "echo \"hostname=$(hostname)\"; echo \"pid=$$\"; echo \"ppid=$PPID\"; "
      "psout=$(ps -e -o pid=,comm=); echo \"$psout\" | sed \"s/^ */ps=/\"; "
      "echo \"procpids=$(ls /proc | grep -E \"^[0-9]+$\" | tr \"\\n\" \" \")\"; "
      "echo \"nofile=$(ulimit -Sn)/$(ulimit -Hn)\"; "
      "echo \"uptime=$(cut -d\" \" -f1 /proc/uptime)\"; "
      "sed \"s/^/cgroup=/\" /proc/self/cgroup";
  std::string p = profile("inside",
                          "cgroup:\n"
                          "  ephemeral: true\n"
                          "  memory: {max: 256M}\n"
                          "  pids: {max: 64}\n"
                          "namespaces:\n"
                          "  uts: {hostname: nsplan-t-inside}\n"
                          "  pid: {}\n"
                          "  mnt: {proc: true}\n"
                          "  ipc: {}\n"
                          "  time: {boottime: 864000}\n"
                          "limits:\n"
                          "  nofile: {soft: 321, hard: 654}\n"
                          "run:\n"
                          "  init: false\n"  // the command itself is PID 1
                          "  command: " + yaml_list({"sh", "-c", inner}) + "\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}, {"PARENT", parent->name()}}, R"SH(
h0=$(cut -d" " -f1 /proc/uptime)
"$N" run "$PROFILE" --cgroup-parent "$PARENT" > "$T/in.out" 2> "$T/in.err"
echo "rc=$?"
h1=$(cut -d" " -f1 /proc/uptime)
echo "host_uptime=$h0 $h1"
echo "host_processes=$(ls /proc | grep -cE '^[0-9]+$')"
cat "$T/in.out"
echo "--- stderr of nsplan run:"; cat "$T/in.err"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  ASSERT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "hostname"), "nsplan-t-inside") << r.describe();
  EXPECT_EQ(script_value(r.out, "pid"), "1") << r.describe();
  EXPECT_EQ(script_value(r.out, "ppid"), "0") << "the parent of PID 1 is outside its namespace\n" << r.describe();

  // ps shows the shell (PID 1) and ps itself, nothing of the host.
  std::vector<std::string> ps = values_of(r.out, "ps");
  EXPECT_EQ(ps.size(), 2u) << r.describe();
  bool saw_shell = false;
  for (const auto& l : ps) {
    std::istringstream in(l);
    long pid = 0;
    std::string comm;
    in >> pid >> comm;
    EXPECT_LT(pid, 20) << "a pid of the host in the new pid namespace: " << l;
    saw_shell |= pid == 1 && comm == "sh";
  }
  EXPECT_TRUE(saw_shell) << r.describe();
  std::istringstream procs(script_value(r.out, "procpids", ""));
  int n_procs = 0;
  for (long pid; procs >> pid; ++n_procs) EXPECT_LT(pid, 20) << "/proc lists a process of the host";
  EXPECT_GE(n_procs, 1);
  EXPECT_LE(n_procs, 8) << r.describe();
  EXPECT_GT(std::stoi(script_value(r.out, "host_processes", "0")), n_procs) << "the host has more processes";

  EXPECT_EQ(script_value(r.out, "nofile"), "321/654") << r.describe();

  // CLOCK_BOOTTIME 10 days ahead: /proc/uptime inside vs the host's around the run.
  double h0 = 0, h1 = 0, inside = std::atof(script_value(r.out, "uptime", "0").c_str());
  std::istringstream(script_value(r.out, "host_uptime", "0 0")) >> h0 >> h1;
  EXPECT_GE(inside - h0, 864000.0 - 1.0) << r.describe();
  EXPECT_LE(inside - h1, 864000.0 + 1.0) << r.describe();

  // /proc/self/cgroup: the profile's cgroup below the test's parent, in each hierarchy.
  std::string rel = "/" + parent->name() + "/nsplan/" + name_of(p);
  std::vector<std::string> cg = values_of(r.out, "cgroup");
  for (const char* c : {"memory", "pids"}) EXPECT_EQ(cgroup_line(cg, c, parent->v2()), rel) << c << "\n" << r.describe();

  // ephemeral: the cgroup went with the command (and the nsplan/ level nsplan made).
  std::string left;
  for (const auto& d : parent->descendants()) left += d + " ";
  EXPECT_TRUE(left.empty()) << "the ephemeral cgroup is still there: " << left;
}

TEST_F(RunTest, UserNamespaceRootInsideIsTheMappedIdOnTheHost) {
  if (!path_exists("/proc/self/ns/time")) NSPLAN_SKIP_OR_FAIL("this kernel has no time namespaces");
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"pids"})) return;
  // The command waits on stdin (a FIFO the script holds) while the host looks at it.
  const std::string inner =
      "echo \"uid=$(id -u) gid=$(id -g)\"; echo \"pid=$$\"; echo \"hostname=$(hostname)\"; "
      "echo \"nofile=$(ulimit -n)\"; echo \"uptime=$(cut -d\" \" -f1 /proc/uptime)\"; echo READY; read x; echo bye";
  std::string p = profile("userns",
                          "cgroup:\n"
                          "  ephemeral: true\n"
                          "  pids: {max: 64}\n"
                          "namespaces:\n"
                          "  user: {uid_map: \"0 100000 65536\", gid_map: \"0 100000 65536\"}\n"
                          "  pid: {}\n"
                          "  mnt: {proc: true}\n"
                          "  uts: {hostname: nsplan-t-userns}\n"
                          "  time: {boottime: 864000}\n"
                          "limits:\n"
                          "  nofile: 321\n"
                          "run:\n"
                          "  init: false\n"  // the command itself is PID 1
                          "  command: " + yaml_list({"sh", "-c", inner}) + "\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}, {"PARENT", parent->name()}, {"CG", cgroup_dir(*parent, "pids", p)}}, R"SH(
mkfifo "$T/go"
# The caller's supplementary groups must not reach the command, not even as the overflow gid.
setpriv --groups 4,27 -- "$N" run "$PROFILE" --cgroup-parent "$PARENT" < "$T/go" > "$T/u.out" 2> "$T/u.err" &
np=$!
exec 3> "$T/go"
wait_for "$T/u.out" READY
echo "host_uptime=$(cut -d" " -f1 /proc/uptime)"
for p in $(cat "$CG/cgroup.procs"); do
  echo "proc=$p $(cat /proc/$p/comm) | $(grep ^Uid: /proc/$p/status | tr -s '\t ' ' ') | $(grep ^Gid: /proc/$p/status | tr -s '\t ' ' ') | $(grep ^NSpid: /proc/$p/status | tr -s '\t ' ' ')"
  echo "groups=$(grep ^Groups: /proc/$p/status | cut -f2 | tr -d ' ')"
done
echo go >&3
exec 3>&-
wait $np
echo "rc=$?"
cat "$T/u.out"
echo "--- stderr of nsplan run:"; cat "$T/u.err"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "uid"), "0 gid=0") << "root inside the user namespace\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "pid"), "1") << r.describe();
  EXPECT_EQ(script_value(r.out, "hostname"), "nsplan-t-userns") << r.describe();
  EXPECT_EQ(script_value(r.out, "nofile"), "321") << r.describe();
  double host = std::atof(script_value(r.out, "host_uptime", "0").c_str());
  double inside = std::atof(script_value(r.out, "uptime", "0").c_str());
  EXPECT_NEAR(inside - host, 864000.0, 5.0) << r.describe();
  EXPECT_TRUE(contains(r.out, "bye")) << r.describe();
  // Seen from the host, every process of the run is the mapped id 100000.
  std::vector<std::string> procs = values_of(r.out, "proc");
  EXPECT_GE(procs.size(), 2u) << "nsplan's child and the command\n" << r.describe();
  bool saw_pid1 = false;
  for (const auto& l : procs) {
    EXPECT_TRUE(contains(l, "Uid: 100000 100000 100000 100000")) << l;
    EXPECT_TRUE(contains(l, "Gid: 100000 100000 100000 100000")) << l;
    if (contains(l, " sh |")) {
      saw_pid1 = true;
      EXPECT_EQ(l.substr(l.size() - 2), " 1") << "NSpid of the command ends in 1: " << l;
    }
  }
  EXPECT_TRUE(saw_pid1) << r.describe();
  for (const auto& g : values_of(r.out, "groups")) EXPECT_EQ(g, "") << "the caller's groups reached the run\n" << r.describe();
  EXPECT_EQ(values_of(r.out, "groups").size(), procs.size()) << r.describe();
}

// A profile without a run: section still gives a command from the command line its namespaces
// and limits.
TEST_F(RunTest, CommandFromTheCommandLineGetsTheNamespacesOfAProfileWithoutRun) {
  std::string p = profile("norun",
                          "namespaces:\n"
                          "  uts: {hostname: nsplan-t-norun}\n"
                          "  pid: {}\n"
                          "limits:\n"
                          "  nofile: 321\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}}, R"SH(
"$N" run "$PROFILE" -- sh -c 'echo "hostname=$(hostname)"; echo "pid=$$"; echo "nofile=$(ulimit -n)"'
echo "rc=$?"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "hostname"), "nsplan-t-norun") << r.describe();
  // Without run.init: false, nsplan's init is PID 1 and the command its first child.
  EXPECT_EQ(script_value(r.out, "pid"), "2") << r.describe();
  EXPECT_EQ(script_value(r.out, "nofile"), "321") << r.describe();
}

// ---- limits bite ----------------------------------------------------------------------------

TEST_F(RunTest, MemoryLimitOomKillsTheCommand) {
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"memory"})) return;
  // tail keeps all of a newline-free input in memory: 200M against a 32M limit without swap.
  std::string p = profile("oom",
                          "cgroup:\n"
                          "  memory: {max: 32M, swap: 0}\n"
                          "run:\n"
                          "  command: [sh, -c, 'head -c 200M /dev/zero | tail >/dev/null']\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}, {"PARENT", parent->name()}, {"CG", cgroup_dir(*parent, "memory", p)}}, R"SH(
oom_kills() { grep -hw oom_kill "$CG/memory.oom_control" "$CG/memory.events" 2>/dev/null | awk '{print $2}' | head -n1; }
"$N" run "$PROFILE" --cgroup-parent "$PARENT" -- sh -c 'head -c 8M /dev/zero | tail | wc -c' > "$T/small.out" 2> "$T/small.err"
echo "small_rc=$?"
echo "small_bytes=$(cat "$T/small.out")"
echo "oom_before=$(oom_kills)"
"$N" run "$PROFILE" --cgroup-parent "$PARENT" > "$T/big.out" 2> "$T/big.err"
echo "big_rc=$?"
echo "oom_after=$(oom_kills)"
echo "limit=$(cat "$CG/memory.limit_in_bytes" 2>/dev/null || cat "$CG/memory.max")"
cat "$T/small.err" "$T/big.err"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "limit"), "33554432") << r.describe();
  EXPECT_EQ(script_value(r.out, "small_rc"), "0") << "8M fit below the limit\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "small_bytes"), "8388608") << r.describe();
  EXPECT_EQ(script_value(r.out, "oom_before"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "big_rc"), "137") << "killed by SIGKILL: 128 + 9\n" << r.describe();
  EXPECT_GE(std::atoi(script_value(r.out, "oom_after", "0").c_str()), 1)
      << "the OOM kill must be the profile cgroup's own\n" << r.describe();
}

TEST_F(RunTest, PidsLimitStopsAForkLoop) {
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"pids"})) return;
  std::string p = profile("pids",
                          "cgroup:\n"
                          "  pids: {max: 20}\n"
                          "namespaces:\n"
                          "  pid: {}\n"
                          "run:\n"
                          "  init: false\n"  // the shell is PID 1: no init takes a task
                          "  command: [sh, -c, 'n=0; while [ $n -lt 200 ]; do sleep 30 & n=$((n+1)); echo \"started=$n\"; done; echo loop-ended']\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}, {"PARENT", parent->name()}, {"CG", cgroup_dir(*parent, "pids", p)}}, R"SH(
"$N" run "$PROFILE" --cgroup-parent "$PARENT" > "$T/p.out" 2> "$T/p.err"
echo "rc=$?"
echo "last=$(grep started= "$T/p.out" | tail -n1 | cut -d= -f2)"
echo "events=$(cat "$CG/pids.events")"
echo "left=$(wc -l < "$CG/cgroup.procs")"
cat "$T/p.out" "$T/p.err"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  int started = std::atoi(script_value(r.out, "last", "0").c_str());
  // 20 tasks: the shell (PID 1) and 19 sleeps. Without a user namespace the command's process
  // is nsplan's only one in the cgroup: no middle process takes a task.
  EXPECT_EQ(started, 19) << r.describe();
  EXPECT_FALSE(contains(r.out, "loop-ended")) << r.describe();
  EXPECT_NE(script_value(r.out, "rc"), "0") << "the shell failed to fork\n" << r.describe();
  std::string events = script_value(r.out, "events");
  EXPECT_TRUE(starts_with(events, "max ") && events != "max 0") << r.describe();
  // PID 1 ended: its pid namespace took every sleep with it.
  EXPECT_EQ(script_value(r.out, "left"), "0") << r.describe();
}

// ---- network --------------------------------------------------------------------------------

class RunNetworkTest : public RunTest {
 protected:
  // Applies NETWORK_YAML (namespaces NA and NB), then runs a tcp_echo server in NA at SERVER_IP
  // and a client in NB, both with `nsplan run`; then destroys.
  void tcp_between(const std::string& network_yaml, const std::string& server_ip, const std::string& client_ip) {
    std::string echo = tcp_echo_binary(tmp_.path());
    if (echo.empty()) {
      NSPLAN_SKIP_OR_FAIL("cannot build tests/helpers/tcp_echo.cc: " + read_file(tmp_.file("tcp_echo.log")));
    }
    std::string net = profile("net", network_yaml);
    std::string srv = profile("srv", "namespaces:\n  net: {join: " + na_ + "}\nrun:\n  command: [true]\n");
    std::string cli = profile("cli", "namespaces:\n  net: {join: " + nb_ + "}\nrun:\n  command: [true]\n");
    RunResult r = run_sandboxed(tmp_.path(),
                               {{"NET", net}, {"SRV", srv}, {"CLI", cli}, {"ECHO", echo}, {"SERVER_IP", server_ip}},
                               R"SH(
"$N" apply "$NET" > "$T/apply.out" 2>&1
echo "apply_rc=$?"
"$N" run "$SRV" -- "$ECHO" server "$SERVER_IP" 7777 > "$T/srv.out" 2> "$T/srv.err" &
sp=$!
wait_for "$T/srv.out" listening
"$N" run "$CLI" -- "$ECHO" client "$SERVER_IP" 7777 hello-from-b > "$T/cli.out" 2> "$T/cli.err"
echo "client_rc=$?"
wait $sp
echo "server_rc=$?"
# From the sandbox's own namespace the server's address is not reachable at all.
"$ECHO" client "$SERVER_IP" 7777 from-outside 300 > "$T/outside.out" 2> "$T/outside.err"
echo "outside_rc=$?"
"$N" destroy "$NET" > "$T/destroy.out" 2>&1
echo "destroy_rc=$?"
echo "netns_left=$(ip netns list | wc -l)"
for f in apply.out srv.out srv.err cli.out cli.err outside.err destroy.out; do echo "--- $f"; cat "$T/$f"; done
)SH");
    ASSERT_EQ(r.code(), 0) << r.describe();
    EXPECT_EQ(script_value(r.out, "apply_rc"), "0") << r.describe();
    EXPECT_EQ(script_value(r.out, "client_rc"), "0") << r.describe();
    EXPECT_EQ(script_value(r.out, "server_rc"), "0") << r.describe();
    EXPECT_TRUE(contains(r.out, "client: local " + client_ip + ":")) << r.describe();
    EXPECT_TRUE(contains(r.out, "client: echo hello-from-b from " + server_ip + ":7777 to " + client_ip + ":")) << r.describe();
    EXPECT_TRUE(contains(r.out, "server: " + client_ip + ":")) << r.describe();
    EXPECT_NE(script_value(r.out, "outside_rc"), "0") << r.describe();
    EXPECT_EQ(script_value(r.out, "destroy_rc"), "0") << r.describe();
    EXPECT_EQ(script_value(r.out, "netns_left"), "0") << r.describe();
  }

  std::string na_ = test_name("a"), nb_ = test_name("b");
};

TEST_F(RunNetworkTest, TcpOverAVethPairBetweenTwoNamespaces) {
  tcp_between("network:\n"
              "  namespaces: [" + na_ + ", " + nb_ + "]\n"
              "  links:\n"
              "    - name: " + test_ifname("va") + "\n"
              "      kind: veth\n"
              "      netns: " + na_ + "\n"
              "      addresses: [10.231.0.1/24]\n"
              "      peer: {name: " + test_ifname("vb") + ", netns: " + nb_ + ", addresses: [10.231.0.2/24]}\n",
              "10.231.0.1", "10.231.0.2");
}

TEST_F(RunNetworkTest, TcpAcrossABridgeBetweenTwoNamespaces) {
  // The bridge and the host ends of the veths live in the sandbox's own network namespace.
  std::string br = test_ifname("br");
  tcp_between("network:\n"
              "  namespaces: [" + na_ + ", " + nb_ + "]\n"
              "  links:\n"
              "    - {name: " + br + ", kind: bridge}\n"
              "    - name: " + test_ifname("pa") + "\n"
              "      kind: veth\n"
              "      master: " + br + "\n"
              "      peer: {name: eth0, netns: " + na_ + ", addresses: [10.231.1.1/24]}\n"
              "    - name: " + test_ifname("pb") + "\n"
              "      kind: veth\n"
              "      master: " + br + "\n"
              "      peer: {name: eth0, netns: " + nb_ + ", addresses: [10.231.1.2/24]}\n",
              "10.231.1.1", "10.231.1.2");
}

// ---- signals and exit statuses --------------------------------------------------------------

TEST_F(RunTest, SigtermToNsplanReachesTheCommand) {
  // PID 1 of a pid namespace gets only signals it handles: the command traps TERM.
  const std::string trap = "trap \"echo got-TERM; exit 42\" TERM; echo READY; while :; do sleep 0.05; done";
  std::string plain = profile("term-plain", "run:\n  command: " + yaml_list({"sh", "-c", trap}) + "\n");
  std::string pidns = profile("term-pidns", "namespaces:\n  pid: {}\nrun:\n  command: " + yaml_list({"sh", "-c", trap}) + "\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PLAIN", plain}, {"PIDNS", pidns}}, R"SH(
for v in plain pidns; do
  if [ $v = plain ]; then prof=$PLAIN; else prof=$PIDNS; fi
  "$N" run "$prof" > "$T/$v.out" 2> "$T/$v.err" &
  np=$!
  wait_for "$T/$v.out" READY
  kill -TERM $np
  wait $np
  echo "${v}_rc=$?"
  echo "${v}_out=$(tr '\n' ' ' < "$T/$v.out")"
  cat "$T/$v.err"
done
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  for (const std::string v : {"plain", "pidns"}) {
    EXPECT_EQ(script_value(r.out, v + "_rc"), "42") << v << "\n" << r.describe();
    EXPECT_TRUE(contains(script_value(r.out, v + "_out"), "got-TERM")) << v << "\n" << r.describe();
  }
}

TEST_F(RunTest, ExitStatusesPropagate) {
  std::string plain = profile("exit-plain", "run:\n  command: [true]\n");
  std::string pidns = profile("exit-pidns", "namespaces:\n  pid: {}\nrun:\n  init: false\n  command: [true]\n");
  std::string nocwd = profile("exit-nocwd", "run:\n  command: [true]\n  cwd: /nonexistent/nsplan-t-no-such-dir\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PLAIN", plain}, {"PIDNS", pidns}, {"NOCWD", nocwd}}, R"SH(
"$N" run "$PLAIN" -- sh -c 'exit 7'; echo "plain_exit=$?"
"$N" run "$PIDNS" -- sh -c 'exit 7'; echo "pidns_exit=$?"
"$N" run "$PLAIN" -- sh -c 'kill -KILL $$'; echo "plain_kill=$?"
"$N" run "$PLAIN" -- sh -c 'kill -TERM $$'; echo "plain_term=$?"
# PID 1 ignores signals from inside its namespace: the SIGKILL comes from the host.
"$N" run "$PIDNS" -- sh -c 'echo READY; exec sleep 30' > "$T/k.out" 2>&1 &
np=$!
wait_for "$T/k.out" READY
d=$(pgrep -P $np)  # the command, PID 1 of its namespace, is nsplan's own child
echo "pidns_victim=$(cat /proc/$d/comm)"
kill -KILL "$d"
wait $np; echo "pidns_kill=$?"
"$N" run "$PLAIN" -- /nonexistent/nsplan-t-no-such-program 2> "$T/e.err"; echo "noexec=$?"
echo "noexec_err=$(tr '\n' ' ' < "$T/e.err")"
printf 'echo not run\n' > "$T/not-executable"; chmod 0644 "$T/not-executable"
"$N" run "$PLAIN" -- "$T/not-executable" 2> /dev/null; echo "cannot_exec=$?"
"$N" run "$NOCWD" 2> "$T/c.err"; echo "setup_failed=$?"
echo "setup_err=$(tr '\n' ' ' < "$T/c.err")"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "plain_exit"), "7") << r.describe();
  EXPECT_EQ(script_value(r.out, "pidns_exit"), "7") << r.describe();
  EXPECT_EQ(script_value(r.out, "plain_kill"), "137") << r.describe();
  EXPECT_EQ(script_value(r.out, "plain_term"), "143") << r.describe();
  EXPECT_EQ(script_value(r.out, "pidns_victim"), "sleep") << r.describe();
  EXPECT_EQ(script_value(r.out, "pidns_kill"), "137") << r.describe();
  // As env(1) and timeout(1): 127 not found, 126 not executable, 125 nsplan's own failure before
  // the exec (a shell reads 127 as "command not found").
  EXPECT_EQ(script_value(r.out, "noexec"), "127") << r.describe();
  EXPECT_EQ(script_value(r.out, "cannot_exec"), "126") << r.describe();
  EXPECT_EQ(script_value(r.out, "setup_failed"), "125") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "setup_err"), "chdir /nonexistent/nsplan-t-no-such-dir")) << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "noexec_err"), "/nonexistent/nsplan-t-no-such-program")) << r.describe();
}

// The command gets stdin, stdout and stderr and no other descriptor of nsplan's (with an
// ephemeral cgroup, nsplan also starts its cleanup guard).
TEST_F(RunTest, CommandInheritsNoDescriptorOfNsplan) {
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"pids"})) return;
  // ls lists its own descriptors: the ones it inherited and the one of the directory it reads.
  const std::string list = "ls -l /proc/self/fd | awk \"NR > 1 {print \\\"fd=\\\" \\$9 \\\" \\\" \\$11}\"";
  std::string plain = profile("fds-plain", "cgroup:\n  ephemeral: true\n  pids: {max: 64}\nrun:\n  command: " +
                                               yaml_list({"sh", "-c", list}) + "\n");
  std::string pidns = profile("fds-pidns", "cgroup:\n  ephemeral: true\n  pids: {max: 64}\nnamespaces:\n  pid: {}\n"
                                           "run:\n  command: " + yaml_list({"sh", "-c", list}) + "\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PLAIN", plain}, {"PIDNS", pidns}, {"PARENT", parent->name()}, {"LIST", list}}, R"SH(
sh -c "$LIST" < /dev/null | sed 's/^/direct_/'
"$N" run "$PLAIN" --cgroup-parent "$PARENT" < /dev/null 2> "$T/plain.err" | sed 's/^/plain_/'
"$N" run "$PIDNS" --cgroup-parent "$PARENT" < /dev/null 2> "$T/pidns.err" | sed 's/^/pidns_/'
cat "$T/plain.err" "$T/pidns.err"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  for (const std::string v : {"plain", "pidns"}) {
    std::vector<std::string> fds = values_of(r.out, v + "_fd");
    EXPECT_GE(fds.size(), 3u) << v << "\n" << r.describe();
    for (const auto& f : fds) {
      std::string num = f.substr(0, f.find(' '));
      if (num == "0" || num == "1" || num == "2" || contains(f, "/fd")) continue;  // ls's own directory
      bool direct = false;  // the same command started by the script itself has it too
      for (const auto& d : values_of(r.out, "direct_fd")) direct |= d.substr(0, d.find(' ')) == num;
      if (!direct) ADD_FAILURE() << v << ": the command inherited fd " << f << "\n" << r.describe();
    }
  }
}

// SIGKILL to nsplan: the run's processes die, its namespaces with them, and the ephemeral
// cgroup is removed (by nsplan's cleanup guard) within a few seconds.
struct KillCase {
  const char* name;
  const char* namespaces;  // YAML under namespaces:
};

void PrintTo(const KillCase& c, std::ostream* os) { *os << c.name; }

class RunKilledTest : public RunTest, public ::testing::WithParamInterface<KillCase> {};

TEST_P(RunKilledTest, SigkilledNsplanLeavesNoProcessNamespaceOrCgroup) {
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"memory", "pids"})) return;
  std::string p = profile(std::string("killed-") + GetParam().name,
                          "cgroup:\n"
                          "  ephemeral: true\n"
                          "  memory: {max: 256M}\n"
                          "  pids: {max: 64}\n"
                          "namespaces:\n" + std::string(GetParam().namespaces) +
                          "run:\n"
                          "  command: [sh, -c, 'echo READY; sleep 30; echo done']\n");
  RunResult r = run_sandboxed(tmp_.path(),
                             {{"PROFILE", p}, {"PARENT", parent->name()}, {"CGP", cgroup_dir(*parent, "pids", p)},
                              {"CGM", cgroup_dir(*parent, "memory", p)}},
                             R"SH(
"$N" run "$PROFILE" --cgroup-parent "$PARENT" > "$T/r.out" 2> "$T/r.err" &
np=$!
wait_for "$T/r.out" READY
pids=$(tr '\n' ' ' < "$CGP/cgroup.procs")
echo "pids=$pids"
kinds="net uts ipc pid pid_for_children user"
own=""; for k in $kinds; do own="$own $(readlink /proc/$$/ns/$k)"; done
theirs=""; for p in $pids; do for k in $kinds; do theirs="$theirs $(readlink /proc/$p/ns/$k)"; done; done
kill -KILL $np
wait $np
echo "rc=$?"
gone() { [ ! -d "$CGP" ] && [ ! -d "$CGM" ]; }
now_cs; t0=$NOW_CS
wait_until 5 gone
now_cs; echo "waited_ms=$(( (NOW_CS - t0) * 10 ))"
for d in "$CGP" "$CGM"; do [ -d "$d" ] && echo "cgroup_left=$d with $(tr '\n' ' ' < "$d/cgroup.procs")"; done
for p in $pids; do
  st=$(awk '/^State:/ {print $2}' /proc/$p/status 2>/dev/null)
  [ -n "$st" ] && [ "$st" != Z ] && echo "alive=$p $(cat /proc/$p/comm) uid $(awk '/^Uid:/ {print $2}' /proc/$p/status)"
done
find /proc/[0-9]*/ns -type l -printf '%l\n' 2>/dev/null | sort -u > "$T/all-ns"
for ns in $(echo $theirs | tr ' ' '\n' | sort -u); do
  case " $own " in *" $ns "*) continue ;; esac
  grep -qxF "$ns" "$T/all-ns" && echo "ns_left=$ns"
done
cat "$T/r.out" "$T/r.err"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "rc"), "137") << r.describe();
  EXPECT_FALSE(script_value(r.out, "pids", "").empty()) << r.describe();
  EXPECT_TRUE(values_of(r.out, "cgroup_left").empty()) << "the ephemeral cgroup is still there after 5 s\n" << r.describe();
  EXPECT_TRUE(values_of(r.out, "alive").empty()) << "processes of the run outlived nsplan\n" << r.describe();
  EXPECT_TRUE(values_of(r.out, "ns_left").empty()) << "namespaces of the run outlived nsplan\n" << r.describe();
}

INSTANTIATE_TEST_SUITE_P(
    Variants, RunKilledTest,
    ::testing::Values(
        // PID 1 of the new pid namespace dies with nsplan's child: everything goes with it.
        KillCase{"pidns", "  pid: {}\n  net: {}\n  uts: {hostname: nsplan-t-killed}\n  ipc: {}\n"},
        // The same inside a user namespace: nsplan's child changes its uid (to root of the
        // namespace), which clears PR_SET_PDEATHSIG.
        KillCase{"userns",
                 "  user: {uid_map: \"0 100000 65536\", gid_map: \"0 100000 65536\"}\n  pid: {}\n  net: {}\n"},
        // No pid namespace: the command's own children (here the sleep) have no parent-death
        // signal; only the ephemeral cgroup knows them.
        KillCase{"nopidns", "  net: {}\n  uts: {hostname: nsplan-t-killed}\n"}),
    [](const ::testing::TestParamInfo<KillCase>& i) { return std::string(i.param.name); });

// ---- attach ---------------------------------------------------------------------------------

TEST_F(RunTest, AttachMovesASleepingProcessIntoTheCgroups) {
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"memory", "pids"})) return;
  std::string p = profile("attach", "cgroup:\n  memory: {max: 256M}\n  pids: {max: 64}\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}, {"PARENT", parent->name()}, {"CGM", cgroup_dir(*parent, "memory", p)}}, R"SH(
sleep 30 &
sp=$!
echo "sp=$sp"
"$N" attach "$PROFILE" $sp --cgroup-parent "$PARENT" > "$T/a.out" 2> "$T/a.err"
echo "rc=$?"
sed 's/^/cgroup=/' /proc/$sp/cgroup
echo "in_procs=$(grep -cx "$sp" "$CGM/cgroup.procs")"
sed 's/^/stdout=/' "$T/a.out"
cat "$T/a.err"
kill $sp
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "rc"), "0") << r.describe();
  std::string sp = script_value(r.out, "sp");
  std::string rel = "/" + parent->name() + "/nsplan/" + name_of(p);
  std::vector<std::string> cg = values_of(r.out, "cgroup");
  for (const char* c : {"memory", "pids"}) EXPECT_EQ(cgroup_line(cg, c, parent->v2()), rel) << c << "\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "in_procs"), "1") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "stdout"), "attached " + sp + " to ")) << r.describe();
}

TEST_F(RunTest, AttachRefusesAProfileWithNamespacesUnlessCgroupsOnly) {
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"pids"})) return;
  std::string p = profile("attach-ns",
                          "cgroup:\n  pids: {max: 64}\n"
                          "namespaces:\n  pid: {}\n  uts: {hostname: nsplan-t-attach}\n"
                          "run:\n  command: [sleep, '1']\n");
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}, {"PARENT", parent->name()}, {"CGP", cgroup_dir(*parent, "pids", p)}}, R"SH(
sleep 30 &
sp=$!
"$N" attach "$PROFILE" $sp --cgroup-parent "$PARENT" > "$T/a1.out" 2> "$T/a1.err"
echo "refused_rc=$?"
echo "refused_err=$(tr '\n' ' ' < "$T/a1.err")"
sed 's/^/cgroup_refused=/' /proc/$sp/cgroup
if [ -d "$CGP" ]; then echo "made_cgroup=yes"; else echo "made_cgroup=no"; fi
"$N" attach "$PROFILE" $sp --cgroups-only --cgroup-parent "$PARENT" > "$T/a2.out" 2> "$T/a2.err"
echo "forced_rc=$?"
sed 's/^/cgroup_forced=/' /proc/$sp/cgroup
if [ "$(readlink /proc/$sp/ns/uts)" = "$(readlink /proc/$$/ns/uts)" ]; then echo "same_uts=yes"; else echo "same_uts=no"; fi
cat "$T/a2.out" "$T/a2.err"
kill $sp
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_EQ(script_value(r.out, "refused_rc"), "2") << r.describe();
  std::string err = script_value(r.out, "refused_err");
  EXPECT_TRUE(contains(err, "namespaces")) << err;
  EXPECT_TRUE(contains(err, "--cgroups-only")) << err;
  std::string rel = "/" + parent->name() + "/nsplan/" + name_of(p);
  EXPECT_NE(cgroup_line(values_of(r.out, "cgroup_refused"), "pids", parent->v2()), rel) << r.describe();
  EXPECT_EQ(script_value(r.out, "made_cgroup"), "no") << "a refused attach changes nothing\n" << r.describe();
  EXPECT_EQ(script_value(r.out, "forced_rc"), "0") << r.describe();
  EXPECT_EQ(cgroup_line(values_of(r.out, "cgroup_forced"), "pids", parent->v2()), rel) << r.describe();
  EXPECT_EQ(script_value(r.out, "same_uts"), "yes") << "attach never imposes namespaces\n" << r.describe();
}

// ---- a cgroup given to a user (cgroup.permissions) -------------------------------------------

// Root applies a profile that gives its cgroup's task files to nobody (65534); nobody then
// attaches its own process, and `run`s a command, without root. On v1 that is all it takes. On
// v2 the kernel also wants the common ancestor's cgroup.procs writable (cgroups(7)): nobody's
// process is outside the subtree, so attach says exactly that, and moves nothing.
TEST_F(RunTest, AUserGivenTheTaskFilesAttachesWithoutRoot) {
  if (!have_program("setpriv")) NSPLAN_SKIP_OR_FAIL("needs setpriv (util-linux)");
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"memory", "pids"})) return;
  std::string p = profile("given",
                          "cgroup:\n  memory: {max: 256M}\n  pids: {max: 64}\n"
                          "  permissions:\n    tasks: {user: nobody, mode: \"0644\"}\n    admin: {dir_mode: \"0755\"}\n");
  ::chmod(p.c_str(), 0644);
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}, {"PARENT", parent->name()}, {"CGM", cgroup_dir(*parent, "memory", p)},
                                            {"CGP", cgroup_dir(*parent, "pids", p)}}, R"SH(
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
as_nobody "$N" attach "$PROFILE" $$ --cgroup-parent "$PARENT" > /dev/null 2> "$T/early.err"
echo "early_rc=$?"
echo "early_err=$(head -1 "$T/early.err")"
if [ -d "$CGM" ]; then echo "early_made=yes"; else echo "early_made=no"; fi
"$N" apply "$PROFILE" --cgroup-parent "$PARENT" > /dev/null || echo "apply_failed"
echo "procs_owner=$(stat -c %u:%a "$CGM/cgroup.procs")"
echo "limit_owner=$(stat -c %u:%a "$CGM/memory.max" 2>/dev/null || stat -c %u:%a "$CGM/memory.limit_in_bytes")"
# Not through the function: $! would be the subshell running it, which is root's.
setpriv --reuid 65534 --regid 65534 --clear-groups sleep 30 &
sp=$!
as_nobody "$N" attach "$PROFILE" $$ --cgroup-parent "$PARENT" 2> "$T/other.err"
echo "other_rc=$?"
echo "other_err=$(tr '\n' ' ' < "$T/other.err")"
as_nobody "$N" attach "$PROFILE" $sp --cgroup-parent "$PARENT" > "$T/a.out" 2> "$T/a.err"
echo "attach_rc=$?"
echo "attach_err=$(tr '\n' ' ' < "$T/a.err")"
echo "in_procs=$(grep -cx "$sp" "$CGM/cgroup.procs")"
echo "in_pids=$(grep -cx "$sp" "$CGP/cgroup.procs")"
kill $sp
"$N" status "$PROFILE" --cgroup-parent "$PARENT" > /dev/null; echo "status=$?"
"$N" destroy "$PROFILE" --cgroup-parent "$PARENT" > /dev/null || echo "destroy_failed"
if [ -d "$CGM" ]; then echo "left=yes"; else echo "left=no"; fi
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_FALSE(contains(r.out, "_failed")) << r.describe();
  // Before root applied it: nothing is made, and the user is told who applies it.
  EXPECT_EQ(script_value(r.out, "early_rc"), "3") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "early_err"), "is not in place")) << r.describe();
  EXPECT_EQ(script_value(r.out, "early_made"), "no") << r.describe();
  EXPECT_EQ(script_value(r.out, "procs_owner"), "65534:644") << r.describe();
  EXPECT_EQ(script_value(r.out, "limit_owner").substr(0, 2), "0:") << "the limits stay root's\n" << r.describe();
  // Root's own shell is not nobody's to move, whatever the cgroup allows.
  EXPECT_EQ(script_value(r.out, "other_rc"), "3") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "other_err"), parent->v2() ? "common ancestor" : "belongs to root")) << r.describe();
  if (parent->v2()) {
    EXPECT_EQ(script_value(r.out, "attach_rc"), "3") << r.describe();
    EXPECT_TRUE(contains(script_value(r.out, "attach_err"), "common ancestor")) << r.describe();
    EXPECT_EQ(script_value(r.out, "in_procs"), "0") << r.describe();
  } else {
    EXPECT_EQ(script_value(r.out, "attach_rc"), "0") << r.describe();
    EXPECT_EQ(script_value(r.out, "in_procs"), "1") << r.describe();
    EXPECT_EQ(script_value(r.out, "in_pids"), "1") << r.describe();
  }
  EXPECT_EQ(script_value(r.out, "status"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "left"), "no") << r.describe();
}

// Without the key, the user is refused before anything is written, with the key that grants it.
TEST_F(RunTest, AUserNotGivenTheTaskFilesIsToldWhichKeyGrantsThem) {
  if (!have_program("setpriv")) NSPLAN_SKIP_OR_FAIL("needs setpriv (util-linux)");
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"pids"})) return;
  std::string p = profile("notgiven", "cgroup:\n  pids: {max: 64}\n");
  ::chmod(p.c_str(), 0644);
  RunResult r = run_sandboxed(tmp_.path(), {{"PROFILE", p}, {"PARENT", parent->name()}, {"CGP", cgroup_dir(*parent, "pids", p)}}, R"SH(
as_nobody() { setpriv --reuid 65534 --regid 65534 --clear-groups "$@"; }
"$N" apply "$PROFILE" --cgroup-parent "$PARENT" > /dev/null || echo "apply_failed"
setpriv --reuid 65534 --regid 65534 --clear-groups sleep 30 &
sp=$!
as_nobody "$N" attach "$PROFILE" $sp --cgroup-parent "$PARENT" > /dev/null 2> "$T/a.err"
echo "attach_rc=$?"
echo "attach_err=$(tr '\n' ' ' < "$T/a.err")"
echo "in_procs=$(grep -cx "$sp" "$CGP/cgroup.procs")"
as_nobody "$N" run "$PROFILE" --cgroup-parent "$PARENT" -- true 2> "$T/r.err"
echo "run_rc=$?"
echo "run_err=$(tr '\n' ' ' < "$T/r.err")"
kill $sp
"$N" destroy "$PROFILE" --cgroup-parent "$PARENT" > /dev/null || echo "destroy_failed"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  EXPECT_FALSE(contains(r.out, "_failed")) << r.describe();
  EXPECT_EQ(script_value(r.out, "attach_rc"), "3") << r.describe();
  std::string err = script_value(r.out, "attach_err");
  EXPECT_TRUE(contains(err, "may not add processes")) << err;
  EXPECT_TRUE(contains(err, "cgroup.permissions.tasks")) << err;
  EXPECT_EQ(script_value(r.out, "in_procs"), "0") << r.describe();
  EXPECT_EQ(script_value(r.out, "run_rc"), "3") << r.describe();
  EXPECT_TRUE(contains(script_value(r.out, "run_err"), "cgroup.permissions.tasks")) << r.describe();
}

// ---- explain | sh observes what run observes -------------------------------------------------

class RunExplainTest : public RunTest {
 protected:
  // Output of `nsplan run PROFILE` and of `nsplan explain PROFILE | sh`, each in its own sandbox
  // (the same cgroup parent; the run's cgroups are destroyed before the explain script).
  void both(const std::string& p, const CgroupParent& parent, RunResult& run, RunResult& explain,
            const std::string& path_prefix = "") {
    ScriptVars vars = {{"PROFILE", p}, {"PARENT", parent.name()}, {"PATH_PREFIX", path_prefix}};
    run = run_sandboxed(tmp_.path(), vars, R"SH(
cd "$T"
"$N" run "$PROFILE" --cgroup-parent "$PARENT" 2> "$T/run.err"
echo "rc=$?"
"$N" destroy "$PROFILE" --cgroup-parent "$PARENT" > /dev/null 2>&1
cat "$T/run.err" >&2
)SH");
    explain = run_sandboxed(tmp_.path(), vars, R"SH(
cd "$T"
"$N" explain "$PROFILE" --cgroup-parent "$PARENT" > "$T/explain.sh" || exit 99
PATH=$PATH_PREFIX$PATH sh "$T/explain.sh" 2> "$T/explain.err"
echo "rc=$?"
cat "$T/explain.err" >&2
)SH");
  }

  static std::map<std::string, std::string> key_values(const std::string& text) {
    std::map<std::string, std::string> out;
    for (const auto& l : lines_of(text))
      if (size_t eq = l.find('='); eq != std::string::npos && eq > 0) out[l.substr(0, eq)] = l.substr(eq + 1);
    return out;
  }
};

TEST_F(RunExplainTest, ExplainScriptObservesWhatRunObserves) {
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"memory", "pids"})) return;
  const std::string common =
      "cgroup:\n"
      "  memory: {max: 256M}\n"
      "  pids: {max: 64}\n"
      "namespaces:\n"
      "  uts: {hostname: nsplan-t-explain}\n"
      "  pid: {}\n"
      "  mnt: {proc: true}\n"
      "limits:\n"
      "  nofile: {soft: 321, hard: 654}\n"
      "run:\n"
      "  init: false\n"  // as in the script, the command is PID 1
      "  cwd: /usr\n"
      "  env: {NSPLAN_T_FOO: 'two  words', NSPLAN_T_Q: 'it''s $HOME \"x\"'}\n";
  const std::string inner =
      "echo \"hostname=$(hostname)\"; echo \"pid=$$\"; echo \"pid1=$(cat /proc/1/comm)\"; "
      "echo \"nofile=$(ulimit -Sn)/$(ulimit -Hn)\"; echo \"foo=$NSPLAN_T_FOO\"; echo \"q=$NSPLAN_T_Q\"; "
      "echo \"pwd=$(pwd -P)\"; echo \"shell_pwd=$PWD\"; "
      "grep -E \":(memory|pids):|^0::\" /proc/self/cgroup | sed \"s/^/cgroup=/\"";
  // The shell's view (a shell repairs $PWD itself) ...
  std::string obs = profile("explain-obs", common + "  command: " + yaml_list({"sh", "-c", inner}) + "\n");
  RunResult run, explain;
  both(obs, *parent, run, explain);
  ASSERT_EQ(run.code(), 0) << run.describe();
  ASSERT_EQ(explain.code(), 0) << explain.describe();
  EXPECT_EQ(script_value(run.out, "rc"), "0") << run.describe();
  EXPECT_EQ(script_value(explain.out, "rc"), "0") << explain.describe();
  auto a = key_values(run.out), b = key_values(explain.out);
  EXPECT_EQ(a["hostname"], "nsplan-t-explain") << run.describe();
  EXPECT_EQ(a["pid"], "1") << run.describe();
  EXPECT_EQ(a["nofile"], "321/654") << run.describe();
  EXPECT_EQ(a["foo"], "two  words") << run.describe();
  EXPECT_EQ(a["q"], "it's $HOME \"x\"") << run.describe();
  EXPECT_EQ(a["pwd"], "/usr") << run.describe();
  EXPECT_EQ(a, b) << "nsplan run:\n" << run.describe() << "\nexplain | sh:\n" << explain.describe();

  // ... and a program's: the whole environment as `env` prints it.
  std::string env = profile("explain-env", common + "  command: [env]\n");
  both(env, *parent, run, explain);
  ASSERT_EQ(run.code(), 0) << run.describe();
  ASSERT_EQ(explain.code(), 0) << explain.describe();
  auto ea = key_values(run.out), eb = key_values(explain.out);
  ea.erase("rc");
  eb.erase("rc");
  EXPECT_EQ(eb["PWD"], "/usr") << explain.describe();
  EXPECT_EQ(ea["PWD"], "/usr") << "nsplan run leaves $PWD as it was in nsplan's environment while the command "
                                  "runs in run.cwd; the explain script's `cd` sets it\n"
                               << run.describe();
  // OLDPWD is an artefact of the script's `cd`.
  eb.erase("OLDPWD");
  ea.erase("OLDPWD");
  ea.erase("PWD");
  eb.erase("PWD");
  EXPECT_EQ(ea, eb) << "nsplan run:\n" << run.describe() << "\nexplain | sh:\n" << explain.describe();
}

// The same with a user namespace. unshare --map-users runs newuidmap/newgidmap; the test puts
// stand-ins on PATH that write the maps as a privileged newuidmap would (no /etc/subuid needed),
// so that what is compared is the script's own rendering.
TEST_F(RunExplainTest, ExplainScriptWithAUserNamespaceObservesWhatRunObserves) {
  std::unique_ptr<CgroupParent> parent;
  if (!make_parent(parent, {"pids"})) return;
  std::string bin = tmp_.file("bin");
  ASSERT_EQ(::mkdir(bin.c_str(), 0755), 0);
  for (const char* kind : {"uid", "gid"}) {
    std::string stand_in = bin + "/new" + kind + "map";
    ASSERT_TRUE(write_text(stand_in,
                           "#!/bin/sh\n"
                           "# test stand-in for new" + std::string(kind) + "map PID INSIDE OUTSIDE COUNT...\n"
                           "pid=$1; shift; m=''\n"
                           "while [ $# -ge 3 ]; do m=\"$m$1 $2 $3\n\"; shift 3; done\n"
                           "printf '%s' \"$m\" > /proc/$pid/" + kind + "_map\n"));
    ASSERT_EQ(::chmod(stand_in.c_str(), 0755), 0) << stand_in;
  }
  const std::string inner =
      "echo \"uid=$(id -u)\"; echo \"gid=$(id -g)\"; echo \"hostname=$(hostname)\"; echo \"pid=$$\"; "
      "echo \"uid_map=$(tr -s \" \" < /proc/self/uid_map)\"";
  std::string p = profile("explain-user",
                          "cgroup:\n  pids: {max: 64}\n"
                          "namespaces:\n"
                          "  user: {uid_map: \"0 100000 65536\", gid_map: \"0 100000 65536\"}\n"
                          "  uts: {hostname: nsplan-t-explain}\n"
                          "  pid: {}\n"
                          "  mnt: {proc: true}\n"
                          "run:\n  init: false\n  command: " + yaml_list({"sh", "-c", inner}) + "\n");
  RunResult run, explain;
  both(p, *parent, run, explain, bin + ":");
  ASSERT_EQ(run.code(), 0) << run.describe();
  ASSERT_EQ(explain.code(), 0) << explain.describe();
  auto a = key_values(run.out), b = key_values(explain.out);
  EXPECT_EQ(a["rc"], "0") << run.describe();
  EXPECT_EQ(a["uid"], "0") << run.describe();
  EXPECT_EQ(a["hostname"], "nsplan-t-explain") << run.describe();
  EXPECT_EQ(a, b) << "nsplan run:\n" << run.describe() << "\nexplain | sh:\n" << explain.describe();
}

}  // namespace
}  // namespace nsplan::kernel_test
