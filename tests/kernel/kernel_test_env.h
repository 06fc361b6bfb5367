// Shared helpers of the kernel tests (tests/kernel/*_test.cc): names with a per-run prefix, the
// skip policy, RAII owners of what a test makes, and a leak check after all tests.
//
// SAFETY RULES these tests keep:
// - Every name carries the test prefix: "nsplan-t-<pid>-..." for network namespaces, cgroups and
//   state directories; "nspt<pid%10000><suffix>" for interfaces (15 bytes at most).
// - All network work happens inside network namespaces the test made (two of them when a "host
//   side" is needed); nothing is added to the namespace the tests run in. Addresses are 10.x /
//   fd00:: inside those namespaces only.
// - Only cgroups the test made are written or removed.
// - Everything is removed in destructors (RAII), also when an assertion fails; a global
//   environment checks afterwards that nothing with the prefix remains, and removes leftovers.
//
// Skip policy: a test that cannot run here (not root, kernel lacks a feature) skips with the
// reason — unless CI=true, where the would-be skip is a failure.
#pragma once
#include <dirent.h>
#include <gtest/gtest.h>
#include <net/if.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "applier/namespaces.h"

namespace nsplan::kernel_test {

inline bool ci_strict() {
  const char* v = std::getenv("CI");
  return v != nullptr && std::string(v) == "true";
}

// Skips the current test with REASON, or fails it when CI=true. Use in a TEST body or in SetUp
// (it returns from the enclosing function).
#define NSPLAN_SKIP_OR_FAIL(reason)                                           \
  do {                                                                        \
    const std::string nsplan_reason_ = (reason);                              \
    if (::nsplan::kernel_test::ci_strict()) {                                 \
      FAIL() << "CI=true turns this skip into a failure: " << nsplan_reason_; \
    } else {                                                                  \
      GTEST_SKIP() << nsplan_reason_;                                         \
    }                                                                         \
  } while (0)

#define NSPLAN_REQUIRE_ROOT()                                                               \
  do {                                                                                      \
    if (::geteuid() != 0) NSPLAN_SKIP_OR_FAIL("needs root (CAP_SYS_ADMIN, CAP_NET_ADMIN)"); \
  } while (0)

// "nsplan-t-<pid>".
inline std::string test_prefix() { return "nsplan-t-" + std::to_string(::getpid()); }
// "nsplan-t-<pid>-SUFFIX".
inline std::string test_name(const std::string& suffix) { return test_prefix() + "-" + suffix; }
// "nspt<pid%10000>" (zero-padded): the prefix of every interface a test makes.
inline std::string ifname_prefix() {
  char buf[16];
  std::snprintf(buf, sizeof buf, "nspt%04d", static_cast<int>(::getpid() % 10000));
  return buf;
}
// "nspt<pid%10000>SUFFIX"; SUFFIX at most 7 bytes so the name fits IFNAMSIZ.
inline std::string test_ifname(const std::string& suffix) {
  std::string n = ifname_prefix() + suffix;
  if (n.size() > 15) {
    ADD_FAILURE() << "test interface name too long: " << n;
    n.resize(15);
  }
  return n;
}

inline bool starts_with(const std::string& s, const std::string& p) {
  return s.compare(0, p.size(), p) == 0;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

inline std::vector<std::string> list_dir(const std::string& dir) {
  std::vector<std::string> out;
  if (DIR* d = ::opendir(dir.c_str())) {
    while (dirent* e = ::readdir(d)) {
      std::string n = e->d_name;
      if (n != "." && n != "..") out.push_back(n);
    }
    ::closedir(d);
  }
  return out;
}

// One line of a mountinfo file.
struct MountEntry {
  std::string root, mount_point, optional, fstype, source, super_options;
  std::string id;  // the mount ID (first field)
};

// The mount table in MOUNTINFO: by default this process's; /proc/PID/mountinfo for the mount
// namespace of PID (a sandbox's).
inline std::vector<MountEntry> mounts(const std::string& mountinfo = "/proc/self/mountinfo") {
  std::vector<MountEntry> out;
  std::istringstream in(read_file(mountinfo));
  std::string line;
  while (std::getline(in, line)) {
    std::istringstream ls(line);
    std::vector<std::string> f;
    std::string w;
    while (ls >> w) f.push_back(w);
    auto dash = std::find(f.begin(), f.end(), "-");
    if (f.size() < 7 || dash == f.end() || dash + 1 == f.end()) continue;
    MountEntry m;
    m.id = f[0];
    m.root = f[3];
    m.mount_point = f[4];
    for (auto it = f.begin() + 6; it != dash; ++it)
      m.optional += (m.optional.empty() ? "" : " ") + *it;
    m.fstype = *(dash + 1);
    m.source = dash + 2 < f.end() ? *(dash + 2) : "";
    m.super_options = dash + 3 < f.end() ? *(dash + 3) : "";
    out.push_back(m);
  }
  return out;
}

// Where this machine's cgroup hierarchies are (read from mountinfo; the product's own probing
// lives in applier/probe).
struct CgroupMounts {
  std::string memory_v1;  // cgroup v1 hierarchy with the memory controller, or ""
  std::string v2;         // the cgroup2 mount, or ""
};

inline CgroupMounts find_cgroup_mounts() {
  CgroupMounts c;
  for (const MountEntry& m : mounts()) {
    if (m.fstype == "cgroup2" && c.v2.empty()) c.v2 = m.mount_point;
    if (m.fstype == "cgroup" && c.memory_v1.empty()) {
      std::istringstream opts(m.super_options);
      std::string o;
      while (std::getline(opts, o, ','))
        if (o == "memory") c.memory_v1 = m.mount_point;
    }
  }
  return c;
}

// rmdir with retries: a cgroup is busy for a moment after its last task was reaped.
inline int rmdir_retry(const std::string& path) {
  for (int i = 0; i < 200; ++i) {
    if (::rmdir(path.c_str()) == 0 || errno == ENOENT) return 0;
    if (errno != EBUSY) return errno;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return EBUSY;
}

// Removes a directory tree of cgroups (directories only; cgroupfs ignores control files).
inline void remove_cgroup_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) return;
  for (const std::string& n : list_dir(path)) {
    std::string child = path + "/" + n;
    if (::lstat(child.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) remove_cgroup_tree(child);
  }
  rmdir_retry(path);
}

// rm -r of a plain directory tree (state directories under /run made by a test).
inline void remove_tree(const std::string& path) {
  struct stat st;
  if (::lstat(path.c_str(), &st) != 0) return;
  if (S_ISDIR(st.st_mode)) {
    for (const std::string& n : list_dir(path)) remove_tree(path + "/" + n);
    ::rmdir(path.c_str());
  } else {
    ::unlink(path.c_str());
  }
}

// Removes a persistent namespace file (mounted or not), without using the code under test.
inline void remove_ns_file(const std::string& path) {
  ::umount2(path.c_str(), MNT_DETACH);
  ::unlink(path.c_str());
}

// A persistent network namespace owned by a test.
class ScopedNetns {
 public:
  explicit ScopedNetns(std::string name) : name_(std::move(name)) {
    status_ = applier::create_persistent_netns(name_);
  }
  ~ScopedNetns() { release(); }
  ScopedNetns(const ScopedNetns&) = delete;
  ScopedNetns& operator=(const ScopedNetns&) = delete;
  const std::string& name() const { return name_; }
  const applier::Status& status() const { return status_; }
  // Deletes the namespace if this object made it (a failed create leaves nothing to delete,
  // and an EEXIST one is not ours to remove).
  void release() {
    if (released_) return;
    released_ = true;
    if (!status_.ok()) return;
    if (applier::delete_persistent_netns(name_).ok()) return;
    remove_ns_file(applier::netns_path(name_));
  }

 private:
  std::string name_;
  applier::Status status_;
  bool released_ = false;
};

// A cgroup directory (absolute path) owned by a test; removed with its sub-cgroups.
class ScopedCgroupPath {
 public:
  explicit ScopedCgroupPath(std::string path) : path_(std::move(path)) {}
  ~ScopedCgroupPath() { remove_cgroup_tree(path_); }
  ScopedCgroupPath(const ScopedCgroupPath&) = delete;
  ScopedCgroupPath& operator=(const ScopedCgroupPath&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// Everything with this run's prefix that still exists: names of netns files, mounts, interfaces
// of the tests' own namespace, cgroup directories, state directories.
inline std::vector<std::string> leftovers() {
  std::vector<std::string> out;
  const std::string prefix = test_prefix();
  for (const std::string& n : list_dir(applier::kNetnsRunDir))
    if (starts_with(n, prefix)) out.push_back(std::string(applier::kNetnsRunDir) + "/" + n);
  for (const MountEntry& m : mounts())
    if (m.mount_point.find(prefix) != std::string::npos) out.push_back("mount " + m.mount_point);
  if (struct if_nameindex* ifs = ::if_nameindex()) {
    for (struct if_nameindex* i = ifs; i->if_index != 0; ++i)
      if (starts_with(i->if_name, ifname_prefix()))
        out.push_back(std::string("link ") + i->if_name);
    ::if_freenameindex(ifs);
  }
  std::vector<std::string> roots = {"/sys/fs/cgroup"};
  for (const std::string& n : list_dir("/sys/fs/cgroup")) roots.push_back("/sys/fs/cgroup/" + n);
  for (const std::string& r : roots) {
    struct stat st;
    if (::lstat(r.c_str(), &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    for (const std::string& n : list_dir(r))
      if (starts_with(n, prefix)) out.push_back(r + "/" + n);
  }
  for (const std::string& n : list_dir("/run"))
    if (starts_with(n, prefix)) out.push_back("/run/" + n);
  return out;
}

// After all tests: fail if anything with the prefix remains, and remove it (only ours).
class LeakCheck : public ::testing::Environment {
 public:
  void TearDown() override {
    std::vector<std::string> left = leftovers();
    for (const std::string& l : left) ADD_FAILURE() << "left behind by the tests: " << l;
    if (left.empty()) return;
    const std::string prefix = test_prefix();
    for (const std::string& n : list_dir(applier::kNetnsRunDir))
      if (starts_with(n, prefix)) remove_ns_file(std::string(applier::kNetnsRunDir) + "/" + n);
    for (const MountEntry& m : mounts())
      if (m.mount_point.find(prefix) != std::string::npos)
        ::umount2(m.mount_point.c_str(), MNT_DETACH);
    for (const std::string& l : left) {
      if (starts_with(l, "/sys/fs/cgroup/")) remove_cgroup_tree(l);
      if (starts_with(l, "/run/" + prefix)) remove_tree(l);
    }
  }
};

inline ::testing::Environment* const kLeakCheck =
    ::testing::AddGlobalTestEnvironment(new LeakCheck);

}  // namespace nsplan::kernel_test
