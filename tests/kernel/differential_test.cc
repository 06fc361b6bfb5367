// The explain script does what apply and run do: a differential test on the real kernel.
//
// For every case of differential_cases.h (hand-written hard cases and seeded generated profiles,
// which together use every field of the format):
//
//  1. Apply. Sandbox A runs `nsplan explain P --no-run | sh`, sandbox B `nsplan apply P`, one
//     after the other under the same cgroup parent (made afresh between them, so that paths are
//     equal). Each is observed with tools that are not nsplan: `ip -j -d link show`, `ip -j addr
//     show` (address flags: nodad, tentative), `ip -j -4/-6 route show table all` in the
//     sandbox's own network namespace and in every one under /run/netns; the mounts, modes and
//     hostnames of persistent namespaces (nsenter); every readable and writable cgroupfs file of
//     every cgroup at and below the test's parent. Then `nsplan explain --destroy | sh` in A and
//     `nsplan destroy` in B: both observations are compared again, and nothing of the profile may
//     be left in either.
//  2. Run. For a profile with a run section, whose command is the probe (tests/helpers/probe.cc:
//     ids, groups, capabilities, descriptors, environment, names, rlimits, cwd, interfaces,
//     namespaces, cgroups, id maps, time offsets, the mount table), `nsplan explain P | sh` runs
//     in one sandbox and `nsplan run P` in another, from a caller that holds descriptors 4, 6
//     and 9, a secret environment variable and the supplementary groups 4 and 27; the two
//     probe outputs must be equal. Descriptors above 9 are a difference the script documents
//     (sh names only 3..9): `nsplan run` alone is tested on those (RunClosesDescriptorsAboveNine).
//  3. Coverage: the cases use every field of the schema table but those kFieldsNotUsedHere lists.
//
// The command's stdin is a pipe on both sides (under `explain | sh` it is the script itself).
// Normalised, because two runs legitimately differ there: interface indexes and MAC addresses
// (and what is derived from them: bridge ids, EUI-64 link-local addresses, an operstate
// LOWERLAYERDOWN that reads DOWN when a peer's ifindex equals the link's own), the kernel's own
// link-local IPv6 addresses' DAD state and their local routes (the kernel's timer, not nsplan's
// addresses), bridge timers, namespace inode numbers (labelled: the caller's, a joined file's,
// or new), mount ids and anonymous device numbers (numbered by first appearance). Differences the
// script itself documents with a line "# nsplan run: ..." are normalised only when the script
// says so; they are listed in kDocumentedDifferences, with the one of destroy scripts,
// kDeviceGivenBack (a moved device's mtu, up state, addresses and routes after destroy). M-DOWN (ip's
// word for a peer that is down) is left out: the peer's own line says it. Two more are held to what the script says
// by tests of their own: descriptors above 9 (RunClosesDescriptorsAboveNine) and a new root
// without /proc, where the script stops at its umount (NewRootWithoutProcStopsTheScriptAtItsUmount).
// State that only nsplan keeps (its state, journal and lock files under /run/nsplan) is not
// observed.
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <nlohmann/json.hpp>
#include <regex>
#include <set>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "applier/probe.h"
#include "compiler/units.h"
#include "compiler/yaml_tree.h"
#include "schema/table.h"
#include "compiler/units.h"
#include "tests/kernel/differential_cases.h"
#include "tests/kernel/sandbox.h"

#ifndef NSPLAN_PROBE
#error "NSPLAN_PROBE (path of the probe helper) must be defined by the build"
#endif

