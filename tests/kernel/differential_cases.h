// The profiles of the differential test (differential_test.cc): hand-written ones for the hard
// cases, and profiles drawn by a seeded generator, which together use every field of the format
// (the test checks that against the schema table). Each case is a profile text plus what the
// sandbox needs before it (a veth pair to move in, namespaces to join, directories to mount on),
// made the same way in both sandboxes.
//
// Names carry the test prefixes (kernel_test_env.h): profiles, namespaces and hostnames
// "nsplan-t-<pid>-...", interfaces "nspt<pid%10000>...". Mounts happen below the test's temp
// dir (TMP/m, TMP/root), in the mount namespaces of the commands; cgroups below the test's parent.
//
// This host's kernel has veth, bridge and macvlan but no dummy, ipvlan or 8021q (tests/vm has
// them): links use the first three only, and the field `id` (vlan) is not used (see
// kFieldsNotUsedHere).
#pragma once
#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace nsplan::kernel_test {

// What the cases need to know of the test run.
struct CaseEnv {
  std::string tmp;       // the test's temp dir (absolute, mode 0755)
  std::string prefix;    // "nsplan-t-<pid>"
  std::string ifprefix;  // "nspt<pid%10000>"
  std::string probe;     // the probe binary (tests/helpers/probe.cc)
  std::string disk;      // a whole block disk, /dev/..., or "" when the host has none
  std::string unified;   // the cgroup2 mount beside v1 controllers (hybrid host), or "" 
  std::string huge_page; // the smallest huge page size ("2M") where nsplan can set hugetlb, or ""
  bool net_cgroups = false;  // net_cls and net_prio: v1 hierarchies mounted, or v2 (lossy there)
  bool uclamp_known = false;  // the probe could tell whether cpu.uclamp.* exist (else apply would be the judge)
  uint32_t seed = 1;     // of the generator
  int generated = 10;    // how many generated profiles
};

struct DiffCase {
  std::string name;   // a gtest parameter name
  std::string yaml;   // the profile
  std::string setup;     // sh run in each sandbox before the profile is applied or run (N: nsplan,
                         // PARENT: the test's parent cgroup)
  std::string teardown;  // sh run in each sandbox after the profile is destroyed and observed
  std::vector<std::string> keep_links;  // links setup made that stay after destroy
  std::vector<std::string> join_paths;  // nsfs files setup made (joined by path or name)
  bool launch = false;                  // has a run section
  std::string cgroup_root;              // --cgroup-root for every nsplan command ("": the probed one)
};

// Field paths (as in the schema table) no case can use on this host, and why. The coverage test
// requires every other field.
inline const std::vector<std::pair<std::string, std::string>> kFieldsNotUsedHere = {
    {"network.links[].id", "vlan id: this host kernel has no 8021q (tests/vm has it)"},
    {"run.seccomp.allow", "sh cannot install a filter: the sides would differ by design (tests/kernel/seccomp_init_test.cc)"},
    {"run.seccomp.deny", "as run.seccomp.allow"},
    {"run.seccomp.action", "as run.seccomp.allow"},
    {"run.seccomp.errno", "as run.seccomp.allow"},
    {"namespaces.net.rootless", "pasta needs a host-side route to copy, which the differential sandbox has not: "
                                "tests/kernel/rootless_net_test.cc runs explain | sh and run, as root and as uid 1000"},
    {"cgroup.misc", "no kernel here has a misc resource (SEV, TDX): any would be refused (tests/kernel/small_controllers_test.cc)"},
    {"cgroup.rdma[].device", "no kernel here has an RDMA device: any would be refused (small_controllers_test.cc)"},
    {"cgroup.rdma[].hca_handle", "as cgroup.rdma[].device"},
    {"cgroup.rdma[].hca_object", "as cgroup.rdma[].device"},
    {"cgroup.cpu.rt_runtime", "the cases' parent cgroup has no rt runtime when the plan is made, and the planner refuses "
                              "more than the parent gives (tests/kernel/io_weight_rt_test.cc gives its parent runtime first)"},
    {"cgroup.cpu.rt_period", "as cgroup.cpu.rt_runtime"},
    {"cgroup.io.device_weights[].device", "v2 takes a device's weight only where iocost is enabled on the disk, which no VM "
                                          "does; v1 hosts without BFQ warn (io_weight_rt_test.cc covers both)"},
    {"cgroup.io.device_weights[].weight", "as cgroup.io.device_weights[].device"},
    {"namespaces.cgroup.join", "the planner refuses join for cgroup namespaces (only net, uts, ipc are persisted by name)"},
    {"namespaces.mnt.join", "the planner refuses join for mnt namespaces (only net, uts, ipc are persisted by name)"},
    {"namespaces.pid.join", "the planner refuses join for pid namespaces (only net, uts, ipc are persisted by name)"},
    {"namespaces.time.join", "the planner refuses join for time namespaces (only net, uts, ipc are persisted by name)"},
    {"namespaces.user.join", "the planner refuses join for user namespaces (only net, uts, ipc are persisted by name)"},
    {"network.links[].private_key_file", "this host kernel has no wireguard (tests/kernel/tunnels_test.cc; the VM has it)"},
    {"network.links[].listen_port", "as network.links[].private_key_file"},
    {"network.links[].peers[].public_key", "as network.links[].private_key_file"},
    {"network.links[].peers[].endpoint", "as network.links[].private_key_file"},
    {"network.links[].peers[].allowed_ips", "as network.links[].private_key_file"},
    {"network.links[].peers[].persistent_keepalive", "as network.links[].private_key_file"},
    {"network.links[].peers[].preshared_key_file", "as network.links[].private_key_file"},
};

