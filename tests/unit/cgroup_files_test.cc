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
    const std::string name = cgroup_files::file_name(f, 2u << 20);  // hugetlb: one size's file
    EXPECT_EQ(cgroup_files::find(f.hierarchy, name), &f) << name << " is in the table twice";
    // The file's name starts with its v1 hierarchy's (v2: controller's) name, as the kernel's do.
    EXPECT_EQ(name.rfind(std::string(f.controller) + ".", 0), 0u) << name;
    // A file on both hierarchies is compared and restored by one rule.
    const File* any = cgroup_files::find(name);
    EXPECT_EQ(any->form, f.form) << f.name;
    if (f.form == cgroup_files::Form::Number && f.max) {
      EXPECT_LE(f.min, f.max) << f.name;
    }
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

// io.weight holds the default and one line per device (blk-iocost.c); BFQ's v1 per-device file
// removes a line with "default", CFQ's with 0.
TEST(CgroupFiles, DeviceWeightsAreComparedAndGivenBackByTheirLine) {
  EXPECT_TRUE(cgroup_files::value_matches("io.weight", "8:0 300", "default 100\n8:0 300\n", 4096));
  EXPECT_FALSE(cgroup_files::value_matches("io.weight", "8:0 300", "default 300\n", 4096));
  EXPECT_FALSE(cgroup_files::value_matches("io.weight", "8:0 300", "default 100\n8:16 300\n", 4096));
  EXPECT_TRUE(cgroup_files::value_matches("io.weight", "default 200", "default 200\n8:0 50\n", 4096));
  EXPECT_EQ(cgroup_files::restore_value("io.weight", "8:0 300", "default 100\n", 4096), "8:0 default");
  EXPECT_EQ(cgroup_files::restore_value("io.weight", "8:0 300", "default 100\n8:0 70\n", 4096), "8:0 70");
  EXPECT_TRUE(cgroup_files::value_matches("blkio.bfq.weight_device", "8:0 300", "8:0 300\n", 4096));
  EXPECT_TRUE(cgroup_files::value_matches("blkio.bfq.weight_device", "8:0 default", "", 4096));
  EXPECT_EQ(cgroup_files::restore_value("blkio.bfq.weight_device", "8:0 300", "", 4096), "8:0 default");
  EXPECT_EQ(cgroup_files::restore_value("blkio.weight_device", "8:0 300", "8:16 20\n", 4096), "8:0 0");
}

// v1 rt: the period goes first (a new group's runtime is 0), and undo gives a new cgroup's
// runtime back before its rmdir so that its parent's can then be lowered.
TEST(CgroupFiles, RtRuntimeFollowsItsPeriodAndIsResetBeforeTheRmdir) {
  const File* period = cgroup_files::find(Hierarchy::V1, "cpu.rt_period_us");
  const File* runtime = cgroup_files::find(Hierarchy::V1, "cpu.rt_runtime_us");
  ASSERT_NE(period, nullptr);
  ASSERT_NE(runtime, nullptr);
  EXPECT_LT(index_of(period), index_of(runtime));
  EXPECT_STREQ(period->before_if_lowered, "cpu.rt_runtime_us");
  EXPECT_TRUE(cgroup_files::reset_before_rmdir("cpu.rt_runtime_us"));
  EXPECT_FALSE(cgroup_files::reset_before_rmdir("cpu.rt_period_us"));
  EXPECT_EQ(cgroup_files::find(Hierarchy::V2, "cpu.rt_runtime_us"), nullptr) << "RT group scheduling is v1 only";
}

