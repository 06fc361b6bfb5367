// The table of cgroup files (compiler/cgroup_files.h) is consistent, and the planner writes only
// files of it, each into a directory of the row's controller, in the table's order.
#include <gtest/gtest.h>

#include <algorithm>
#include <string>

#include "compiler/cgroup_files.h"
#include "test_support.h"

namespace nsplan {
namespace {

using cgroup_files::File;
using cgroup_files::Hierarchy;

size_t index_of(const File* f) { return static_cast<size_t>(f - cgroup_files::all().data()); }

TEST(CgroupFiles, AFileThatFollowsAnotherComesAfterItInTheSameController) {
  for (const File& f : cgroup_files::all()) {
    for (const char* before : {f.after, f.keeps_at_least}) {
      if (!before) continue;
      const File* other = cgroup_files::find(f.hierarchy, before);
      ASSERT_NE(other, nullptr) << f.name << " follows " << before << ", which is not in the table";
      EXPECT_LT(index_of(other), index_of(&f)) << f.name;
      EXPECT_STREQ(other->controller, f.controller) << f.name;
    }
  }
}

TEST(CgroupFiles, EveryRowNamesAControllerOfItsHierarchyAndIsUnique) {
  for (const File& f : cgroup_files::all()) {
    auto cs = cgroup_files::controllers(f.hierarchy);
    EXPECT_NE(std::find_if(cs.begin(), cs.end(), [&](const char* c) { return std::string_view(c) == f.controller; }), cs.end())
        << f.name;
    EXPECT_EQ(cgroup_files::find(f.hierarchy, f.name), &f) << f.name << " is in the table twice";
    // The file's name starts with its v1 hierarchy's (v2: controller's) name, as the kernel's do.
    EXPECT_EQ(std::string(f.name).rfind(std::string(f.controller) + ".", 0), 0u) << f.name;
    // A file on both hierarchies is compared and restored by one rule.
    const File* any = cgroup_files::find(f.name);
    EXPECT_EQ(any->form, f.form) << f.name;
    if (f.form == cgroup_files::Form::Number && f.max) EXPECT_LE(f.min, f.max) << f.name;
  }
}

TEST(CgroupFiles, PerDeviceFilesGiveBackTheDeviceLineOrItsNoLimitLine) {
  EXPECT_EQ(cgroup_files::restore_value("io.max", "8:0 rbps=1", "8:16 rbps=5 wbps=max riops=max wiops=max", 4096),
            "8:0 rbps=max wbps=max riops=max wiops=max");
  EXPECT_EQ(cgroup_files::restore_value("io.max", "8:0 rbps=1", "8:0 rbps=7 wbps=max riops=max wiops=max\n", 4096),
            "8:0 rbps=7 wbps=max riops=max wiops=max");
  EXPECT_EQ(cgroup_files::restore_value("blkio.throttle.read_bps_device", "8:0 1", "", 4096), "8:0 0");
  EXPECT_EQ(cgroup_files::restore_value("io.weight", "default 200", "default 100\n8:0 50\n", 4096), "default 100");
  EXPECT_EQ(cgroup_files::restore_value("memory.limit_in_bytes", "1", "9223372036854771712", 4096), "-1");
  EXPECT_EQ(cgroup_files::restore_value("memory.max", "1", "4096", 4096), "4096");
  EXPECT_EQ(cgroup_files::restore_value("cpu.weight", "1", "100", 4096), "100");
}

class PlannedFiles : public ::testing::TestWithParam<CgroupMode> {};

TEST_P(PlannedFiles, AreRowsOfTheTableInItsOrderInTheirControllersDirectory) {
  const char* profile = R"(nsplan: 1
name: x
cgroup:
  memory: {max: 1G, swap: 1G, soft: 512M, high: 900M, min: 1M}
  cpu: {max: 50%, weight: 200, period: 50000}
  cpuset: {cpus: "0", mems: "0"}
  pids: {max: 10}
  io:
    weight: 200
    devices: [{device: "8:0", rbps: 1M, wbps: 2M, riops: 10, wiops: 20}]
)";
  const Hierarchy h = GetParam() == CgroupMode::V1 ? Hierarchy::V1 : Hierarchy::V2;
  auto c = testing::compile_text(profile, GetParam());
  ASSERT_TRUE(c->ok());
  size_t last = 0;
  std::string last_dir;
  int writes = 0;
  for (const auto& step : c->plan->steps) {
    std::string dir, file;
    if (auto* w = std::get_if<plan::WriteCgroupFile>(&step.action)) dir = w->dir, file = w->file;
    else if (auto* p = std::get_if<plan::CopyFromParent>(&step.action)) dir = p->dir, file = p->file;
    else continue;
    const File* row = cgroup_files::find(h, file);
    ASSERT_NE(row, nullptr) << file << " is written but not in the table";
    if (h == Hierarchy::V1) EXPECT_EQ(dir.rfind(std::string("/sys/fs/cgroup/") + row->controller + "/", 0), 0u) << dir;
    if (std::holds_alternative<plan::CopyFromParent>(step.action)) continue;
    ++writes;
    if (dir == last_dir) EXPECT_GT(index_of(row), last) << file << " is written before a file the table puts first";
    last = index_of(row);
    last_dir = dir;
  }
  EXPECT_GE(writes, 10);
}

INSTANTIATE_TEST_SUITE_P(Hierarchies, PlannedFiles, ::testing::Values(CgroupMode::V1, CgroupMode::V2),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace nsplan