namespace cases_detail {

// Replaces every "@KEY@" of TEXT.
inline std::string fill(std::string text, const CaseEnv& e, const std::string& name) {
  const std::pair<const char*, std::string> keys[] = {
      {"@T@", e.tmp}, {"@P@", e.prefix}, {"@IF@", e.ifprefix}, {"@PROBE@", e.probe}, {"@DISK@", e.disk}, {"@NAME@", name}};
  for (const auto& [k, v] : keys)
    for (size_t at = text.find(k); at != std::string::npos; at = text.find(k, at + v.size())) text.replace(at, std::string(k).size(), v);
  return text;
}

// The directories and files the mounts of the cases use, under TMP (made in both sandboxes; the
// temp dir is shared, so this is idempotent).
inline const char* kMountTree =
    "mkdir -p @T@/src/dir1/deep @T@/src/rw @T@/src/ro @T@/m/ro/rw @T@/m/ro/sub @T@/m/out @T@/m/s @T@/m/a @T@/m/b '@T@/m/sp ace'\n"
    "echo one > @T@/src/dir1/file1; echo two > @T@/src/file2; echo three > @T@/src/dir1/deep/file3\n"
    "chmod -R a+rX @T@/src @T@/m\n";

// A merged-/usr Debian root for mnt.root: the host's /usr bound in, bin/lib/sbin as symlinks
// into it, mount points for /proc, /tmp and /data, and the probe.
inline const char* kRootTree =
    "mkdir -p @T@/root/usr @T@/root/proc @T@/root/tmp @T@/root/data @T@/root/dev\n"
    "for l in bin lib lib64 sbin; do [ -L @T@/root/$l ] || ln -s usr/$l @T@/root/$l; done\n"
    "[ -x @T@/root/nsplan-probe ] || cp @PROBE@ @T@/root/nsplan-probe\n"
    "chmod -R a+rX @T@/root\n";

// Namespaces to join by path, made in the sandbox (under /run, its own tmpfs): each held by a
// process of the job (`unshare --fork`; the pid namespace needs its init alive) and bound on a
// file, as `ip netns add` keeps a network namespace: user, cgroup, time, mnt, uts, ipc, pid.
inline const char* kJoinables =
    "mkdir -p /run/@P@-join\n"
    "hold() {  # FILE KIND UNSHARE-COMMAND...\n"
    "  f=$1 k=$2; shift 2\n"
    "  \"$@\" --fork sleep 60 > /dev/null 2>&1 < /dev/null &\n"
    "  u=$! c= i=0\n"
    "  until [ -n \"$c\" ] || [ $i -ge 1000 ]; do read -r c < /proc/$u/task/$u/children 2> /dev/null || :; i=$((i+1)); [ -n \"$c\" ] || sleep 0.005; done\n"
    "  touch \"$f\" && mount --bind /proc/$c/ns/$k \"$f\"\n"
    "}\n"
    // Linux 6.18 refuses to bind a mount namespace whose id is below the caller's (its loop
    // check), and ids come in per-CPU batches: a new one made on another CPU may be lower.
    "hold_mnt() {\n"
    "  for cpu in $(seq 0 $(($(nproc) - 1))); do\n"
    "    hold \"$1\" mnt taskset -c $cpu unshare --mount 2> /dev/null && return 0\n"
    "  done\n"
    "  return 1\n"
    "}\n"
    "hold /run/@P@-join/user user unshare --user --map-root-user\n"
    "hold /run/@P@-join/cgroup cgroup unshare --cgroup\n"
    "hold /run/@P@-join/time time unshare --time --monotonic=1234 --boottime=5678\n"
    "hold_mnt /run/@P@-join/mnt\n"
    "hold /run/@P@-join/uts uts unshare --uts && nsenter --uts=/run/@P@-join/uts hostname @P@-joined\n"
    "hold /run/@P@-join/ipc ipc unshare --ipc\n"
    "hold /run/@P@-join/pid pid unshare --pid\n";

inline std::vector<std::string> joinable_paths(const CaseEnv& e) {
  std::vector<std::string> out;
  for (const char* k : {"user", "cgroup", "time", "mnt", "uts", "ipc", "pid"}) out.push_back("/run/" + e.prefix + "-join/" + k);
  return out;
}

// ---- the generator --------------------------------------------------------------------------

class Generator {
 public:
  Generator(const CaseEnv& e, int index) : e_(e), rng_(e.seed * 7919u + static_cast<uint32_t>(index)), index_(index) {}

  DiffCase make() {
    DiffCase c;
    c.name = "generated" + std::to_string(index_);
    std::string y = "nsplan: 1\nname: @P@-diff-@NAME@\n";
    if (chance(50)) y += "description: generated profile " + std::to_string(index_) + " (seed " + std::to_string(e_.seed) + ")\n";
    bool with_run = chance(80);
    if (chance(85)) y += cgroup(with_run);
    std::string setup = kMountTree;
    if (chance(65)) y += network(setup, c);
    if (with_run) {
      y += namespaces();
      if (chance(60)) y += limits();
      y += run();
      c.launch = true;
    }
    c.yaml = fill(y, e_, c.name);
    c.setup = fill(setup, e_, c.name);
    for (auto& l : c.keep_links) l = fill(l, e_, c.name);
    return c;
  }

 private:
  bool chance(int percent) { return static_cast<int>(rng_() % 100) < percent; }
  int below(int n) { return static_cast<int>(rng_() % static_cast<uint32_t>(n)); }
  template <class T>
  const T& pick(const std::vector<T>& v) { return v[static_cast<size_t>(below(static_cast<int>(v.size())))]; }

  std::string size() { return pick<std::string>({"64M", "128M", "256M", "300000000", "1G", "max"}); }