TEST(CgroupFiles, HugetlbFilesNameTheirPageSizeAsTheKernelDoes) {
  EXPECT_EQ(cgroup_files::page_size_name(64u << 10), "64KB");
  EXPECT_EQ(cgroup_files::page_size_name(2u << 20), "2MB");
  EXPECT_EQ(cgroup_files::page_size_name(uint64_t{1} << 30), "1GB");
  EXPECT_EQ(cgroup_files::page_size_name(uint64_t{16} << 30), "16GB");
  EXPECT_EQ(cgroup_files::page_size_of_file("hugetlb.2MB.rsvd.limit_in_bytes"), 2u << 20);
  EXPECT_EQ(cgroup_files::page_size_of_file("hugetlb.1GB.max"), uint64_t{1} << 30);
  for (const char* not_one : {"hugetlb.2XB.max", "hugetlb.MB.max", "hugetlb.02MB.max", "hugetlb..max", "hugetlb.2MB.rsvd",
                              "hugetlb.2MB.rsvd.rsvd.max", "memory.max"})
    EXPECT_EQ(cgroup_files::page_size_of_file(not_one), 0u) << not_one;
  EXPECT_EQ(cgroup_files::find(Hierarchy::V1, "hugetlb.2MB.max"), nullptr) << "v2's name is not a v1 file";
}

// mm/hugetlb_cgroup.c keeps limits in whole huge pages, rounded down; v1 shows "no limit" as the
// page counter's maximum rounded down to whole huge pages, v2 as max.
TEST(CgroupFiles, HugetlbLimitsAreComparedInWholeHugePages) {
  const uint64_t page = 4096;
  const std::string two_mb = std::to_string(2u << 20);
  EXPECT_TRUE(cgroup_files::value_matches("hugetlb.2MB.max", std::to_string(5u << 20), std::to_string(4u << 20), page));
  EXPECT_FALSE(cgroup_files::value_matches("hugetlb.2MB.max", std::to_string(6u << 20), std::to_string(4u << 20), page));
  EXPECT_TRUE(cgroup_files::value_matches("hugetlb.2MB.max", "1048576", "0", page));
  const std::string v1_none = std::to_string(((uint64_t{1} << 63) - 1) / page / 512 * 512 * page);
  EXPECT_TRUE(cgroup_files::value_matches("hugetlb.2MB.limit_in_bytes", "-1", v1_none, page));
  EXPECT_EQ(cgroup_files::restore_value("hugetlb.2MB.limit_in_bytes", two_mb, v1_none, page), "-1");
  EXPECT_TRUE(cgroup_files::value_matches("hugetlb.1GB.rsvd.max", "max", "max", page));
  EXPECT_FALSE(cgroup_files::value_matches("hugetlb.1GB.rsvd.max", "max", std::to_string(uint64_t{1} << 40), page));
}

TEST(CgroupFiles, HugetlbPageSizesAreTheHostsAndEachIsGivenOnce) {
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  facts.huge_page_sizes = std::vector<uint64_t>{2u << 20};
  auto one = [&](const std::string& entries) {
    return testing::compile_with("nsplan: 1\nname: x\ncgroup:\n  hugetlb:\n" + entries, facts);
  };
  auto ok = one("    - {page: 2M, max: 4M}\n");
  ASSERT_TRUE(ok->ok());
  auto unknown = one("    - {page: 1G, max: 1G}\n");
  EXPECT_FALSE(unknown->ok());
  EXPECT_NE(render_all(unknown->diags, unknown->sources).find("this host has no huge pages of 1G"), std::string::npos);
  EXPECT_NE(render_all(unknown->diags, unknown->sources).find("its sizes are 2M (/sys/kernel/mm/hugepages)"), std::string::npos);
  auto twice = one("    - {page: 2M, max: 4M}\n    - {page: 2M, reserved: 4M}\n");
  EXPECT_FALSE(twice->ok());
  EXPECT_NE(render_all(twice->diags, twice->sources).find("p.yaml:6:14: error: hugetlb page 2M is given twice"), std::string::npos)
      << render_all(twice->diags, twice->sources);
  auto odd = one("    - {page: 3M, max: 3M}\n");
  EXPECT_FALSE(odd->ok());
  EXPECT_NE(render_all(odd->diags, odd->sources).find("hugetlb page 3M is not a page size"), std::string::npos);
  // Not a whole number of pages: a warning (the kernel rounds down), an error with --strict.
  const std::string uneven = "    - {page: 2M, max: 5M}\n";
  EXPECT_TRUE(one(uneven)->ok());
  EXPECT_FALSE(testing::compile_with("nsplan: 1\nname: x\ncgroup:\n  hugetlb:\n" + uneven, facts, true)->ok());
  // For a stated target the size is not checked, and the step says so.
  auto stated = testing::compile_text("nsplan: 1\nname: x\ncgroup:\n  hugetlb:\n    - {page: 1G, max: 1G}\n");
  ASSERT_TRUE(stated->ok());
}

