// Persistent namespaces against the real kernel: network namespaces in /run/netns named
// nsplan-t-<pid>-*, uts/ipc namespaces under a state directory /run/nsplan-t-<pid>-state/ns.
// All of them are removed again (RAII + the leak check of kernel_test_env.h).
#include "applier/namespaces.h"

#include <fcntl.h>
#include <net/if.h>
#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/utsname.h>
#include <unistd.h>

#include <optional>
#include <string>
#include <vector>

#include "tests/kernel/kernel_test_env.h"

namespace nsplan::applier {
namespace {

using kernel_test::ScopedNetns;
using kernel_test::test_name;
using plan::NsKind;

std::vector<std::string> interfaces_here() {
  std::vector<std::string> out;
  if (struct if_nameindex* ifs = ::if_nameindex()) {
    for (struct if_nameindex* i = ifs; i->if_index != 0; ++i) out.push_back(i->if_name);
    ::if_freenameindex(ifs);
  }
  return out;
}

std::optional<kernel_test::MountEntry> find_mount(const std::vector<kernel_test::MountEntry>& ms,
                                                  const std::string& point) {
  std::optional<kernel_test::MountEntry> found;
  for (const auto& m : ms)
    if (m.mount_point == point) found = m;  // the last one is on top
  return found;
}

class Namespaces : public ::testing::Test {
 protected:
  void SetUp() override { NSPLAN_REQUIRE_ROOT(); }
};

TEST_F(Namespaces, NetnsCreateUseDelete) {
  auto before = current_ns_identity(NsKind::Net);
  ASSERT_TRUE(before.ok()) << before.message();
  const std::string name = test_name("ns");
  const std::string path = netns_path(name);
  {
    ScopedNetns ns(name);
    ASSERT_TRUE(ns.status().ok()) << ns.status().message();

    auto nsfs = is_nsfs(path);
    ASSERT_TRUE(nsfs.ok());
    EXPECT_TRUE(nsfs.value());
    auto exists = netns_exists(name);
    ASSERT_TRUE(exists.ok());
    EXPECT_TRUE(exists.value());
    auto id = ns_identity(path);
    ASSERT_TRUE(id.ok()) << id.message();
    EXPECT_EQ(id.value().type, CLONE_NEWNET);
    EXPECT_FALSE(id.value() == before.value()) << "the new namespace is the caller's own";

    // The caller's thread never left its namespace.
    auto after = current_ns_identity(NsKind::Net);
    ASSERT_TRUE(after.ok());
    EXPECT_TRUE(after.value() == before.value());

    // /run/netns is a shared mount, as iproute2 leaves it.
    auto ms = kernel_test::mounts();
    auto run_dir = find_mount(ms, kNetnsRunDir);
    ASSERT_TRUE(run_dir) << "/run/netns is not a mount point";
    EXPECT_NE(run_dir->optional.find("shared:"), std::string::npos) << run_dir->optional;
    auto file = find_mount(ms, path);
    ASSERT_TRUE(file);
    EXPECT_EQ(file->fstype, "nsfs");

    // Running inside: another namespace, with nothing but lo.
    bool ran = false;
    NsIdentity inside{};
    std::vector<std::string> ifs;
    Status run = run_in_netns(name, [&] {
      ran = true;
      inside = current_ns_identity(NsKind::Net).value();
      ifs = interfaces_here();
    });
    ASSERT_TRUE(run.ok()) << run.message();
    EXPECT_TRUE(ran);
    EXPECT_TRUE(inside == id.value());
    EXPECT_EQ(ifs, std::vector<std::string>{"lo"});
    EXPECT_TRUE(current_ns_identity(NsKind::Net).value() == before.value());

    // A second create of the same name fails and leaves the first alone.
    Status again = create_persistent_netns(name);
    EXPECT_EQ(again.err(), EEXIST) << again.message();
    EXPECT_TRUE(netns_exists(name).value());
    EXPECT_TRUE(ns_identity(path).value() == id.value());

    Status del = delete_persistent_netns(name);
    ASSERT_TRUE(del.ok()) << del.message();
    ns.release();
  }
  struct stat st;
  EXPECT_NE(::stat(path.c_str(), &st), 0);
  EXPECT_FALSE(find_mount(kernel_test::mounts(), path).has_value());
  EXPECT_FALSE(netns_exists(name).value());
  EXPECT_EQ(delete_persistent_netns(name).err(), ENOENT);
}

TEST_F(Namespaces, NetnsNamesAreChecked) {
  for (const char* bad : {"", ".", "..", "a/b", "/etc"}) {
    EXPECT_EQ(create_persistent_netns(bad).err(), EINVAL) << bad;
    EXPECT_EQ(delete_persistent_netns(bad).err(), EINVAL) << bad;
  }
  EXPECT_FALSE(valid_netns_name(std::string(300, 'a')));
  EXPECT_TRUE(valid_netns_name(test_name("ok")));
}

TEST_F(Namespaces, RunInMissingNetnsFailsAndStaysHome) {
  auto before = current_ns_identity(NsKind::Net).value();
  bool ran = false;
  Status st = run_in_netns(test_name("missing"), [&] { ran = true; });
  EXPECT_EQ(st.err(), ENOENT) << st.message();
  EXPECT_FALSE(ran);
  EXPECT_TRUE(current_ns_identity(NsKind::Net).value() == before);
  // "" runs in place.
  Status here = run_in_netns("", [&] { ran = true; });
  EXPECT_TRUE(here.ok());
  EXPECT_TRUE(ran);
}

TEST_F(Namespaces, RunInNetnsRefusesAFileThatIsNoNamespace) {
  // A plain file in /run/netns (left by a crash) is not entered.
  const std::string name = test_name("plain");
  const std::string path = netns_path(name);
  ::mkdir(kNetnsRunDir, 0755);
  int fd = ::open(path.c_str(), O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC, 0600);
  ASSERT_GE(fd, 0);
  ::close(fd);
  Status st = run_in_netns(name, [] {});
  EXPECT_EQ(st.err(), EINVAL) << st.message();
  EXPECT_FALSE(netns_exists(name).value());
  EXPECT_TRUE(delete_persistent_netns(name).ok());  // umount EINVAL is tolerated, file unlinked
  struct stat s;
  EXPECT_NE(::stat(path.c_str(), &s), 0);
}

// ---- uts / ipc under a state directory ---------------------------------------------------------

class StateDirNamespaces : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    base_ = "/run/" + test_name("state");
    dir_ = base_ + "/ns";
  }
  void TearDown() override {
    // Unmount whatever is left under base_ (namespace files, the self bind mount), then remove.
    std::vector<std::string> points;
    for (const auto& m : kernel_test::mounts())
      if (kernel_test::starts_with(m.mount_point, base_)) points.push_back(m.mount_point);
    for (auto it = points.rbegin(); it != points.rend(); ++it) ::umount2(it->c_str(), MNT_DETACH);
    kernel_test::remove_tree(base_);
  }
  std::string base_, dir_;
};