  std::string cgroup(bool with_run) {
    std::string y = "cgroup:\n";
    if (chance(50)) y += "  path: " + pick<std::string>({"g" + std::to_string(index_), "a/g" + std::to_string(index_), "deep/er/leaf"}) + "\n";
    if (with_run && chance(40)) y += "  ephemeral: true\n";
    int sections = 0;
    if (chance(60)) {
      ++sections;
      y += "  memory:\n";
      bool max = chance(70);
      if (max) y += "    max: " + pick<std::string>({"256M", "512M", "1G"}) + "\n";
      if (max && chance(50)) y += "    swap: " + pick<std::string>({"0", "64M", "max"}) + "\n";
      if (chance(40)) y += "    soft: " + pick<std::string>({"32M", "128M"}) + "\n";
      if (chance(25)) y += "    high: " + size() + "\n";
      if (chance(25)) y += "    low: " + pick<std::string>({"16M", "max"}) + "\n";
      if (chance(25)) y += "    min: 8M\n";
    }
    if (chance(50)) {
      ++sections;
      y += "  cpu:\n";
      if (chance(50)) y += "    weight: " + pick<std::string>({"1", "50", "100", "250", "10000"}) + "\n";
      else if (chance(60)) y += "    shares: " + pick<std::string>({"2", "512", "1024", "4096"}) + "\n";
      if (chance(70)) {
        std::string max = pick<std::string>({"50%", "150%", "1.5", "0.25", "20000/100000", "max"});
        y += "    max: \"" + max + "\"\n";
        if (max.find('/') == std::string::npos && chance(50)) y += "    period: " + pick<std::string>({"10000", "50000", "200000"}) + "\n";
      }
    }
    if (chance(35)) {
      ++sections;
      y += "  cpuset:\n";
      y += "    cpus: \"" + pick<std::string>({"0", "0-1", "1"}) + "\"\n";
      if (chance(50)) y += "    mems: \"0\"\n";
    }
    if (chance(50) || sections == 0) y += "  pids:\n    max: " + pick<std::string>({"64", "512", "max"}) + "\n";
    if (chance(30)) {
      y += "  io:\n";
      if (chance(60)) y += "    weight: " + pick<std::string>({"10", "100", "1000"}) + "\n";
      else if (chance(50)) y += "    blkio_weight: " + pick<std::string>({"10", "500", "1000"}) + "\n";
      if (!e_.disk.empty()) {
        y += "    devices:\n      - device: @DISK@\n";
        if (chance(70)) y += "        rbps: " + pick<std::string>({"10M", "1G"}) + "\n";
        if (chance(50)) y += "        wbps: 5M\n";
        if (chance(50)) y += "        riops: " + pick<std::string>({"1000", "max"}) + "\n";
        y += "        wiops: 200\n";
      }
    }
    return y;
  }

  // Namespaces ns0/ns1, veth pairs between the host and them (a bridge on the host for some),
  // maybe a macvlan on a veth end, maybe a device moved in, routes between them.
  std::string network(std::string& setup, DiffCase& c) {
    const std::string n = std::to_string(index_);
    const std::string ns0 = "@P@-g" + n + "a", ns1 = "@P@-g" + n + "b";
    bool two = chance(50);
    std::string y = "network:\n  namespaces: [" + ns0 + (two ? ", " + ns1 : "") + "]\n  links:\n";
    bool bridge = chance(50);
    bool v6 = chance(60);
    if (bridge) {
      y += "    - name: @IF@g" + n + "br\n      kind: bridge\n";
      y += "      addresses: [10." + std::to_string(100 + index_) + ".0.1/24" + (v6 ? ", \"fd00:" + n + "::1/64\"" : "") + "]\n";
      if (chance(30)) y += "      mtu: 1400\n";
    }
    int pairs = two ? 2 : 1;
    for (int k = 0; k < pairs; ++k) {
      std::string ks = std::to_string(k), ns = k == 0 ? ns0 : ns1;
      std::string subnet = "10." + std::to_string(100 + index_) + "." + std::to_string(bridge ? 0 : k + 1) + ".";
      y += "    - name: @IF@g" + n + "h" + ks + "\n      kind: veth\n";
      if (bridge) y += "      master: @IF@g" + n + "br\n";
      else y += "      addresses: [" + subnet + "1/24]\n";
      if (chance(30)) y += "      mtu: " + pick<std::string>({"1280", "1500", "9000"}) + "\n";
      y += "      peer:\n        name: @IF@g" + n + "p" + ks + "\n        netns: " + ns + "\n";
      y += "        addresses: [" + subnet + std::to_string(k + 2) + "/24" +
           (v6 && bridge ? ", \"fd00:" + n + "::" + std::to_string(k + 2) + "/64\"" : "") + "]\n";
      if (chance(30)) y += "        mtu: 1400\n";
      // A namespace end left down has no connected route: routes below use the first pair's.
      if (k > 0 && chance(30)) y += "        up: false\n";
    }
    bool macvlan = chance(40);
    if (macvlan) {
      // On the namespace end of the first pair: its parent is a link of the profile there.
      y += "    - name: @IF@g" + n + "mv\n      kind: macvlan\n      netns: " + ns0 + "\n      parent: @IF@g" + n + "p0\n";
      if (chance(50)) y += "      parent_netns: " + ns0 + "\n";
      y += "      mode: " + pick<std::string>({"bridge", "private", "vepa"}) + "\n";
      y += "      addresses: [\"10." + std::to_string(100 + index_) + ".9.1/24\"]\n";
    }
    bool device = chance(35);
    if (device) {
      setup += "ip link add @IF@g" + n + "d0 type veth peer name @IF@g" + n + "d1\n";
      c.keep_links = {"@IF@g" + n + "d0", "@IF@g" + n + "d1"};
      y += "    - name: @IF@g" + n + "d1\n      kind: device\n      netns: " + (two ? ns1 : ns0) + "\n";
      y += "      addresses: [10." + std::to_string(100 + index_) + ".8.2/24]\n";
      if (chance(50)) y += "      up: " + pick<std::string>({"true", "false"}) + "\n";
    }
    y += "  routes:\n";
    std::string gw = "10." + std::to_string(100 + index_) + "." + (bridge ? "0" : "1") + ".1";
    y += "    - {netns: " + ns0 + ", to: default, via: " + gw + "}\n";
    if (chance(50)) y += "    - {netns: " + ns0 + ", to: 192.168." + n + ".0/24, dev: @IF@g" + n + "p0, metric: 50}\n";
    if (v6 && bridge)
      y += "    - {netns: " + ns0 + ", to: \"fd00:" + n + ":1::/64\", via: \"fd00:" + n + "::1\", metric: 7, table: " + pick<std::string>({"100", "5000"}) + "}\n";
    if (chance(40)) y += "    - {to: 172.31." + n + ".0/24, via: 10." + std::to_string(100 + index_) + "." + (bridge ? "0" : "1") + ".2}\n";
    return y;
  }

