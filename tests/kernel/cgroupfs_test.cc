// LinuxCgroupFs against the real kernel: path safety on a scratch directory, then real cgroup v1
// (memory) and cgroup2 hierarchies, in cgroups named nsplan-t-<pid>-* that the tests make and
// remove. No other cgroup is written.
#include "applier/cgroupfs.h"

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <string>

#include "tests/kernel/kernel_test_env.h"

namespace nsplan::applier {
namespace {

using kernel_test::read_file;
using kernel_test::test_name;

void write_plain(const std::string& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// ---- path handling, on a scratch directory (both resolvers) ----------------------------------

class CgroupFsPaths : public ::testing::TestWithParam<bool> {
 protected:
  void SetUp() override {
    std::string tmpl = "/tmp/" + test_name("cgfs-XXXXXX");
    ASSERT_NE(::mkdtemp(tmpl.data()), nullptr);
    base_ = tmpl;
    root_ = base_ + "/root";
    ASSERT_EQ(::mkdir(root_.c_str(), 0755), 0);
    auto fs = LinuxCgroupFs::open(root_, {.force_component_walk = GetParam()});
    ASSERT_TRUE(fs.ok()) << fs.message();
    fs_ = std::move(fs).value();
  }
  void TearDown() override { kernel_test::remove_tree(base_); }

  std::string base_, root_;
  std::unique_ptr<LinuxCgroupFs> fs_;
};

TEST_P(CgroupFsPaths, ResolverInUse) { EXPECT_EQ(fs_->uses_openat2(), !GetParam()); }

TEST_P(CgroupFsPaths, MkdirExistsRmdir) {
  ASSERT_TRUE(fs_->mkdir("a").ok());
  Status again = fs_->mkdir("a");
  ASSERT_FALSE(again.ok());
  EXPECT_EQ(again.err(), EEXIST) << again.message();
  ASSERT_TRUE(fs_->mkdir("a/b").ok());
  Status orphan = fs_->mkdir("x/y");
  EXPECT_EQ(orphan.err(), ENOENT) << orphan.message();

  auto e = fs_->exists("a/b");
  ASSERT_TRUE(e.ok()) << e.message();
  EXPECT_TRUE(e.value());
  auto missing = fs_->exists("a/zz");
  ASSERT_TRUE(missing.ok()) << missing.message();
  EXPECT_FALSE(missing.value());
  auto root = fs_->exists("");
  ASSERT_TRUE(root.ok());
  EXPECT_TRUE(root.value());

  Status busy = fs_->rmdir("a");
  EXPECT_EQ(busy.err(), ENOTEMPTY) << busy.message();
  EXPECT_TRUE(fs_->rmdir("a/b").ok());
  EXPECT_TRUE(fs_->rmdir("a").ok());
  EXPECT_EQ(fs_->rmdir("a").err(), ENOENT);
  struct stat st;
  EXPECT_NE(::stat((root_ + "/a").c_str(), &st), 0);
}

TEST_P(CgroupFsPaths, RefusesEscapingPaths) {
  for (const char* bad : {"..", "../x", "a/../b", "/etc", "a//b", "a/", ".", "./a"}) {
    Status m = fs_->mkdir(bad);
    EXPECT_EQ(m.err(), EINVAL) << bad << ": " << m.message();
    auto ex = fs_->exists(bad);
    EXPECT_EQ(ex.err(), EINVAL) << bad;
    EXPECT_EQ(fs_->write(bad, "f", "1").err(), EINVAL) << bad;
    EXPECT_EQ(fs_->read(bad, "f").err(), EINVAL) << bad;
  }
  for (const char* bad_file : {"", ".", "..", "a/f", "../f"}) {
    EXPECT_EQ(fs_->write("", bad_file, "1").err(), EINVAL) << bad_file;
    EXPECT_EQ(fs_->read("", bad_file).err(), EINVAL) << bad_file;
  }
  EXPECT_EQ(fs_->rmdir("").err(), EINVAL);
  EXPECT_EQ(fs_->mkdir("").err(), EINVAL);
  // Nothing was made beside the root.
  EXPECT_EQ(kernel_test::list_dir(base_), std::vector<std::string>{"root"});
}

TEST_P(CgroupFsPaths, RefusesSymlinks) {
  ASSERT_EQ(::mkdir((root_ + "/real").c_str(), 0755), 0);
  write_plain(root_ + "/real/f", "old");
  ASSERT_EQ(::symlink("real", (root_ + "/inside").c_str()), 0);
  ASSERT_EQ(::symlink(base_.c_str(), (root_ + "/outside").c_str()), 0);
  ASSERT_EQ(::symlink("f", (root_ + "/real/lf").c_str()), 0);

  for (const char* link : {"inside", "outside"}) {
    auto ex = fs_->exists(link);
    EXPECT_FALSE(ex.ok()) << link << " was followed";
    Status w = fs_->write(link, "f", "new");
    EXPECT_FALSE(w.ok()) << link;
    EXPECT_NE(w.err(), 0);
    EXPECT_FALSE(fs_->read(link, "f").ok()) << link;
    EXPECT_FALSE(fs_->mkdir(std::string(link) + "/sub").ok()) << link;
  }
  Status wf = fs_->write("real", "lf", "new");
  EXPECT_FALSE(wf.ok()) << "symlinked file was followed";
  EXPECT_EQ(read_file(root_ + "/real/f"), "old");
  struct stat st;
  EXPECT_NE(::stat((base_ + "/sub").c_str(), &st), 0);
}

TEST_P(CgroupFsPaths, ReadTrimsWriteIsOneCall) {
  ASSERT_EQ(::mkdir((root_ + "/d").c_str(), 0755), 0);
  write_plain(root_ + "/d/value", "  42 \n");
  auto r = fs_->read("d", "value");
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.value(), "42");
  write_plain(root_ + "/d/w", "");
  ASSERT_TRUE(fs_->write("d", "w", "3221225472").ok());
  EXPECT_EQ(read_file(root_ + "/d/w"), "3221225472");
  EXPECT_EQ(fs_->write("d", "nofile", "1").err(), ENOENT);  // never creates files
  EXPECT_EQ(fs_->read("d", "nofile").err(), ENOENT);
}

INSTANTIATE_TEST_SUITE_P(Resolvers, CgroupFsPaths, ::testing::Values(false, true),
                         [](const ::testing::TestParamInfo<bool>& i) {
                           return i.param ? std::string("ComponentWalk") : std::string("Openat2");
                         });

// ---- a real memory controller (v1 memory hierarchy, or v2 with memory enabled at the root) ----

class MemoryCgroup : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    kernel_test::CgroupMounts m = kernel_test::find_cgroup_mounts();
    if (!m.memory_v1.empty()) {
      hierarchy_ = m.memory_v1;
      v1_ = true;
    } else if (!m.v2.empty() &&
               read_file(m.v2 + "/cgroup.subtree_control").find("memory") != std::string::npos) {
      hierarchy_ = m.v2;
    } else {
      NSPLAN_SKIP_OR_FAIL(
          "no memory controller: neither a v1 memory hierarchy nor cgroup2 with "
          "memory in the root's cgroup.subtree_control");
    }
    auto fs = LinuxCgroupFs::open(hierarchy_);
    ASSERT_TRUE(fs.ok()) << fs.message();
    fs_ = std::move(fs).value();
    name_ = test_name("mem");
    Status st = fs_->mkdir(name_);
    ASSERT_TRUE(st.ok()) << st.message();  // made here, so ours to remove
    owned_ = std::make_unique<kernel_test::ScopedCgroupPath>(hierarchy_ + "/" + name_);
  }
  void TearDown() override {
    if (child_ > 0) {
      ::kill(child_, SIGKILL);
      ::waitpid(child_, nullptr, 0);
    }
    owned_.reset();
  }
  const char* limit_file() const { return v1_ ? "memory.limit_in_bytes" : "memory.max"; }