TEST_F(StateDirNamespaces, UtsHostnameInsideOnly) {
  struct utsname host_before;
  ASSERT_EQ(::uname(&host_before), 0);
  const std::string path = dir_ + "/uts";
  Status st = create_persistent_ns(NsKind::Uts, path);
  ASSERT_TRUE(st.ok()) << st.message();

  struct stat ds;
  ASSERT_EQ(::stat(dir_.c_str(), &ds), 0);
  EXPECT_EQ(ds.st_mode & 07777, 0700u);
  auto id = ns_identity(path);
  ASSERT_TRUE(id.ok()) << id.message();
  EXPECT_EQ(id.value().type, CLONE_NEWUTS);
  EXPECT_FALSE(id.value() == current_ns_identity(NsKind::Uts).value());
  auto dm = find_mount(kernel_test::mounts(), dir_);
  ASSERT_TRUE(dm) << "state dir is not a mount point";
  EXPECT_NE(dm->optional.find("shared:"), std::string::npos);

  Status set = set_hostname(path, "nsplan-test-host", "nsplan-test-domain");
  ASSERT_TRUE(set.ok()) << set.message();
  auto names = get_hostname(path);
  ASSERT_TRUE(names.ok()) << names.message();
  EXPECT_EQ(names.value().hostname, "nsplan-test-host");
  EXPECT_EQ(names.value().domainname, "nsplan-test-domain");
  // Empty domainname leaves it alone.
  ASSERT_TRUE(set_hostname(path, "second", "").ok());
  EXPECT_EQ(get_hostname(path).value().hostname, "second");
  EXPECT_EQ(get_hostname(path).value().domainname, "nsplan-test-domain");
  // Too long for the kernel (64 bytes max).
  EXPECT_EQ(set_hostname(path, std::string(65, 'h'), "").err(), EINVAL);

  struct utsname host_after;
  ASSERT_EQ(::uname(&host_after), 0);
  EXPECT_STREQ(host_after.nodename, host_before.nodename);
  EXPECT_STREQ(host_after.domainname, host_before.domainname);

  EXPECT_EQ(create_persistent_ns(NsKind::Uts, path).err(), EEXIST);
  EXPECT_TRUE(ns_identity(path).value() == id.value());

  Status del = delete_persistent_ns(path);
  ASSERT_TRUE(del.ok()) << del.message();
  struct stat fs;
  EXPECT_NE(::stat(path.c_str(), &fs), 0);
  EXPECT_FALSE(find_mount(kernel_test::mounts(), path).has_value());
  EXPECT_EQ(delete_persistent_ns(path).err(), ENOENT);
}