  std::string namespaces() {
    std::string y = "namespaces:\n";
    int any = 0;
    if (chance(50)) {
      ++any;
      y += "  uts:";
      if (chance(70)) y += " {hostname: @P@-g" + std::to_string(index_) + (chance(50) ? ", domainname: dom" + std::to_string(index_) : "") + "}\n";
      else y += " {}\n";
    }
    if (chance(40)) ++any, y += "  ipc: {}\n";
    bool pid = chance(45);
    if (pid) ++any, y += "  pid: {}\n";
    if (chance(45)) ++any, y += "  net: {}\n";
    if (chance(30)) ++any, y += "  cgroup: {}\n";
    if (chance(25)) {
      ++any;
      y += "  time: {" + std::string(chance(70) ? "monotonic: " + std::to_string(below(100000)) : "") ;
      y += std::string(y.back() == '{' ? "" : ", ") + "boottime: " + std::to_string(86400 + below(86400)) + "}\n";
    }
    if (chance(60)) {
      ++any;
      const std::string g = "@T@/m/a";
      y += "  mnt:\n";
      if (chance(40)) y += "    propagation: " + pick<std::string>({"private", "slave", "shared"}) + "\n";
      if (pid && chance(70)) y += "    proc: true\n";
      bool tmpfs = chance(60);
      if (tmpfs) y += "    tmpfs:\n      - {path: " + g + ", size: " + pick<std::string>({"1M", "16M"}) + ", mode: \"" + pick<std::string>({"755", "1777", "700"}) + "\"}\n";
      if (chance(60)) {
        y += "    bind:\n";
        if (tmpfs) y += "      - {source: @T@/src/dir1, target: " + g + "/in/dir}\n";
        y += "      - {source: @T@/src/rw, target: @T@/m/b" + std::string(chance(50) ? ", read_only: true" : "") + "}\n";
      }
      if (chance(50)) y += "    read_only: [" + pick<std::string>({"@T@/m", "/usr", "@T@/src"}) + "]\n";
    }
    return any ? y : "";
  }

  // A limit below the usual hard limits of a host (nsplan may run without CAP_SYS_RESOURCE,
  // which raising one needs; this test's host has none).
  std::string rlimit() {
    switch (below(2)) {
      case 0: return std::to_string(512 + below(512));
      default: return "{soft: " + std::to_string(256 + below(256)) + ", hard: " + std::to_string(768 + below(256)) + "}";
    }
  }

  std::string limits() {
    std::string y = "limits:\n";
    // Values a shell can still work under (the script runs prlimit, setpriv and env after them).
    if (chance(50)) y += "  nofile: {soft: " + std::to_string(256 + below(512)) + ", hard: " + std::to_string(1024 + below(1024)) + "}\n";
    if (chance(40)) y += "  core: " + pick<std::string>({"0", "unlimited", "{soft: 0, hard: 1048576}"}) + "\n";
    if (chance(30)) y += "  cpu: " + pick<std::string>({"3600", "unlimited"}) + "\n";
    if (chance(30)) y += "  fsize: " + pick<std::string>({"1073741824", "unlimited"}) + "\n";
    if (chance(30)) y += "  nproc: " + std::to_string(1000 + below(1000)) + "\n";
    if (chance(30)) y += "  stack: " + pick<std::string>({"8388608", "{soft: 8388608, hard: 16777216}", "unlimited"}) + "\n";
    if (chance(25)) y += "  memlock: " + pick<std::string>({"65536", "8388608"}) + "\n";
    if (chance(25)) y += "  msgqueue: " + rlimit() + "\n";
    if (chance(25)) y += "  sigpending: " + rlimit() + "\n";
    if (chance(25)) y += "  locks: " + rlimit() + "\n";
    if (y == "limits:\n") y += "  nofile: 4096\n";
    return y;
  }

  std::string run() {
    std::string y = "run:\n  command: [@PROBE@]\n";
    if (chance(50)) y += "  cwd: " + pick<std::string>({"/usr", "/tmp", "@T@/src"}) + "\n";
    if (chance(60)) {
      y += "  env:\n    NSPLAN_T_GEN: \"" + std::to_string(index_) + " two  words\"\n";
      if (chance(50)) y += "    NSPLAN_T_SECRET: overridden\n";
      if (chance(30)) y += "    PATH: /usr/bin:/bin\n";
    }
    if (chance(30)) y += "  clear_env: true\n";
    if (chance(35)) {
      y += "  uid: " + pick<std::string>({"1000", "65534"}) + "\n";
      if (chance(50)) y += "  gid: " + pick<std::string>({"100", "1000"}) + "\n";
    }
    if (chance(30)) y += "  groups: [" + pick<std::string>({"5", "5, 100", "27"}) + "]\n";
    if (chance(30)) y += "  no_new_privs: true\n";
    // The caller holds 4, 6 and 9 (a descriptor that is not open is refused: KeptDescriptorNotOpen...).
    if (chance(40)) y += "  keep_fds: [" + pick<std::string>({"4", "6", "4, 9", "6, 9"}) + "]\n";
    return y;
  }

  const CaseEnv& e_;
  std::mt19937 rng_;
  int index_;
};

}  // namespace cases_detail

// ---- the hand-written cases -------------------------------------------------------------------