  std::string hierarchy_, name_;
  bool v1_ = false;
  std::unique_ptr<LinuxCgroupFs> fs_;
  std::unique_ptr<kernel_test::ScopedCgroupPath> owned_;
  pid_t child_ = -1;
};

TEST_F(MemoryCgroup, LimitReadsBack) {
  Status w = fs_->write(name_, limit_file(), "3221225472");
  ASSERT_TRUE(w.ok()) << w.message();
  auto r = fs_->read(name_, limit_file());
  ASSERT_TRUE(r.ok()) << r.message();
  EXPECT_EQ(r.value(), "3221225472");
  // memparse suffixes, rounded down to pages: 1G + 1 byte reads back as 1G.
  ASSERT_TRUE(fs_->write(name_, limit_file(), "1G").ok());
  EXPECT_EQ(fs_->read(name_, limit_file()).value(), "1073741824");
  ASSERT_TRUE(fs_->write(name_, limit_file(), "1073741825").ok());
  EXPECT_EQ(fs_->read(name_, limit_file()).value(), "1073741824");
}

TEST_F(MemoryCgroup, InvalidValueIsEinval) {
  ASSERT_TRUE(fs_->write(name_, limit_file(), "3221225472").ok());
  for (const char* bad : {"abc", "3X", "12 34"}) {
    Status w = fs_->write(name_, limit_file(), bad);
    EXPECT_EQ(w.err(), EINVAL) << bad << ": " << w.message();
  }
  EXPECT_EQ(fs_->read(name_, limit_file()).value(), "3221225472");  // unchanged
  EXPECT_EQ(fs_->write(name_, "memory.no_such_file", "1").err(), ENOENT);
}