namespace nsplan::kernel_test {
namespace {

using nlohmann::json;

// What the probe sees differently under the script than under nsplan run, by design. Each is
// normalised only when the script carries its "# nsplan run:" line (the first element).
struct DocumentedDifference {
  const char* script_line;  // "" = not a script line: shell noise, always normalised
  const char* why;
};
const DocumentedDifference kDocumentedDifferences[] = {
    {"", "OLDPWD: dash's cd exports it (the script's cd to run.cwd or around pivot_root); nsplan run has no shell"},
    {"# nsplan run: maps every id range; unshare maps only the first",
     "proc.uid_map/gid_map: only the first range is compared"},
    {"# nsplan run: the command dies with nsplan (parent-death signal SIGKILL)",
     "pdeathsig: nsplan run's command has SIGKILL, the script's none"},
    {"#   mount(8) reaches a mount by its path: one hidden under another mount keeps its mode",
     "ro/rw of a mount hidden under another one (not reachable by its path): not compared"},
    {"# nsplan run: its own init is PID 1 of the new pid namespace",
     "pid1: under nsplan run the probe is the child of nsplan's init, in the script PID 1 itself"},
};

// What the destroy script says it cannot give back: "# nsplan destroy: gives 'DEV' back as the
// host had it before apply (mtu, up, ...)". After destroy, such a device's mtu, up state (flags,
// operstate, qdisc), addresses and routes are not compared.
const char kDeviceGivenBack[] = "# nsplan destroy: gives '";

std::vector<std::string> devices_given_back(const std::string& teardown_script) {
  std::vector<std::string> out;
  for (const auto& l : lines_of(teardown_script))
    if (starts_with(l, kDeviceGivenBack)) {
      std::string rest = l.substr(sizeof kDeviceGivenBack - 1);
      out.push_back(rest.substr(0, rest.find('\'')));
    }
  return out;
}

// OBSERVED without what the destroy script documents it cannot give back to DEVICES.
std::vector<std::string> without_given_back_state(const std::vector<std::string>& observed, const std::vector<std::string>& devices) {
  std::vector<std::string> out;
  for (const auto& line : observed) {
    std::string kept = line;
    for (const auto& dev : devices) {
      if (starts_with(line, "net[-] addr " + dev + " ") || (starts_with(line, "net[-] route ") && contains(line, " dev=" + dev + " ")) ||
          (starts_with(line, "net[-] route dev=" + dev + " "))) {
        kept.clear();
        break;
      }
      if (starts_with(line, "net[-] link " + dev + " ")) {
        std::istringstream words(line);
        std::string w;
        kept.clear();
        while (words >> w)
          if (!starts_with(w, "mtu=") && !starts_with(w, "flags=") && !starts_with(w, "operstate=") && !starts_with(w, "qdisc="))
            kept += (kept.empty() ? "" : " ") + w;
        kept += " (mtu, up, addresses and routes not compared: the destroy script cannot give them back)";
      }
    }
    if (!kept.empty()) out.push_back(kept);
  }
  return out;
}

// ---- case environment ---------------------------------------------------------------------------

// The first whole block disk of this host (/dev/NAME), or "".
std::string whole_disk() {
  std::vector<std::string> names = list_dir("/sys/block");
  std::sort(names.begin(), names.end());
  for (const auto& n : names) {
    if (starts_with(n, "loop") || starts_with(n, "ram") || starts_with(n, "zram") || starts_with(n, "nbd")) continue;
    if (applier::whole_disk_number("/dev/" + n)) return "/dev/" + n;
  }
  return "";
}

uint32_t seed() {
  const char* s = std::getenv("NSPLAN_DIFF_SEED");
  return s ? static_cast<uint32_t>(std::strtoul(s, nullptr, 10)) : 1u;
}

CaseEnv case_env(const std::string& tmp) {
  CaseEnv e;
  e.tmp = tmp;
  e.prefix = test_prefix();
  e.ifprefix = ifname_prefix();
  e.probe = NSPLAN_PROBE;
  e.disk = whole_disk();
  // Huge pages: where nsplan's hierarchy has the hugetlb controller (the VMs, not this host).
  if (host_probe().ok && host_probe().facts.controllers.count("hugetlb") && host_probe().facts.huge_page_sizes &&
      !host_probe().facts.huge_page_sizes->empty())
    e.huge_page = units::format_bytes(host_probe().facts.huge_page_sizes->front());
  // uclamp: where the probe knows whether the kernel has it (absent: a lossy warning on both sides).
  e.uclamp_known = host_probe().ok && host_probe().facts.kernel_files.count("cpu.uclamp.min");
  if (host_probe().ok) {
    const HostFacts& f = host_probe().facts;
    e.net_cgroups = f.mode == CgroupMode::V2 || (f.controllers.count("net_cls") && f.controllers.count("net_prio"));
  }
  if (host_probe().ok && host_probe().facts.mode == CgroupMode::V1 && host_probe().facts.hybrid)
    e.unified = host_probe().facts.cgroup_root + "/unified";
  e.seed = seed();
  return e;
}

// Case names, for the test parameters (the cases themselves need the temp dir).
std::vector<std::string> case_names(bool launch_only) {
  std::vector<std::string> out;
  for (const auto& c : differential_cases(case_env("/tmp/x")))
    if (!launch_only || c.launch) out.push_back(c.name);
  return out;
}

// ---- comparing two lists of lines -----------------------------------------------------------------

// The identity of an observed line: its first three words ("net[ns] link NAME").
std::string identity_of(const std::string& line) {
  size_t end = 0;
  for (int words = 0; words < 3 && end != std::string::npos; ++words) end = line.find(' ', end + 1);
  return line.substr(0, end);
}

// The words of A that B lacks.
std::string words_only_in(const std::string& a, const std::string& b) {
  std::istringstream ia(a), ib(b);
  std::multiset<std::string> wb;
  for (std::string w; ib >> w;) wb.insert(w);
  std::string out;
  for (std::string w; ia >> w;)
    if (auto it = wb.find(w); it != wb.end()) wb.erase(it);
    else out += " " + w;
  return out;
}

// "" when equal; else the lines only one side has (and a note when only the order differs).
// Lines of one identity on both sides are shown as the words that differ.
std::string difference(const std::vector<std::string>& a, const std::vector<std::string>& b, const char* name_a,
                       const char* name_b) {
  if (a == b) return "";
  std::multiset<std::string> sa(a.begin(), a.end()), sb(b.begin(), b.end());
  std::vector<std::string> only_a, only_b;
  for (const auto& l : a)
    if (auto it = sb.find(l); it != sb.end()) sb.erase(it);
    else only_a.push_back(l);
  for (const auto& l : b)
    if (auto it = sa.find(l); it != sa.end()) sa.erase(it);
    else only_b.push_back(l);
  std::string out;
  for (const auto& l : only_a) {
    auto twin = std::find_if(only_b.begin(), only_b.end(), [&](const std::string& x) { return identity_of(x) == identity_of(l); });
    if (twin == only_b.end()) {
      out += std::string("  only ") + name_a + ": " + l + "\n";
      continue;
    }
    out += "  " + identity_of(l) + ": " + name_a + " has" + words_only_in(l, *twin) + "; " + name_b + " has" +
           words_only_in(*twin, l) + "\n";
    only_b.erase(twin);
  }
  for (const auto& l : only_b) out += std::string("  only ") + name_b + ": " + l + "\n";
  if (out.empty()) out = "  (the same lines in another order)\n";
  return out;
}

// ---- normalising -----------------------------------------------------------------------------------

std::string without_macs(const std::string& s) {
  static const std::regex mac("([0-9a-f]{1,2}:){5}[0-9a-f]{1,2}");  // bridge ids drop leading zeros
  return std::regex_replace(s, mac, "<mac>");
}

// "key=value" for every leaf of J (nested keys joined with '.'), MAC addresses replaced.
void flatten(const json& j, const std::string& prefix, std::vector<std::string>& out) {
  if (j.is_object()) {
    for (const auto& [k, v] : j.items()) flatten(v, prefix.empty() ? k : prefix + "." + k, out);
  } else if (j.is_array() && std::all_of(j.begin(), j.end(), [](const json& x) { return x.is_primitive(); })) {
    std::string v;
    for (const auto& x : j) v += (v.empty() ? "" : ",") + (x.is_string() ? x.get<std::string>() : x.dump());
    out.push_back(prefix + "=[" + without_macs(v) + "]");
  } else if (j.is_array()) {
    for (size_t i = 0; i < j.size(); ++i) flatten(j[i], prefix + "[" + std::to_string(i) + "]", out);
  } else {
    out.push_back(prefix + "=" + without_macs(j.is_string() ? j.get<std::string>() : j.dump()));
  }
}

std::string joined_words(const std::vector<std::string>& words) {
  std::string s;
  for (const auto& w : words) s += (s.empty() ? "" : " ") + w;
  return s;
}

json parse_json(const std::string& text, std::vector<std::string>& problems, const std::string& what) {
  try {
    return json::parse(text.empty() ? "[]" : text);
  } catch (const std::exception& e) {
    problems.push_back(what + ": not JSON: " + text.substr(0, 200));
    return json::array();
  }
}

bool kernel_link_local(const json& a) {
  return a.value("family", "") == "inet6" && starts_with(a.value("local", ""), "fe80:");
}

// Links of one namespace: by name, with their rank in creation order (ifindex) instead of the
// index itself; MACs, the peer's index and namespace id, and bridge timers left out.
void link_lines(const std::string& ns, const json& links, std::vector<std::string>& out) {
  std::vector<std::pair<long, std::string>> order;
  for (const auto& l : links) order.emplace_back(l.value("ifindex", 0L), l.value("ifname", "?"));
  std::sort(order.begin(), order.end());
  std::map<std::string, size_t> rank;
  for (size_t i = 0; i < order.size(); ++i) rank[order[i].second] = i;
  std::vector<std::string> lines;
  for (auto l : links) {
    std::string name = l.value("ifname", "?");
    for (const char* k : {"ifindex", "link_index", "link_netnsid"}) l.erase(k);
    // Without carrier, the kernel says DOWN rather than LOWERLAYERDOWN when the peer's ifindex
    // happens to equal the link's own (RFC 2863 policy in rfc2863_policy): a coincidence of numbering.
    if (l.value("operstate", "") == "LOWERLAYERDOWN") l["operstate"] = "DOWN";
    // M-DOWN is ip's word for "the peer in this namespace is down", compared on the peer's own line.
    if (l.contains("flags") && l["flags"].is_array()) {
      json flags = json::array();
      for (const auto& f : l["flags"])
        if (f != "M-DOWN") flags.push_back(f);
      l["flags"] = flags;
    }
    std::vector<std::string> kv;
    flatten(l, "", kv);
    std::vector<std::string> kept;
    for (const auto& x : kv) {
      std::string key = x.substr(0, x.find('='));
      if (key.size() > 6 && key.compare(key.size() - 6, 6, "_timer") == 0) continue;
      kept.push_back(x);
    }
    lines.push_back("net[" + ns + "] link " + name + " rank=" + std::to_string(rank[name]) + " " + joined_words(kept));
  }
  std::sort(lines.begin(), lines.end());
  out.insert(out.end(), lines.begin(), lines.end());
}

// Addresses of one namespace, per link in the order the kernel keeps them (which decides the
// primary of a subnet). The kernel's own link-local address stands for itself, without its DAD
// state.
void address_lines(const std::string& ns, const json& links, std::vector<std::string>& out) {
  std::vector<std::string> lines;
  for (const auto& l : links) {
    std::string name = l.value("ifname", "?");
    int i = 0;
    for (auto a : l.value("addr_info", json::array())) {
      if (kernel_link_local(a)) {
        a["local"] = "fe80::(the kernel's, from the MAC)";
        for (const char* k : {"tentative", "dadfailed", "optimistic"}) a.erase(k);
      }
      std::vector<std::string> kv;
      flatten(a, "", kv);
      lines.push_back("net[" + ns + "] addr " + name + " #" + std::to_string(i++) + " " + joined_words(kv));
    }
  }
  std::sort(lines.begin(), lines.end());
  out.insert(out.end(), lines.begin(), lines.end());
}

// Routes of one namespace. The local routes of the kernel's link-local addresses appear when
// their DAD ends (its timer): left out.
void route_lines(const std::string& ns, const json& routes, std::vector<std::string>& out) {
  std::vector<std::string> lines;
  for (const auto& r : routes) {
    if (r.value("type", "") == "local" && starts_with(r.value("dst", ""), "fe80:")) continue;
    std::vector<std::string> kv;
    flatten(r, "", kv);
    std::sort(kv.begin(), kv.end());
    lines.push_back("net[" + ns + "] route " + joined_words(kv));
  }
  std::sort(lines.begin(), lines.end());
  out.insert(out.end(), lines.begin(), lines.end());
}

// One mountinfo line, split.
struct MountLine {
  std::string id, parent, dev, root, point, options, optional, fstype, source, super;
};

std::optional<MountLine> parse_mount(const std::string& line) {
  std::istringstream in(line);
  std::vector<std::string> f;
  for (std::string w; in >> w;) f.push_back(w);
  auto dash = std::find(f.begin(), f.end(), "-");
  if (f.size() < 7 || dash == f.end() || dash + 1 == f.end()) return std::nullopt;
  MountLine m{f[0], f[1], f[2], f[3], f[4], f[5], "", *(dash + 1), dash + 2 < f.end() ? *(dash + 2) : "",
              dash + 3 < f.end() ? *(dash + 3) : ""};
  std::vector<std::string> opt;
  for (auto it = f.begin() + 6; it != dash; ++it) opt.push_back(it->substr(0, it->find(':')));  // shared:12 -> shared
  std::sort(opt.begin(), opt.end());
  m.optional = joined_words(opt);
  return m;
}

// Whether M is the mount found at its own path: walking from the first mount (the root) down
// the components of the path, following at each one the mounts stacked there.
bool reachable(const MountLine& m, const std::vector<MountLine>& ms) {
  if (ms.empty()) return false;
  const MountLine* cur = &ms.front();
  auto step_into = [&](const std::string& point) {
    for (bool moved = true; moved;) {
      moved = false;
      for (auto it = ms.rbegin(); it != ms.rend(); ++it)
        if (it->parent == cur->id && it->point == point && &*it != cur) {
          cur = &*it;
          moved = true;
          break;
        }
    }
  };
  for (size_t pos = 1; pos <= m.point.size(); ++pos)
    if (pos == m.point.size() || m.point[pos] == '/') step_into(m.point.substr(0, pos));
  return cur == &m;
}

// A mount table without ids: each mount by its mount point, its parent's mount point, the root
// inside its file system, type, source, per-mount and super block options and propagation; the
// device numbered by first appearance (two mounts of one tmpfs share a number). In table order.
// HIDDEN_MODE_UNKNOWN: the ro/rw of mounts not reachable by their path is left out.
std::vector<std::string> mount_lines(const std::vector<std::string>& raw, const std::string& prefix,
                                     bool hidden_mode_unknown = false) {
  std::vector<MountLine> ms;
  for (const auto& l : raw)
    if (auto m = parse_mount(l)) ms.push_back(*m);
  if (hidden_mode_unknown)
    for (auto& m : ms)
      if (&m != &ms.front() && !reachable(m, ms)) {
        std::string o = m.options;
        if (starts_with(o, "ro,") || starts_with(o, "rw,")) o = o.substr(3);
        else if (o == "ro" || o == "rw") o = "";
        m.options = "(hidden, ro/rw not compared)" + (o.empty() ? "" : "," + o);
      }
  std::map<std::string, std::string> point_of;
  for (const auto& m : ms) point_of[m.id] = m.point;
  std::map<std::string, int> dev_number;
  static const std::regex ns_inode("^([a-z_]+):\\[[0-9]+\\]$");
  std::vector<std::string> out;
  for (const auto& m : ms) {
    auto [it, fresh] = dev_number.emplace(m.dev, static_cast<int>(dev_number.size()));
    (void)fresh;
    auto parent = point_of.find(m.parent);
    out.push_back(prefix + m.point + " parent=" + (parent == point_of.end() ? "(outside)" : parent->second) +
                  " root=" + std::regex_replace(m.root, ns_inode, "$1") + " dev#" + std::to_string(it->second) + " type=" + m.fstype +
                  " source=" + m.source + " options=" + m.options + " super=" + m.super + " propagation=" + m.optional);
  }
  return out;
}

// ---- 1. the system after apply and after destroy ------------------------------------------------

// The observer: sections "@@ KIND NETNS" and their output. CGDIRS: the test's parent cgroups.
// Each link is first read alone (RTM_GETLINK of one device makes the kernel process the link's
// pending linkwatch event: its operstate, NO-CARRIER, a bridge port's state and its bridge's
// carrier follow a carrier change up to a second later otherwise); twice, for the bridges and
// stacked links whose state follows their ports' and lower devices'.
const char* kObserver = R"SH(
spaces=$(ip netns list | cut -d' ' -f1 | sort)
sync_links() { ip $1 -o link show | awk -F': ' '{ sub(/@.*/, "", $2); print "link show dev " $2 }' | ip $1 -batch - > /dev/null; }
for pass in 1 2; do sync_links ""; for ns in $spaces; do sync_links "-n $ns"; done; done
net() {
  echo "@@ link $1"; ip $2 -j -d link show
  echo "@@ addr $1"; ip $2 -j addr show
  echo "@@ route4 $1"; ip $2 -j -4 route show table all
  echo "@@ route6 $1"; ip $2 -j -6 route show table all
}
net - ""
for ns in $spaces; do net "$ns" "-n $ns"; done
echo "@@ files -"
for d in /run/netns /run/nsplan/ns; do
  [ -e "$d" ] && stat -c '%n %F %a %U:%G' "$d" && find "$d" -mindepth 1 -exec stat -c '%n %F %a %U:%G' {} + | sort
done
echo "@@ nft -"
nft list ruleset 2>&1
echo "@@ sysctl -"
echo "ip_forward $(cat /proc/sys/net/ipv4/ip_forward)"
echo "@@ uts -"
for f in /run/nsplan/ns/*.uts; do [ -e "$f" ] && echo "$f hostname=$(nsenter --uts="$f" hostname) domainname=$(nsenter --uts="$f" domainname)"; done
echo "@@ mounts -"
awk '$5 ~ "^/run/"' /proc/self/mountinfo
echo "@@ cgroup -"
[ -n "$CGDIRS" ] || exit 0
# v1's *max_usage_in_bytes are writable only to reset them: counters, not configuration.
find $CGDIRS \( -type d -o -type f -perm -u=rw ! -name '*max_usage_in_bytes' \) -printf '%y %p\n' | sort
find $CGDIRS -type f -perm -u=rw ! -name '*max_usage_in_bytes' -exec grep -H '' {} + 2>&1 | sort
# Owners and modes of every file (cgroup.permissions), read-only ones included.
find $CGDIRS -printf 'owner %p %U:%G %m\n' | sort
)SH";

std::vector<std::string> canonical_observation(const std::string& text) {
  std::vector<std::string> out, problems;
  std::string kind, ns, body;
  auto flush = [&] {
    if (kind.empty()) return;
    if (kind == "link") link_lines(ns, parse_json(body, problems, "ip link " + ns), out);
    else if (kind == "addr") address_lines(ns, parse_json(body, problems, "ip addr " + ns), out);
    else if (kind == "route4" || kind == "route6") route_lines(ns, parse_json(body, problems, "ip route " + ns), out);
    else if (kind == "mounts") {
      auto m = mount_lines(lines_of(body), "mount ");
      out.insert(out.end(), m.begin(), m.end());
    } else {
      for (const auto& l : lines_of(body)) out.push_back(kind + " " + l);
    }
    body.clear();
  };
  for (const auto& line : lines_of(text)) {
    if (starts_with(line, "@@ ")) {
      flush();
      std::istringstream in(line.substr(3));
      in >> kind >> ns;
      continue;
    }
    body += line + "\n";
  }
  flush();
  for (const auto& p : problems) out.push_back("PROBLEM " + p);
  return out;
}

std::vector<std::string> observe(Sandbox& sb, const std::string& cgdirs) {
  return canonical_observation(sb.run("CGDIRS=" + shq(cgdirs) + "\n" + kObserver).out);
}

// After a destroy the kernel still finishes some of it in a worker: a deleted namespace's devices
// are unregistered later, and a passthru macvlan gives its lower device's promiscuity back only
// then (seen once in three runs on a loaded host). So the state is read until three looks 100 ms
// apart agree, for 3 s at most.
std::vector<std::string> observe_settled(Sandbox& sb, const std::string& cgdirs) {
  std::vector<std::string> last = observe(sb, cgdirs);
  int same = 0;
  for (int i = 0; i < 30 && same < 2; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    std::vector<std::string> now = observe(sb, cgdirs);
    same = now == last ? same + 1 : 0;
    last = std::move(now);
  }
  return last;
}

struct ApplySide {
  std::string error;  // a step that failed, with its output
  std::vector<std::string> applied, destroyed, left;
};

// Leftovers of the profile, but what the case's setup made itself.
std::vector<std::string> profile_leftovers(Sandbox& sb, const CgroupParent* parent, const std::string& name, const DiffCase& c) {
  std::vector<std::string> out;
  for (const auto& l : leftovers_in(sb, parent, name, c.keep_links)) {
    // leftovers_in says "nsfs mount PATH" and "netns NAME".
    std::string path = starts_with(l, "nsfs mount ") ? l.substr(11) : starts_with(l, "netns ") ? "/run/netns/" + l.substr(6) : "";
    if (path.empty() || std::find(c.join_paths.begin(), c.join_paths.end(), path) == c.join_paths.end()) out.push_back(l);
  }
  return out;
}

// `nsplan VERB PROFILE --cgroup-parent ... [--cgroup-root ROOT] EXTRA` for case C.
std::string case_cmd(const DiffCase& c, const std::string& verb, const std::string& path, const Prepared& p,
                     const std::string& extra = "") {
  std::string root = c.cgroup_root.empty() ? "" : "--cgroup-root " + shq(c.cgroup_root);
  return nsplan_cmd(verb, path, p.parent->name(), root + (root.empty() || extra.empty() ? "" : " ") + extra);
}

// The case's profile compiled for this host (its cgroup root: the probed one, or the case's)
// under a parent cgroup made for it; *why says why not.
Prepared prepare_case(const DiffCase& c, const std::string& path, std::string* why) {
  if (c.cgroup_root.empty()) return prepare(path, why);
  Prepared p;
  applier::ProbeResult probe = applier::probe_host(c.cgroup_root);
  if (!probe.ok) {
    *why = "cannot probe " + c.cgroup_root + ": " + probe.error;
    return p;
  }
  p.parent = std::make_unique<CgroupParent>(std::vector<std::string>{}, probe.facts);
  if (!p.parent->ok()) {
    *why = "cannot make the test's cgroup parent: " + p.parent->error();
    return p;
  }
  HostFacts facts = probe.facts;
  facts.cgroup_parent = p.parent->name();
  p.c = compile_file(path, applier::profile_file_reader(), facts, PlanOptions{});
  if (!p.c->ok()) *why = diagnostics_text(*p.c);
  return p;
}

#define NSPLAN_PREPARE_CASE(var, the_case, path)            \
  std::string var##_why;                                   \
  Prepared var = prepare_case(the_case, path, &var##_why); \
  if (!var##_why.empty()) NSPLAN_SKIP_OR_FAIL(var##_why);  \
  ASSERT_TRUE(var.c && var.c->ok())

ApplySide apply_side(bool explain, const DiffCase& c, const std::string& path, const Prepared& p, const TempDir& tmp) {
  ApplySide side;
  const std::string parent = p.parent->name(), name = p.plan().profile;
  Sandbox sb(tmp.path());
  if (!sb.ok()) return {"no sandbox: " + sb.error(), {}, {}, {}};
  // The case's own scripts know nsplan (N) and the test's parent cgroup (PARENT).
  const std::string vars = "N=" + shq(nsplan_binary()) + " PARENT=" + shq(parent) + "\n";
  if (!c.setup.empty())
    if (RunResult r = sb.run(vars + c.setup); r.code() != 0) return {"the case's setup failed\n" + r.describe(), {}, {}, {}};
  const std::string tag = c.name + (explain ? "-explain" : "-apply");
  RunResult made = explain ? sb.run("{ " + case_cmd(c, "explain", path, p, "--no-run") + " || echo 'exit 90'; } | tee " +
                                    shq(tmp.file(tag + ".sh")) + " | sh")
                           : sb.run(case_cmd(c, "apply", path, p));
  if (made.code() != 0) return {(explain ? "explain --no-run | sh failed\n" : "apply failed\n") + made.describe(), {}, {}, {}};
  const std::string cgdirs = joined(p.parent->dirs(), " ");
  side.applied = observe(sb, cgdirs);
  RunResult down = explain ? sb.run("{ " + case_cmd(c, "explain", path, p, "--destroy") + " || echo 'exit 90'; } | tee " +
                                    shq(tmp.file(tag + "-destroy.sh")) + " | sh")
                           : sb.run(case_cmd(c, "destroy", path, p));
  if (down.code() != 0) side.error = (explain ? "explain --destroy | sh failed\n" : "destroy failed\n") + down.describe();
  side.destroyed = observe_settled(sb, cgdirs);
  if (!c.teardown.empty())
    if (RunResult r = sb.run(vars + c.teardown); r.code() != 0) side.error += "the case's teardown failed\n" + r.describe();
  side.left = profile_leftovers(sb, p.parent.get(), name, c);
  return side;
}

class Differential : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    ASSERT_TRUE(host_probe().ok) << host_probe().error;
    ASSERT_TRUE(tmp_.ok());
    ::chmod(tmp_.path().c_str(), 0755);  // commands with another uid read what is here
    for (auto& c : differential_cases(case_env(tmp_.path())))
      if (c.name == GetParam()) case_ = c;
    ASSERT_FALSE(case_.name.empty()) << "no case " << GetParam();
    path_ = tmp_.write(case_.name + ".yaml", case_.yaml);
  }
  TempDir tmp_{"diff"};
  DiffCase case_;
  std::string path_;
};

TEST_P(Differential, ExplainScriptAndApplyLeaveTheSameSystem) {
  NSPLAN_PREPARE_CASE(p, case_, path_);
  ApplySide a = apply_side(true, case_, path_, p, tmp_);
  ASSERT_EQ(a.error, "") << "profile:\n" << case_.yaml;
  p.parent->reset();
  ASSERT_TRUE(p.parent->ok()) << p.parent->error();
  ApplySide b = apply_side(false, case_, path_, p, tmp_);
  ASSERT_EQ(b.error, "") << "profile:\n" << case_.yaml;
  const std::string script = read_file(tmp_.file(case_.name + "-explain.sh"));
  EXPECT_EQ(difference(a.applied, b.applied, "explain | sh", "apply"), "")
      << "after apply; profile:\n" << case_.yaml << "\nscript:\n" << script;
  const std::string teardown = read_file(tmp_.file(case_.name + "-explain-destroy.sh"));
  const std::vector<std::string> given_back = devices_given_back(teardown);
  EXPECT_EQ(difference(without_given_back_state(a.destroyed, given_back), without_given_back_state(b.destroyed, given_back),
                       "explain --destroy | sh", "destroy"),
            "")
      << "after destroy; profile:\n" << case_.yaml << "\nteardown:\n" << teardown;
  EXPECT_EQ(a.left, std::vector<std::string>{}) << "left by explain --destroy | sh";
  EXPECT_EQ(b.left, std::vector<std::string>{}) << "left by nsplan destroy";
  // The observation sees what it should: the profile's cgroups and links are in it.
  for (const auto& dir : p.plan().cgroup_dirs)
    EXPECT_NE(std::find(b.applied.begin(), b.applied.end(), "cgroup d " + dir), b.applied.end()) << dir;
}

INSTANTIATE_TEST_SUITE_P(Cases, Differential, ::testing::ValuesIn(case_names(false)),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// ---- 2. what the started command sees ---------------------------------------------------------------

// The caller of the run: a secret in the environment, descriptors 4, 6 and 9, groups 4 and 27,
// the newuidmap/newgidmap stand-ins on PATH (see RunExplainTest in run_test.cc), the case's
// setup; it prints the inodes of its own namespaces and, after the run, of every persisted one.
const char* kLauncher = R"SH(
PATH="$T/bin:$PATH"
NSPLAN_T_SECRET='the caller'"'"'s secret'
export PATH NSPLAN_T_SECRET
cd "$T"
N="$N" PARENT="$PARENT" sh "$SETUP" || exit 91
for k in cgroup ipc mnt net pid pid_for_children time time_for_children user uts; do
  echo "outer.ns.$k=$(stat -L -c %i /proc/$$/ns/$k)"
done
exec 4< "$T/fd.txt" 6<> "$T/fd.txt" 9< "$T/fd.txt"
setpriv --groups 4,27 -- sh -c "$LAUNCH" > "$PROBE_OUT" 2> "$PROBE_ERR"
echo "rc=$?"
exec 4<&- 6<&- 9<&-
for f in /run/netns/* /run/nsplan/ns/* $JOINED; do [ -e "$f" ] && echo "persisted.$f=$(stat -L -c %i "$f")"; done
echo "cgroups_after=$(find $CGDIRS -mindepth 1 -type d 2>/dev/null | sort | tr '\n' ' ')"
sh -c "$TEARDOWN" > "$PROBE_OUT.destroy" 2>&1
echo "destroyed=$?"
N="$N" PARENT="$PARENT" sh "$CASE_TEARDOWN" > /dev/null 2>&1 || echo "case_teardown=failed"
)SH";

struct LaunchSide {
  RunResult r;
  std::string probe, err;
  std::vector<std::string> seen;  // the probe's lines, normalised
  std::string cgroups_after;
};

std::string value_in(const std::string& text, const std::string& key) {
  for (const auto& l : lines_of(text))
    if (starts_with(l, key + "=")) return l.substr(key.size() + 1);
  return "<none>";
}

// The probe's lines with namespace inodes labelled and the mount table without ids; the
// documented differences normalised when SCRIPT documents them.
std::vector<std::string> normalised_probe(const std::string& probe, const std::string& launcher_out, const std::string& script) {
  std::map<std::string, std::string> label;  // inode -> what it is
  for (const auto& l : lines_of(launcher_out)) {
    size_t eq = l.find('=');
    if (eq == std::string::npos) continue;
    if (starts_with(l, "outer.ns.")) label.emplace(l.substr(eq + 1), "the caller's");
    if (starts_with(l, "persisted.")) label.emplace(l.substr(eq + 1), "joined " + l.substr(10, eq - 10));
  }
  const bool first_range_only = contains(script, kDocumentedDifferences[1].script_line);
  const bool pdeathsig_differs = contains(script, kDocumentedDifferences[2].script_line);
  const bool hidden_mode_unknown = contains(script, kDocumentedDifferences[3].script_line);
  const bool init_differs = contains(script, kDocumentedDifferences[4].script_line);
  std::vector<std::string> out, mounts;
  std::map<std::string, int> map_lines;
  for (const auto& l : lines_of(probe)) {
    size_t eq = l.find('=');
    std::string key = eq == std::string::npos ? l : l.substr(0, eq), value = eq == std::string::npos ? "" : l.substr(eq + 1);
    if (key == "mount") {
      mounts.push_back(value);
      continue;
    }
    if (starts_with(key, "ns.") && value != "(absent)") {
      auto it = label.find(value);
      out.push_back(key + "=" + (it == label.end() ? "new" : it->second));
      continue;
    }
    if (key == "env" && starts_with(value, "OLDPWD=")) continue;
    if (key == "pdeathsig" && pdeathsig_differs) continue;
    if (key == "pid1" && init_differs) continue;
    // The kernel's own link-local address comes from the MAC, which differs between two runs.
    if (key == "net.address" && contains(value, " fe80:")) {
      out.push_back(key + "=" + value.substr(0, value.find(' ')) + " fe80::(the kernel's, from the MAC)");
      continue;
    }
    if (first_range_only && (key == "proc.uid_map" || key == "proc.gid_map") && map_lines[key]++ > 0) continue;
    out.push_back(l);
  }
  auto m = mount_lines(mounts, "mount=", hidden_mode_unknown);
  out.insert(out.end(), m.begin(), m.end());
  return out;
}

LaunchSide launch_side(bool explain, const DiffCase& c, const std::string& path, const Prepared& p, const TempDir& tmp) {
  LaunchSide side;
  const std::string parent = p.parent->name(), base = tmp.file(c.name + (explain ? ".explain" : ".run"));
  const std::string script = tmp.file(c.name + ".run.sh");
  // The command's stdin: the script itself under `explain | sh`, a pipe as well under run.
  std::string launch = explain ? "{ " + case_cmd(c, "explain", path, p) + " || echo 'exit 90'; } | tee " + shq(script) + " | sh"
                               : "true | " + case_cmd(c, "run", path, p);
  std::string teardown = explain ? case_cmd(c, "explain", path, p, "--destroy") + " | sh" : case_cmd(c, "destroy", path, p);
  ScriptVars vars = {{"SETUP", tmp.file(c.name + ".setup.sh")}, {"CASE_TEARDOWN", tmp.file(c.name + ".teardown.sh")},
                     {"PARENT", parent}, {"LAUNCH", launch}, {"TEARDOWN", teardown},
                     {"PROBE_OUT", base + ".probe"}, {"PROBE_ERR", base + ".err"},
                     {"CGDIRS", joined(p.parent->dirs(), " ")}, {"JOINED", joined(c.join_paths, " ")}};
  side.r = run_sandboxed(tmp.path(), vars, kLauncher, 60);
  side.probe = read_file(base + ".probe");
  side.err = read_file(base + ".err");
  side.cgroups_after = value_in(side.r.out, "cgroups_after");
  side.seen = normalised_probe(side.probe, side.r.out, read_file(script));
  return side;
}

// newuidmap/newgidmap stand-ins: unshare --map-users asks them (package uidmap, not installed
// here); they write the map as a privileged newuidmap would.
void write_id_map_stand_ins(const TempDir& tmp) {
  std::string bin = tmp.file("bin");
  ::mkdir(bin.c_str(), 0755);
  for (const char* kind : {"uid", "gid"}) {
    std::string stand_in = bin + "/new" + kind + "map";
    write_text(stand_in,
               "#!/bin/sh\n"
               "# test stand-in for new" + std::string(kind) + "map PID INSIDE OUTSIDE COUNT...\n"
               "pid=$1; shift; m=''\n"
               "while [ $# -ge 3 ]; do m=\"$m$1 $2 $3\n\"; shift 3; done\n"
               "printf '%s' \"$m\" > /proc/$pid/" + kind + "_map\n");
    ::chmod(stand_in.c_str(), 0755);
  }
}

class DifferentialRun : public Differential {};

TEST_P(DifferentialRun, ExplainScriptAndRunStartTheSameProcess) {
  ASSERT_TRUE(case_.launch);
  NSPLAN_PREPARE_CASE(p, case_, path_);
  write_id_map_stand_ins(tmp_);
  tmp_.write("fd.txt", "a file the caller holds open\n");
  tmp_.write(case_.name + ".setup.sh", case_.setup);
  tmp_.write(case_.name + ".teardown.sh", case_.teardown);
  LaunchSide a = launch_side(true, case_, path_, p, tmp_);
  p.parent->reset();
  ASSERT_TRUE(p.parent->ok()) << p.parent->error();
  LaunchSide b = launch_side(false, case_, path_, p, tmp_);
  const std::string script = read_file(tmp_.file(case_.name + ".run.sh"));
  auto context = [&] {
    return "profile:\n" + case_.yaml + "\nscript:\n" + script + "\n--- explain | sh: stderr:\n" + a.err + "--- launcher:\n" +
           a.r.describe() + "\n--- nsplan run: stderr:\n" + b.err + "--- launcher:\n" + b.r.describe();
  };
  ASSERT_EQ(a.r.code(), 0) << context();
  ASSERT_EQ(b.r.code(), 0) << context();
  // The probe's own exit status, passed on by both.
  EXPECT_EQ(value_in(a.r.out, "rc"), "42") << context();
  EXPECT_EQ(value_in(b.r.out, "rc"), "42") << context();
  EXPECT_TRUE(contains(a.probe, "\nuid=") || starts_with(a.probe, "uid=")) << "the probe did not run under explain | sh\n" << context();
  EXPECT_TRUE(contains(b.probe, "\nuid=") || starts_with(b.probe, "uid=")) << "the probe did not run under nsplan run\n" << context();
  EXPECT_EQ(difference(a.seen, b.seen, "explain | sh", "nsplan run"), "") << context();
  EXPECT_EQ(a.cgroups_after, b.cgroups_after) << "cgroups after the command ended\n" << context();
  EXPECT_EQ(value_in(a.r.out, "case_teardown"), "<none>") << context();
  EXPECT_EQ(value_in(b.r.out, "case_teardown"), "<none>") << context();
  EXPECT_EQ(value_in(a.r.out, "destroyed"), "0") << context();
  EXPECT_EQ(value_in(b.r.out, "destroyed"), "0") << context();
  EXPECT_EQ(p.parent->descendants(), std::vector<std::string>{});
}

INSTANTIATE_TEST_SUITE_P(Cases, DifferentialRun, ::testing::ValuesIn(case_names(true)),
                         [](const ::testing::TestParamInfo<std::string>& i) { return i.param; });

// Descriptors above 9: sh cannot name them (the script says so), so only nsplan run is held to
// closing them, and to keeping those keep_fds lists.
TEST(DifferentialFds, RunClosesDescriptorsAboveNine) {
  NSPLAN_REQUIRE_ROOT();
  TempDir tmp("difffd");
  ASSERT_TRUE(tmp.ok());
  tmp.write("fd.txt", "held open\n");
  std::string profile = tmp.write("fds.yaml", "nsplan: 1\nname: " + test_name("diff-fds") +
                                                  "\nrun:\n  command: [" NSPLAN_PROBE "]\n  keep_fds: [12, 4000]\n");
  std::string explain_script = tmp.file("fds.sh");
  RunResult r = run_sandboxed(tmp.path(), {{"PROFILE", profile}, {"SCRIPT", explain_script}}, R"SH(
"$N" explain "$PROFILE" > "$SCRIPT" || exit 90
T="$T" N="$N" PROFILE="$PROFILE" bash -c \
  'exec 10< "$T/fd.txt" 12< "$T/fd.txt" 100< "$T/fd.txt" 4000< "$T/fd.txt" 5< "$T/fd.txt"; exec "$N" run "$PROFILE"' > "$T/fds.probe"
)SH");
  ASSERT_EQ(r.code(), 42) << r.describe();  // the probe's own status
  std::vector<std::string> fds;
  for (const auto& l : lines_of(read_file(tmp.file("fds.probe"))))
    if (starts_with(l, "fd.")) fds.push_back(l);
  EXPECT_EQ(fds, (std::vector<std::string>{"fd.0=chr", "fd.1=file", "fd.2=file", "fd.12=file", "fd.4000=file"}))
      << read_file(tmp.file("fds.probe"));
  // The script says what it cannot do.
  EXPECT_TRUE(contains(read_file(explain_script), "# nsplan run: every descriptor above 2 is closed at exec but 12, 4000; sh can name only 3 to 9"))
      << read_file(explain_script);
}

// A descriptor of keep_fds that was not open: nsplan run refuses before it changes anything
// (status 2), and so does the script, before its apply part. The caller holds 4 and 6, not 5.
TEST(DifferentialDocumented, KeptDescriptorNotOpenIsRefusedByBothBeforeAnyChange) {
  NSPLAN_REQUIRE_ROOT();
  TempDir tmp("diffkeep");
  ASSERT_TRUE(tmp.ok());
  tmp.write("fd.txt", "held open\n");
  std::string profile = tmp.write("keep.yaml", "nsplan: 1\nname: " + test_name("diff-keep") +
                                                   "\ncgroup: {pids: {max: 10}}\nnetwork: {namespaces: [" +
                                                   test_name("keepns") + "]}\nrun:\n  command: [" NSPLAN_PROBE
                                                   "]\n  keep_fds: [4, 5, 6]\n");
  NSPLAN_PREPARE(p, profile);
  for (const char* side : {"explain", "run"}) {
    std::string launch = std::string(side) == "run" ? nsplan_cmd("run", profile, p.parent->name())
                                                    : nsplan_cmd("explain", profile, p.parent->name()) + " | sh";
    RunResult r = run_sandboxed(tmp.path(), {{"LAUNCH", launch}}, R"SH(
exec 4< "$T/fd.txt" 6< "$T/fd.txt"
sh -c "$LAUNCH" > "$T/out" 2> "$T/err"
echo "rc=$?"
echo "netns=$(ip netns list | tr '\n' ' ')"
cat "$T/err"
)SH");
    ASSERT_EQ(r.code(), 0) << r.describe();
    EXPECT_EQ(value_in(r.out, "rc"), "2") << side << "\n" << r.describe();
    EXPECT_TRUE(contains(r.out, "run.keep_fds names descriptor 5, which was not open when nsplan started")) << side << "\n" << r.describe();
    EXPECT_EQ(value_in(r.out, "netns"), "") << side << ": changed something\n" << r.describe();
    EXPECT_EQ(p.parent->descendants(), std::vector<std::string>{}) << side << ": made cgroups";
  }
}

// A new root without /proc: nsplan run detaches the old root with umount2(2); umount(8) cannot
// without /proc/self/mountinfo. The script says so, and stops there; run starts the command.
TEST(DifferentialDocumented, NewRootWithoutProcStopsTheScriptAtItsUmount) {
  NSPLAN_REQUIRE_ROOT();
  TempDir tmp("diffroot");
  ASSERT_TRUE(tmp.ok());
  ::chmod(tmp.path().c_str(), 0755);
  CaseEnv env = case_env(tmp.path());
  std::string profile = tmp.write("noproc.yaml", cases_detail::fill("nsplan: 1\nname: @P@-diff-noproc\nnamespaces:\n  mnt:\n"
                                                                      "    root: @T@/root\n    bind: [{source: /usr, target: /usr}]\n"
                                                                      "run: {command: [/nsplan-probe]}\n",
                                                                      env, "noproc"));
  tmp.write("root.sh", cases_detail::fill(cases_detail::kRootTree, env, "noproc"));
  RunResult r = run_sandboxed(tmp.path(), {{"PROFILE", profile}}, R"SH(
sh "$T/root.sh" || exit 91
"$N" run "$PROFILE" > "$T/run.out" 2>&1; echo "run=$?"
"$N" explain "$PROFILE" > "$T/script.sh" || exit 90
sh "$T/script.sh" > "$T/script.out" 2>&1; echo "script=$?"
)SH");
  ASSERT_EQ(r.code(), 0) << r.describe();
  const std::string script = read_file(tmp.file("script.sh"));
  EXPECT_TRUE(contains(script, "# nsplan run: detaches the old root without /proc;")) << script;
  EXPECT_EQ(value_in(r.out, "run"), "42") << read_file(tmp.file("run.out"));
  EXPECT_TRUE(starts_with(read_file(tmp.file("run.out")), "uid=")) << read_file(tmp.file("run.out"));
  EXPECT_NE(value_in(r.out, "script"), "0") << read_file(tmp.file("script.out"));
  EXPECT_TRUE(contains(read_file(tmp.file("script.out")), "umount")) << read_file(tmp.file("script.out"));
}

// ---- 3. the cases use every field -------------------------------------------------------------------

// Field paths of the schema table: "cgroup.memory.max", "network.links[].peer.name".
void schema_fields(const schema::ObjectSpec& spec, const std::string& prefix, std::set<std::string>& out) {
  for (const auto& f : spec.fields) {
    std::string path = prefix + std::string(f.key);
    if (f.nested) schema_fields(*f.nested(), path + (f.type.list ? "[]." : "."), out);
    else out.insert(path);
  }
}

// Field paths a YAML node uses, walked along the table.
void used_fields(const YamlNode& node, const schema::ObjectSpec& spec, const std::string& prefix, std::set<std::string>& out) {
  if (!node.is_map()) return;
  for (const auto& [k, v] : node.entries) {
    const schema::FieldSpec* f = spec.find(k->scalar);
    if (!f) continue;
    std::string path = prefix + k->scalar;
    if (!f->nested) {
      out.insert(path);
      continue;
    }
    if (f->type.list && v->type == YamlNode::Type::Sequence) {
      for (const auto& item : v->items) used_fields(*item, *f->nested(), path + "[].", out);
    } else {
      used_fields(*v, *f->nested(), path + ".", out);
    }
  }
}

TEST(DifferentialCoverage, CasesUseEveryFieldOfTheFormat) {
  std::set<std::string> all, used;
  schema_fields(schema::profile_spec(), "", all);
  ASSERT_GT(all.size(), 100u);
  CaseEnv env = case_env("/tmp/x");
  if (env.disk.empty()) env.disk = "/dev/vda";  // the text only; RunTest skips io devices without a disk
  if (env.huge_page.empty()) env.huge_page = "2M";  // likewise for huge pages
  env.net_cgroups = true;
  env.uclamp_known = true;  // likewise for uclamp
  for (const auto& c : differential_cases(env)) {
    SourceManager sm;
    Diagnostics diags;
    uint32_t id = sm.add(c.name + ".yaml", c.yaml);
    YamlPtr root = parse_yaml(sm, id, diags);
    ASSERT_TRUE(root && !diags.has_errors()) << c.name << ":\n" << c.yaml;
    used_fields(*root, schema::profile_spec(), "", used);
  }
  std::vector<std::string> missing;
  for (const auto& f : all) {
    bool excused = std::any_of(std::begin(kFieldsNotUsedHere), std::end(kFieldsNotUsedHere), [&](const auto& x) { return x.first == f; });
    if (!used.count(f) && !excused) missing.push_back(f);
    if (used.count(f) && excused) ADD_FAILURE() << f << " is used after all; remove it from kFieldsNotUsedHere";
  }
  EXPECT_EQ(missing, std::vector<std::string>{}) << "fields no differential case uses";
  for (const auto& [f, why] : kFieldsNotUsedHere) EXPECT_TRUE(all.count(f)) << f << " is not a field of the schema";
}

// Every case compiles for this host (a case the planner refuses would compare nothing).
TEST(DifferentialCoverage, EveryCaseCompilesForThisHost) {
  NSPLAN_REQUIRE_ROOT();
  ASSERT_TRUE(host_probe().ok) << host_probe().error;
  TempDir tmp("diffc");
  ASSERT_TRUE(tmp.ok());
  for (const auto& c : differential_cases(case_env(tmp.path()))) {
    std::string path = tmp.write(c.name + ".yaml", c.yaml);
    auto comp = compile_for_host(path, "nsplan-t-none");
    EXPECT_TRUE(comp->ok()) << c.name << ":\n" << c.yaml << "\n" << diagnostics_text(*comp);
  }
}

}  // namespace
}  // namespace nsplan::kernel_test