inline std::vector<DiffCase> hand_written_cases(const CaseEnv& e) {
  using cases_detail::fill;
  std::vector<DiffCase> out;
  auto add = [&](const std::string& name, const std::string& yaml, const std::string& setup = "",
                 std::vector<std::string> keep_links = {}, std::vector<std::string> join_paths = {},
                 const std::string& teardown = "") {
    DiffCase c;
    c.name = name;
    c.yaml = fill("nsplan: 1\nname: @P@-diff-@NAME@\n" + yaml, e, name);
    c.setup = fill(std::string(cases_detail::kMountTree) + setup, e, name);
    for (auto& l : keep_links) c.keep_links.push_back(fill(l, e, name));
    c.join_paths = std::move(join_paths);
    c.teardown = fill(teardown, e, name);
    c.launch = yaml.find("\nrun:") != std::string::npos || yaml.rfind("run:", 0) == 0;
    out.push_back(std::move(c));
  };

  // Mount orders: a bind into a tmpfs (a directory and a file), a bind out of a tmpfs, a tmpfs
  // and a bind stacked on one path, read-only over submounts (recursive, the hidden one too),
  // a rw bind below a read-only path, a read-only bind.
  add("mount_orders",
      "cgroup: {cpu: {weight: 300}, pids: {max: 100}}\n"
      "namespaces:\n"
      "  pid: {}\n"
      "  mnt:\n"
      "    proc: true\n"
      "    tmpfs:\n"
      "      - {path: @T@/m/a, size: 4M}\n"
      "      - {path: @T@/m/s, mode: \"755\"}\n"
      "      - {path: @T@/m/ro/sub}\n"
      "    bind:\n"
      "      - {source: @T@/src/dir1, target: @T@/m/a/in/dir}\n"
      "      - {source: @T@/src/file2, target: @T@/m/a/in/file}\n"
      "      - {source: @T@/m/a/made, target: @T@/m/out}\n"
      "      - {source: @T@/src/ro, target: @T@/m/s}\n"
      "      - {source: @T@/src/rw, target: @T@/m/ro/rw}\n"
      "      - {source: @T@/src/dir1, target: @T@/m/b, read_only: true}\n"
      "      - {source: @T@/src/rw, target: @T@/m/sp ace}\n"
      "    read_only: [@T@/m/ro, @T@/m/s, \"@T@/m/sp ace\"]\n"
      "run:\n"
      "  init: false\n"  // the probe is PID 1 on both sides (generated cases keep nsplan's init)
      "  command: [@PROBE@]\n"
      "  cwd: @T@/m/a/in/dir\n",
      // A mount below a bind's source: the bind takes it along (recursive) and makes it read-only.
      "mountpoint -q @T@/src/dir1/deep || mount -t tmpfs -o size=1M,mode=755 tmpfs @T@/src/dir1/deep\n");

  // namespaces.net.etc: the files bound read-only over the host's /etc/resolv.conf, hosts and
  // hostname; the keys that make the lines, and the literal forms. With a minimal /dev, mqueue
  // and a read-only sysfs (compiler/mount_extras.h). Not over a tmpfs on /etc: explain's
  // read-only remount runs awk, which Debian reaches through /etc/alternatives (a known gap of
  // the sh form: there the script's files stay writable).
  add("etc_files",
      "namespaces:\n"
      "  net:\n"
      "    etc:\n"
      "      resolv_conf: {nameservers: [192.0.2.53, \"2001:db8::53\"], search: [example.test], options: [ndots:2, edns0]}\n"
      "      hosts: {localhost: false, entries: [{address: 192.0.2.7, names: [db.example.test, db]}]}\n"
      "      hostname: @P@-etc\n"
      "  ipc: {}\n"
      "  mnt:\n"
      "    dev: true\n"
      "    mqueue: true\n"
      "    sysfs: true\n"
      "run:\n"
      "  command: [@PROBE@]\n",
      "");
  add("etc_text",
      "namespaces:\n"
      "  net:\n"
      "    etc:\n"
      "      resolv_conf: {text: \"nameserver 192.0.2.1\\noptions trust-ad\"}\n"
      "      hosts: {text: \"192.0.2.9 it's\\n\"}\n"
      "  mnt: {}\n"
      "run:\n"
      "  command: [@PROBE@]\n",
      "");

  // Overlays (a private tmpfs upper, a host upper and work, a read-only one) in a tmpfs of the
  // profile, then the directories, files and links the profile creates (compiler/mount_overlay.h);
  // the command shows them before the probe runs.
  add("overlay_created",
      "namespaces:\n"
      "  mnt:\n"
      "    tmpfs: [{path: @T@/m/a, size: 4M}]\n"
      "    overlay:\n"
      "      - {target: @T@/m/a/merged, lower: [@T@/src/rw, @T@/src/dir1], upper: tmpfs}\n"
      "      - {target: @T@/m/a/host, lower: [@T@/src/ro], upper: @T@/ovl/u, work: @T@/ovl/w}\n"
      "      - {target: @T@/m/a/ro, lower: [@T@/src/ro, @T@/src/dir1]}\n"
      "    dirs: [{path: @T@/m/a/merged/d, mode: \"0710\"}]\n"
      "    files: [{path: @T@/m/a/merged/d/f, text: \"it's\\n\", mode: \"0640\"}]\n"
      "    symlinks: [{path: @T@/m/a/l, target: merged/d/f}]\n"
      "run:\n"
      "  command: [sh, -c, 'cd @T@/m/a && stat -c \"%a %F %n\" merged/d merged/d/f l merged/file1 && cat l && "
      "(: > ro/x) 2> /dev/null; echo ro=$?; exec \"$0\"', @PROBE@]\n",
      "rm -rf @T@/ovl; mkdir -p @T@/ovl/u @T@/ovl/w\n");

  // read_only over the whole tree, with a pre-existing submount (made by the setup) below it.
  add("read_only_everything",
      "namespaces:\n"
      "  mnt:\n"
      "    propagation: slave\n"
      "    read_only: [/]\n"
      "run:\n"
      "  command: [@PROBE@]\n",
      "mountpoint -q @T@/m/ro/sub || mount -t tmpfs -o size=1M,nosuid tmpfs @T@/m/ro/sub\n");

  // A new root: merged-/usr Debian skeleton with /usr bound read-only, proc, a tmpfs on /tmp
  // with a file bound into it, a host directory on /data, uid without gid, groups.
  add("new_root",
      "cgroup: {ephemeral: true, memory: {max: 256M}, pids: {max: 64}}\n"
      "namespaces:\n"
      "  pid: {}\n"
      "  uts: {hostname: @P@-root}\n"
      "  mnt:\n"
      "    root: @T@/root\n"
      "    proc: true\n"
      "    tmpfs: [{path: /tmp, size: 8M}]\n"
      "    bind:\n"
      "      - {source: /usr, target: /usr, read_only: true}\n"
      "      - {source: @T@/src/dir1, target: /data}\n"
      "      - {source: @T@/src/file2, target: /tmp/file2}\n"
      "    read_only: [/data]\n"
      "limits: {nofile: 1024}\n"
      "run:\n"
      "  command: [/nsplan-probe]\n"
      "  uid: 1000\n"
      "  groups: [100]\n",
      cases_detail::kRootTree);

  // A new root without a cwd: where $PWD points after pivot_root.
  add("new_root_no_cwd",
      "namespaces:\n"
      "  mnt:\n"
      "    root: @T@/root\n"
      "    proc: true\n"
      "    bind: [{source: /usr, target: /usr}]\n"
      "run:\n"
      "  command: [/nsplan-probe]\n"
      "  env: {NSPLAN_T_X: x}\n",
      cases_detail::kRootTree);

  // An uplink: forwarding, a masquerade out of one host link, forwarded ports (nft's table and
  // the sysctl are observed). Forwarding starts off in both sandboxes: destroy's script writes
  // back the 0 of a new namespace, apply the value it found.
  add("uplink",
      "network:\n"
      "  namespaces: [@P@-up]\n"
      "  links:\n"
      "    - name: @IF@uh\n"
      "      kind: veth\n"
      "      addresses: [10.76.0.1/24]\n"
      "      peer: {name: @IF@up, netns: @P@-up, addresses: [10.76.0.2/24]}\n"
      "  routes:\n"
      "    - {netns: @P@-up, to: default, via: 10.76.0.1}\n"
      "  uplink:\n"
      "    netns: @P@-up\n"
      "    from: [10.76.0.0/24, 10.75.0.9/16]\n"
      "    out: @IF@uh\n"
      "    masquerade: true\n"
      "    forward_ports:\n"
      "      - {host_port: 8080, to: 10.76.0.2, to_port: 80, proto: tcp}\n"
      "      - {host_port: 5353, to: 10.76.0.2, proto: udp}\n",
      "echo 0 > /proc/sys/net/ipv4/ip_forward\n");

  // vxlans over a veth between two namespaces: one with its underlay (parent) and every key, one
  // without (its own namespace, the route to the remote), a multicast one. CONFIG_VXLAN=y here.
  add("vxlan",
      "network:\n"
      "  namespaces: [@P@-vxa, @P@-vxb]\n"
      "  links:\n"
      "    - name: @IF@ua\n"
      "      kind: veth\n"
      "      netns: @P@-vxa\n"
      "      addresses: [10.74.0.1/24]\n"
      "      peer: {name: @IF@ub, netns: @P@-vxb, addresses: [10.74.0.2/24]}\n"
      "    - {name: @IF@xa, kind: vxlan, netns: @P@-vxa, vni: 74, remote: 10.74.0.2, local: 10.74.0.1, port: 4790, ttl: 16,\n"
      "       parent: @IF@ua, addresses: [10.75.0.1/24], mtu: 1450}\n"
      "    - {name: @IF@xb, kind: vxlan, netns: @P@-vxb, vni: 74, remote: 10.74.0.1, port: 4790, addresses: [10.75.0.2/24]}\n"
      "    - {name: @IF@xg, kind: vxlan, netns: @P@-vxa, vni: 76, group: 239.1.1.74, parent: @IF@ua, port: 4791}\n");

  // IPv6 and IPv4 on veths between the host's bridge and two namespaces, routes with metric and
  // table, a link left down, mtus on both ends, a bridge inside a namespace with the peer as port.
  add("ipv6_bridges_routes",
      "network:\n"
      "  namespaces: [@P@-v6a, @P@-v6b]\n"
      "  links:\n"
      "    - {name: @IF@br, kind: bridge, addresses: [10.77.0.1/24, \"fd00:77::1/64\"], mtu: 1450}\n"
      "    - name: @IF@h0\n"
      "      kind: veth\n"
      "      master: @IF@br\n"
      "      mtu: 1450\n"
      "      peer: {name: @IF@p0, netns: @P@-v6a, addresses: [10.77.0.2/24, \"fd00:77::2/64\", \"fd00:78::2/64\"], mtu: 1450}\n"
      "    - {name: @IF@nbr, kind: bridge, netns: @P@-v6b, addresses: [\"fd00:79::1/64\"]}\n"
      "    - name: @IF@h1\n"
      "      kind: veth\n"
      "      netns: @P@-v6a\n"
      "      addresses: [\"fd00:79::2/64\"]\n"
      "      peer: {name: @IF@p1, netns: @P@-v6b, master: @IF@nbr, up: true}\n"
      "    - {name: @IF@dn, kind: bridge, up: false, addresses: [\"fd00:7a::1/64\"]}\n"
      "  routes:\n"
      "    - {netns: @P@-v6a, to: default, via: 10.77.0.1}\n"
      "    - {netns: @P@-v6a, to: default, via: \"fd00:77::1\"}\n"
      "    - {netns: @P@-v6a, to: \"fd00:80::/64\", via: \"fd00:79::1\", metric: 10, table: 200}\n"
      "    - {netns: @P@-v6b, to: \"fd00:77::/64\", via: \"fd00:79::2\", metric: 20}\n"
      "    - {to: \"fd00:81::/64\", dev: @IF@br}\n"
      "    - {to: 10.78.0.0/16, via: 10.77.0.2, metric: 3}\n");

  // A device moved in under another name (name_inside; one end of a veth pair the setup made, up,
  // with an address and a route: destroy gives it back so, under its name), a macvlan stacked on the moved device, macvlans stacked on a
  // host veth of the setup: one born in a namespace, one on the host (in the profile's group).
  add("device_and_stacked",
      "network:\n"
      "  namespaces: [@P@-dev]\n"
      "  links:\n"
      "    - {name: @IF@mv1, kind: device, netns: @P@-dev, name_inside: @IF@mv2, addresses: [10.66.0.2/24], mtu: 1400}\n"
      "    - {name: @IF@mac0, kind: macvlan, parent: @IF@s0, netns: @P@-dev, mode: private, addresses: [10.66.1.2/24]}\n"
      "    - {name: @IF@mac1, kind: macvlan, parent: @IF@mv2, parent_netns: @P@-dev, netns: @P@-dev, mode: passthru}\n"
      "    - {name: @IF@mac2, kind: macvlan, parent: @IF@s0, mode: vepa, addresses: [\"fd00:66::1/64\"]}\n",
      "ip link add @IF@mv0 type veth peer name @IF@mv1\nip link set @IF@mv1 up\n"
      "ip addr add 10.66.9.9/24 dev @IF@mv1\nip route add 10.67.0.0/16 via 10.66.9.1 dev @IF@mv1\n"
      "ip link add @IF@s0 type veth peer name @IF@s1\nip link set @IF@s0 up\nip link set @IF@s1 up\n",
      {"@IF@mv0", "@IF@mv1", "@IF@s0", "@IF@s1"});

  // A port of a bridge the host had before (host_bridges: checked, joined, never deleted), MAC
  // addresses on both ends of a veth and on a bridge of the profile.
  add("mac_and_host_bridge",
      "network:\n"
      "  namespaces: [@P@-hb]\n"
      "  host_bridges: [@IF@hb]\n"
      "  links:\n"
      "    - {name: @IF@hp, kind: veth, master: @IF@hb, mac: 02:00:00:00:4b:01,\n"
      "       peer: {name: @IF@hq, netns: @P@-hb, mac: \"02:00:00:00:4b:02\", addresses: [10.68.0.2/24]}}\n"
      "    - {name: @IF@hn, kind: bridge, netns: @P@-hb, mac: 02:00:00:00:4b:03}\n",
      "ip link add @IF@hb type bridge\nip link set @IF@hb up\n",
      {"@IF@hb"});

  // Persistent uts (hostname, domainname) and ipc namespaces, a persistent net namespace that
  // run joins, v1 cgroup values of every kind, the disk throttled, huge pages limited (in the VMs).
  add("persistent_namespaces",
      "cgroup:\n"
      "  path: per/sist\n"
      "  memory: {max: 1G, swap: 256M, soft: 512M, high: 900M, low: 1%, min: 32M, oom_group: true, swappiness: 30,\n"
      "           zswap_max: 64M}\n"
      "  cpu: {shares: 768, max: \"75%\", period: 20000, burst: 5000, idle: true" +
          std::string(e.uclamp_known ? ", uclamp_min: 10, uclamp_max: 90.5" : "") + "}\n"
      "  cpuset: {cpus: \"0-1\", mems: \"0\"}\n"
      "  pids: {max: 300}\n"
      "  io:\n"
      "    weight: 200\n" +
          std::string(e.disk.empty() ? "" : "    devices: [{device: @DISK@, rbps: 20M, wbps: max, riops: 500, wiops: 400}]\n") +
          (e.huge_page.empty() ? "" : "  hugetlb: [{page: " + e.huge_page + ", max: " + e.huge_page + ", reserved: max}]\n") +
          "  membership: [freezer, cpuacct]\n" +
          (e.net_cgroups ? "  net_cls: {classid: \"1:10\"}\n  net_prio: {ifpriomap: {lo: 2}}\n" : "") +
          // OCI's default device list: null, zero, full, random, urandom, tty, ptmx, pts.
          "  devices: {default: deny, allow: [c 1:3 rwm, c 1:5 rwm, c 1:7 rwm, c 1:8 rwm, c 1:9 rwm, c 5:0 rwm, c 5:2 rwm,\n"
          "                                   c 136:* rwm]}\n"
          "namespaces:\n"
          "  uts: {persist: @P@-uts, hostname: @P@-persisted, domainname: nsplan-t-domain}\n"
          "  ipc: {persist: @P@-ipc}\n"
          "  net: {persist: @P@-net}\n"
          "network:\n"
          "  links:\n"
          "    - name: @IF@pv\n"
          "      kind: veth\n"
          "      addresses: [10.55.0.1/24]\n"
          "      peer: {name: @IF@pvp, netns: @P@-net, addresses: [10.55.0.2/24]}\n"
          "run:\n"
          "  command: [@PROBE@]\n");

  // Joined namespaces: by name (a persisted net namespace of the profile, uts and ipc namespaces
  // persisted beforehand under nsplan's state dir) and by path (user, cgroup, time, mnt, pid).
  add("join_by_name",
      "network:\n"
      "  namespaces: [@P@-jnet]\n"
      "namespaces:\n"
      "  net: {join: @P@-jnet}\n"
      "  uts: {join: @P@-juts}\n"
      "  ipc: {join: @P@-jipc}\n"
      "run:\n"
      "  command: [@PROBE@]\n",
      "mkdir -p -m 0700 /run/nsplan/ns\n"
      "touch /run/nsplan/ns/@P@-juts.uts /run/nsplan/ns/@P@-jipc.ipc\n"
      "unshare --uts=/run/nsplan/ns/@P@-juts.uts hostname @P@-by-name\n"
      "unshare --ipc=/run/nsplan/ns/@P@-jipc.ipc true\n",
      {}, {"/run/nsplan/ns/" + e.prefix + "-juts.uts", "/run/nsplan/ns/" + e.prefix + "-jipc.ipc"});
  add("join_by_path",
      "namespaces:\n"
      "  cgroup: {path: /run/@P@-join/cgroup}\n"
      "  time: {path: /run/@P@-join/time}\n"
      "  mnt: {path: /run/@P@-join/mnt}\n"
      "  pid: {path: /run/@P@-join/pid}\n"
      "  uts: {path: /run/@P@-join/uts}\n"
      "  ipc: {path: /run/@P@-join/ipc}\n"
      "run:\n"
      "  command: [@PROBE@]\n",
      cases_detail::kJoinables, {}, cases_detail::joinable_paths(e));
  add("join_user_by_path",
      "namespaces:\n"
      "  user: {path: /run/@P@-join/user}\n"
      "  net: {path: /run/netns/@P@-jn}\n"
      "  uts: {}\n"
      "run:\n"
      "  command: [@PROBE@]\n",
      std::string(cases_detail::kJoinables) + "ip netns add @P@-jn\n", {},
      [&] {
        auto p = cases_detail::joinable_paths(e);
        p.push_back("/run/netns/" + e.prefix + "-jn");
        return p;
      }());

  // A new user namespace: maps of every form (two ranges: unshare maps only the first, which
  // the script says), setgroups allow with run.groups, uid and gid inside, a new time namespace.
  add("user_namespace",
      "cgroup: {pids: {max: 50}}\n"
      "namespaces:\n"
      "  user:\n"
      "    uid_map: [{inside: 0, outside: 200000, count: 1000}, \"1000 300000 10\"]\n"
      "    gid_map: \"0 200000 65536\"\n"
      "    setgroups: allow\n"
      "  uts: {hostname: @P@-user, domainname: userdom}\n"
      "  pid: {}\n"
      "  time: {monotonic: -100, boottime: 3600}\n"
      "  mnt: {proc: true, tmpfs: [{path: @T@/m/a}]}\n"
      "run:\n"
      "  command: [@PROBE@]\n"
      "  uid: 100\n"
      "  gid: 50\n"
      "  groups: [5]\n"
      "  no_new_privs: true\n");
  // No map at all: the command is the overflow uid there, and the steps inside still need the
  // capabilities of the new namespace (the script's inner sh keeps them with unshare --keep-caps,
  // and clears them again before the program, which has none under run).
  add("user_namespace_unmapped",
      "namespaces:\n"
      "  user: {}\n"
      "  net: {}\n"
      "  uts: {hostname: @P@-unmapped}\n"
      "run:\n"
      "  command: [@PROBE@]\n");
  add("user_namespace_root",
      "namespaces:\n"
      "  user: {uid_map: \"0 100000 65536\", gid_map: [\"0 100000 65536\"]}\n"
      "  net: {}\n"
      "  cgroup: {}\n"
      "run:\n"
      "  command: [@PROBE@]\n");

  // Identity without namespaces: uid without gid, groups only, keep_fds with one descriptor that
  // is not open, clear_env with env and cwd, every rlimit.
  add("identity_and_limits",
      "cgroup: {ephemeral: true, pids: {max: 40}, devices: {default: allow, deny: [\"b *:* m\", \"c 10:200 rwm\"]}}\n"
      "limits:\n"
      "  as: unlimited\n  core: {soft: 0, hard: unlimited}\n  cpu: 7200\n  data: unlimited\n  fsize: unlimited\n"
      "  locks: 1000\n  memlock: 65536\n  msgqueue: 819200\n  nice: 0\n  nofile: {soft: 512, hard: 4096}\n"
      "  nproc: 5000\n  rss: unlimited\n  rtprio: 0\n  rttime: unlimited\n  sigpending: 1000\n  stack: 8388608\n"
      "run:\n"
      "  command: [@PROBE@]\n"
      "  uid: 65534\n"
      "  keep_fds: [4, 9]\n"
      "  clear_env: true\n"
      "  env: {NSPLAN_T_ONLY: only, HOME: /nonexistent}\n"
      "  cwd: /tmp\n");
  add("groups_only",
      "run:\n"
      "  command: [@PROBE@]\n"
      "  groups: [10, 5]\n"
      "  keep_fds: [9]\n"
      "  env: {NSPLAN_T_SECRET: replaced, NSPLAN_T_QUOTES: 'it''s $HOME \"x\" `id` \\ a  b;', NSPLAN_T_EMPTY: ''}\n");
  // Process attributes and capabilities: explicit sets beside drop and add, a non-root uid
  // holding its ambient capability.
  add("process_attributes",
      "run:\n"
      "  command: [@PROBE@]\n"
      "  uid: 1000\n"
      "  umask: \"027\"\n"
      "  nice: 3\n"
      "  oom_score_adj: 200\n"
      "  ioprio: {class: best-effort, level: 5}\n"
      "  sched: {policy: batch, priority: 0}\n"
      "  cpus: \"0\"\n"
      "  capabilities:\n"
      "    drop: [all]\n"
      "    add: [net_admin]\n"
      "    bounding: [net_admin, net_raw, sys_time]\n"
      "    inheritable: [net_admin, net_raw]\n"
      "    ambient: [net_admin]\n");
  add("gid_only_nnp",
      "namespaces: {uts: {hostname: @P@-gid}, ipc: {}, net: {}}\n"
      "run:\n"
      "  command: [@PROBE@]\n"
      "  gid: 100\n"
      "  no_new_privs: true\n");
  // Cgroup v2 on a hybrid host: its cgroup2 mount beside the v1 controllers offers no controller
  // of the format (this test's host: only hugetlb), so no v2 value can be written there (tests/vm
  // runs a pure v2 machine, where every case is v2); the cgroups themselves, joining them, and an
  // ephemeral one's removal after the command can.
  // Another profile shares the cgroup ancestor: destroy removes what is only this profile's
  // (the ancestor in the memory hierarchy) and leaves the shared ancestor (in pids), decided on
  // what it finds (Kernel::cgroup_remove_unless_shared, rendered as a test in sh).
  add("shared_ancestor",
      "cgroup: {path: shared/mine, memory: {max: 128M}, pids: {max: 50}}\n"
      "run: {command: [@PROBE@]}\n",
      "printf 'nsplan: 1\\nname: @P@-diff-other\\ncgroup: {path: shared/other, pids: {max: 60}}\\n' > @T@/other.yaml\n"
      "\"$N\" apply @T@/other.yaml --cgroup-parent \"$PARENT\" > /dev/null\n",
      {}, {}, "\"$N\" destroy @P@-diff-other > /dev/null\n");

  // A cgroup given to nobody (cgroup.permissions): explain's chown, chmod and find must leave the
  // owners and modes apply leaves, in every hierarchy; names and numbers both.
  add("permissions",
      "cgroup:\n"
      "  path: given/away\n"
      "  pids: {max: 40}\n"
      "  permissions:\n"
      "    tasks: {user: nobody, group: \"65534\", mode: \"0664\"}\n"
      "    admin: {user: \"65534\", group: nogroup, dir_mode: \"0775\", file_mode: \"0644\"}\n");

  if (!e.unified.empty()) {
    add("cgroup_v2_unified",
        "cgroup: {path: v2/leaf, ephemeral: true}\n"
        "namespaces: {cgroup: {}}\n"
        "run:\n"
        "  command: [@PROBE@]\n");
    out.back().cgroup_root = e.unified;
  }
  return out;
}

// Every case: the hand-written ones, then ENV.generated drawn with ENV.seed.
inline std::vector<DiffCase> differential_cases(const CaseEnv& e) {
  std::vector<DiffCase> out = hand_written_cases(e);
  for (int i = 0; i < e.generated; ++i) out.push_back(cases_detail::Generator(e, i).make());
  return out;
}

}  // namespace nsplan::kernel_test