// v1: memory.memsw.limit_in_bytes (RAM+swap), which the kernel keeps >= the limit at every write.
// v2: memory.swap.max (swap alone), independent of memory.max.
TEST_F(MemoryCgroup, SwapLimit) {
  const char* swap_file = v1_ ? "memory.memsw.limit_in_bytes" : "memory.swap.max";
  auto has = fs_->read(name_, swap_file);
  if (!has.ok()) NSPLAN_SKIP_OR_FAIL(std::string("no swap accounting: ") + has.message());
  ASSERT_TRUE(fs_->write(name_, limit_file(), "3G").ok());
  ASSERT_TRUE(fs_->write(name_, swap_file, v1_ ? "6G" : "3G").ok());
  EXPECT_EQ(fs_->read(name_, swap_file).value(), v1_ ? "6442450944" : "3221225472");
  EXPECT_EQ(fs_->write(name_, swap_file, "junk").err(), EINVAL);
  if (v1_) {
    EXPECT_EQ(fs_->write(name_, "memory.memsw.limit_in_bytes", "1G").err(), EINVAL);
    EXPECT_EQ(fs_->write(name_, "memory.limit_in_bytes", "7G").err(), EINVAL);
    EXPECT_EQ(fs_->read(name_, "memory.limit_in_bytes").value(), "3221225472");
  } else {
    ASSERT_TRUE(fs_->write(name_, swap_file, "1G").ok());  // below memory.max is fine on v2
    EXPECT_EQ(fs_->read(name_, swap_file).value(), "1073741824");
  }
  const char* soft = v1_ ? "memory.soft_limit_in_bytes" : "memory.low";
  ASSERT_TRUE(fs_->write(name_, soft, "1G").ok());
  EXPECT_EQ(fs_->read(name_, soft).value(), "1073741824");
}