TEST_F(StateDirNamespaces, IpcAndNet) {
  for (NsKind kind : {NsKind::Ipc, NsKind::Net}) {
    const std::string path = dir_ + "/" + proc_ns_name(kind);
    Status st = create_persistent_ns(kind, path);
    ASSERT_TRUE(st.ok()) << st.message();
    auto id = ns_identity(path);
    ASSERT_TRUE(id.ok());
    EXPECT_EQ(id.value().type, clone_flag(kind));
    EXPECT_FALSE(id.value() == current_ns_identity(kind).value());
    EXPECT_TRUE(delete_persistent_ns(path).ok());
  }
}

TEST_F(StateDirNamespaces, UnsupportedKindLeavesNothing) {
  for (NsKind kind : {NsKind::Pid, NsKind::Mnt, NsKind::User, NsKind::Time, NsKind::Cgroup}) {
    const std::string path = dir_ + "/" + proc_ns_name(kind);
    EXPECT_EQ(create_persistent_ns(kind, path).err(), EOPNOTSUPP) << proc_ns_name(kind);
    struct stat st;
    EXPECT_NE(::stat(path.c_str(), &st), 0);
  }
  EXPECT_EQ(create_persistent_ns(NsKind::Uts, "relative/uts").err(), EINVAL);
}

TEST_F(StateDirNamespaces, RefusesAnOpenStateDir) {
  ASSERT_EQ(::mkdir(base_.c_str(), 0755), 0);
  ASSERT_EQ(::mkdir(dir_.c_str(), 0777), 0);
  ASSERT_EQ(::chmod(dir_.c_str(), 0777), 0);
  Status st = create_persistent_ns(NsKind::Uts, dir_ + "/uts");
  EXPECT_EQ(st.err(), EPERM) << st.message();
  EXPECT_FALSE(find_mount(kernel_test::mounts(), dir_).has_value());
  struct stat s;
  EXPECT_NE(::stat((dir_ + "/uts").c_str(), &s), 0);
}

}  // namespace
}  // namespace nsplan::applier