TEST(CgroupFiles, UclampIsComparedInHundredthsAndFullReadsBackAsMax) {
  EXPECT_TRUE(cgroup_files::value_matches("cpu.uclamp.min", "12.50", "12.50", 4096));
  EXPECT_TRUE(cgroup_files::value_matches("cpu.uclamp.min", "12.5", "12.50", 4096));
  EXPECT_TRUE(cgroup_files::value_matches("cpu.uclamp.max", "100.00", "max", 4096));
  EXPECT_FALSE(cgroup_files::value_matches("cpu.uclamp.max", "99.99", "max", 4096));
  EXPECT_FALSE(cgroup_files::value_matches("cpu.uclamp.min", "12.50", "12.05", 4096));
}

TEST(CgroupFiles, AFileTheKernelLacksIsALossyWarningAtItsKey) {
  HostFacts facts = HostFacts::stated(CgroupMode::V2);
  facts.kernel_files["cpu.uclamp.min"] = false;
  facts.kernel_files["cpu.idle"] = true;
  const std::string profile = "nsplan: 1\nname: x\ncgroup:\n  cpu: {idle: true, uclamp_min: 10}\n";
  auto c = testing::compile_with(profile, facts);
  ASSERT_TRUE(c->ok());
  const std::string text = render_all(c->diags, c->sources);
  EXPECT_NE(text.find("p.yaml:4:33: warning: this host's kernel has no cpu.uclamp.min; cpu uclamp_min 10.00 is not applied"),
            std::string::npos) << text;
  EXPECT_NE(text.find("the file needs CONFIG_UCLAMP_TASK_GROUP"), std::string::npos) << text;
  int writes = 0;
  for (const auto& step : c->plan->steps)
    if (auto* w = std::get_if<plan::WriteCgroupFile>(&step.action)) {
      ++writes;
      EXPECT_EQ(w->file, "cpu.idle");
    }
  EXPECT_EQ(writes, 1);
  EXPECT_FALSE(testing::compile_with(profile, facts, true)->ok()) << "an error with --strict";
}

class PlannedFiles : public ::testing::TestWithParam<CgroupMode> {};

TEST_P(PlannedFiles, AreRowsOfTheTableInItsOrderInTheirControllersDirectory) {
  const char* profile = R"(nsplan: 1
name: x
cgroup:
  memory: {max: 1G, swap: 1G, soft: 512M, high: 900M, min: 1M, oom_group: true, swappiness: 10, zswap_max: 1G}
  cpu: {max: 50%, weight: 200, period: 50000, burst: 1000, idle: true, uclamp_min: 5, uclamp_max: 95.5}
  cpuset: {cpus: "0", mems: "0"}
  pids: {max: 10}
  io:
    weight: 200
    devices: [{device: "8:0", rbps: 1M, wbps: 2M, riops: 10, wiops: 20}]
  hugetlb:
    - {page: 2M, max: 4M, reserved: 2M}
    - {page: 1G, max: 1G}
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
    if (h == Hierarchy::V1) {
      EXPECT_EQ(dir.rfind(std::string("/sys/fs/cgroup/") + row->controller + "/", 0), 0u) << dir;
    }
    if (std::holds_alternative<plan::CopyFromParent>(step.action)) continue;
    ++writes;
    if (dir == last_dir) {
      EXPECT_GE(index_of(row), last) << file << " is written before a file the table puts first";
    }
    last = index_of(row);
    last_dir = dir;
  }
  EXPECT_GE(writes, 18);
}

INSTANTIATE_TEST_SUITE_P(Hierarchies, PlannedFiles, ::testing::Values(CgroupMode::V1, CgroupMode::V2),
                         [](const auto& info) { return std::string(to_string(info.param)); });

}  // namespace
}  // namespace nsplan