TEST_F(MemoryCgroup, RmdirBusyWhileATaskIsInside) {
  child_ = ::fork();
  ASSERT_GE(child_, 0);
  if (child_ == 0) {
    ::pause();
    ::_exit(0);
  }
  Status join = fs_->write(name_, "cgroup.procs", std::to_string(child_));
  ASSERT_TRUE(join.ok()) << join.message();
  auto procs = fs_->read(name_, "cgroup.procs");
  ASSERT_TRUE(procs.ok());
  EXPECT_EQ(procs.value(), std::to_string(child_));
  EXPECT_EQ(fs_->rmdir(name_).err(), EBUSY);
  // A child cgroup also keeps the parent.
  ASSERT_TRUE(fs_->mkdir(name_ + "/leaf").ok());
  auto leaf = fs_->exists(name_ + "/leaf");
  ASSERT_TRUE(leaf.ok());
  EXPECT_TRUE(leaf.value());
  ::kill(child_, SIGKILL);
  ::waitpid(child_, nullptr, 0);
  child_ = -1;
  EXPECT_TRUE(fs_->rmdir(name_ + "/leaf").ok());
  Status rm;
  for (int i = 0; i < 200; ++i) {  // the dead task leaves the cgroup asynchronously
    rm = fs_->rmdir(name_);
    if (rm.err() != EBUSY) break;
    ::usleep(5000);
  }
  EXPECT_TRUE(rm.ok()) << rm.message();
  auto gone = fs_->exists(name_);
  ASSERT_TRUE(gone.ok());
  EXPECT_FALSE(gone.value());
}

// ---- cgroup2 core files (the hybrid machine's unified tree has no controllers) ----------------

class Cgroup2 : public ::testing::Test {
 protected:
  void SetUp() override {
    NSPLAN_REQUIRE_ROOT();
    hierarchy_ = kernel_test::find_cgroup_mounts().v2;
    if (hierarchy_.empty()) NSPLAN_SKIP_OR_FAIL("no cgroup2 mount");
    auto fs = LinuxCgroupFs::open(hierarchy_);
    ASSERT_TRUE(fs.ok()) << fs.message();
    fs_ = std::move(fs).value();
    name_ = test_name("v2");
    Status st = fs_->mkdir(name_);
    ASSERT_TRUE(st.ok()) << st.message();  // made here, so ours to remove
    owned_ = std::make_unique<kernel_test::ScopedCgroupPath>(hierarchy_ + "/" + name_);
  }
  std::string hierarchy_, name_;
  std::unique_ptr<LinuxCgroupFs> fs_;
  std::unique_ptr<kernel_test::ScopedCgroupPath> owned_;
};

TEST_F(Cgroup2, CoreFiles) {
  EXPECT_EQ(fs_->mkdir(name_).err(), EEXIST);
  auto type = fs_->read(name_, "cgroup.type");
  ASSERT_TRUE(type.ok()) << type.message();
  EXPECT_EQ(type.value(), "domain");
  ASSERT_TRUE(fs_->write(name_, "cgroup.max.descendants", "3").ok());
  EXPECT_EQ(fs_->read(name_, "cgroup.max.descendants").value(), "3");
  EXPECT_EQ(fs_->write(name_, "cgroup.max.descendants", "x").err(), EINVAL);
  EXPECT_EQ(fs_->read(name_, "cgroup.max.descendants").value(), "3");
  ASSERT_TRUE(fs_->write(name_, "cgroup.max.descendants", "max").ok());
  EXPECT_EQ(fs_->read(name_, "cgroup.max.descendants").value(), "max");
}

TEST_F(Cgroup2, SubtreeControlRefusesUnknownController) {
  Status w = fs_->write(name_, "cgroup.subtree_control", "+nosuchcontroller");
  EXPECT_EQ(w.err(), EINVAL) << w.message();
  auto sc = fs_->read(name_, "cgroup.subtree_control");
  ASSERT_TRUE(sc.ok());
  EXPECT_EQ(sc.value(), "");
}

TEST_F(Cgroup2, NestedAndDescendantLimit) {
  ASSERT_TRUE(fs_->write(name_, "cgroup.max.descendants", "1").ok());
  ASSERT_TRUE(fs_->mkdir(name_ + "/a").ok());
  Status second = fs_->mkdir(name_ + "/b");
  EXPECT_EQ(second.err(), EAGAIN) << second.message();
  EXPECT_EQ(fs_->rmdir(name_).err(), EBUSY);
  EXPECT_TRUE(fs_->rmdir(name_ + "/a").ok());
  EXPECT_TRUE(fs_->rmdir(name_).ok());
}

}  // namespace
}  // namespace nsplan::applier
