// nsplan top's frames (cli/top_frame.h): rates from two samples, the order of the rows, the
// table. The loop and the kernel reads are tested on a real kernel (tests/kernel/top_test.cc).
#include <gtest/gtest.h>

#include "cli/top_frame.h"

namespace nsplan::cli::top {
namespace {

Sample sample(const std::string& profile, uint64_t cpu_usec, uint64_t memory, uint64_t procs = 1) {
  Sample s{profile, "nsplan/" + profile, {}};
  s.usage.processes = procs;
  s.usage.cpu_usec = cpu_usec;
  s.usage.memory_bytes = memory;
  s.usage.pids = procs;
  return s;
}

TEST(TopFrame, CpuPercentIsTheUsageDeltaOverTheTimeBetweenSamples) {
  Snapshot first{10.0, {sample("web", 1'000'000, 100)}};
  std::vector<Row> r0 = rows(nullptr, first);
  ASSERT_EQ(r0.size(), 1u);
  EXPECT_FALSE(r0[0].cpu_percent) << "one sample: no rate yet";
  EXPECT_EQ(r0[0].memory_bytes, 100u);

  // 0.75 s of CPU in 0.5 s: one and a half CPUs busy.
  Snapshot second{10.5, {sample("web", 1'750'000, 200)}};
  std::vector<Row> r1 = rows(&first, second);
  ASSERT_EQ(r1.size(), 1u);
  ASSERT_TRUE(r1[0].cpu_percent);
  EXPECT_DOUBLE_EQ(*r1[0].cpu_percent, 150.0);
  EXPECT_EQ(r1[0].memory_bytes, 200u);
}

TEST(TopFrame, NoRateForANewProfileACounterThatWentBackOrAnotherCgroup) {
  Snapshot first{1.0, {sample("a", 500, 0), sample("b", 900, 0), sample("c", 100, 0)}};
  Sample moved = sample("c", 200, 0);
  moved.cgroup = "elsewhere/c";
  Snapshot second{2.0, {sample("a", 400, 0), sample("b", 1900, 0), moved, sample("new", 50, 0)}};
  std::vector<Row> r = rows(&first, second);
  ASSERT_EQ(r.size(), 4u);
  EXPECT_FALSE(r[0].cpu_percent) << "a: made again since (its counter started over)";
  ASSERT_TRUE(r[1].cpu_percent);
  EXPECT_DOUBLE_EQ(*r[1].cpu_percent, 0.1);
  EXPECT_FALSE(r[2].cpu_percent) << "c: another cgroup now";
  EXPECT_FALSE(r[3].cpu_percent) << "new: no earlier sample";
}

TEST(TopFrame, AProfileGoneSinceTheLastSampleHasNoRow) {
  Snapshot first{1.0, {sample("a", 0, 0), sample("b", 0, 0)}};
  Snapshot second{2.0, {sample("b", 0, 0)}};
  std::vector<Row> r = rows(&first, second);
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0].profile, "b");
}

TEST(TopFrame, IoRatesOnlyWhereBothSamplesReadTheStatistics) {
  Sample a0 = sample("a", 0, 0), a1 = sample("a", 0, 0);
  a0.usage.io_known = a1.usage.io_known = true;
  a0.usage.io = {{"8:0", 1000, 0, 1, 0}, {"8:16", 0, 4096, 0, 1}};
  a1.usage.io = {{"8:0", 3000, 0, 2, 0}, {"8:16", 0, 12288, 0, 3}};
  Sample b0 = sample("b", 0, 0), b1 = sample("b", 0, 0);  // no io file (v1 without blkio)
  Sample c0 = sample("c", 0, 0), c1 = sample("c", 0, 0);  // a file, and no traffic
  c0.usage.io_known = c1.usage.io_known = true;
  Snapshot first{0.0, {a0, b0, c0}}, second{2.0, {a1, b1, c1}};
  std::vector<Row> r = rows(&first, second);
  EXPECT_EQ(r[0].read_per_second, 1000.0);
  EXPECT_EQ(r[0].written_per_second, 4096.0);
  EXPECT_FALSE(r[1].read_per_second);
  EXPECT_EQ(r[2].read_per_second, 0.0);
}

TEST(TopFrame, SortsLargestFirstUnknownLastTiesByName) {
  std::vector<Row> r(4);
  r[0].profile = "d", r[0].cpu_percent = 5, r[0].memory_bytes = 10, r[0].tasks = 2;
  r[1].profile = "c";  // nothing known
  r[2].profile = "b", r[2].cpu_percent = 50, r[2].memory_bytes = 10, r[2].tasks = 1;
  r[3].profile = "a", r[3].cpu_percent = 5, r[3].memory_bytes = 30, r[3].tasks = 2;
  auto order = [&](SortKey key) {
    std::vector<Row> copy = r;
    sort_rows(copy, key);
    std::string names;
    for (const auto& row : copy) names += row.profile;
    return names;
  };
  EXPECT_EQ(order(SortKey::Cpu), "badc");
  EXPECT_EQ(order(SortKey::Memory), "abdc");
  EXPECT_EQ(order(SortKey::Tasks), "adbc");
  EXPECT_EQ(order(SortKey::Name), "abcd");
  EXPECT_EQ(sort_key("memory"), SortKey::Memory);
  EXPECT_EQ(sort_key("name"), SortKey::Name);
  EXPECT_FALSE(sort_key("ram"));
}

TEST(TopFrame, TheTableAlignsColumnsAndShowsUnknownsAsDashes) {
  Snapshot first{0.0, {sample("lab", 0, uint64_t{312} << 20, 3)}};
  Sample second_lab = sample("lab", 250'000, uint64_t{312} << 20, 3);
  Sample web = sample("web-frontend", 7, 1536);
  web.usage.pids.reset();
  Snapshot second{1.0, {second_lab, web}};
  std::vector<Row> r = rows(&first, second);
  EXPECT_EQ(render(r),
            "PROFILE       CGROUP               TASKS  CPU%  MEMORY  READ/S  WRITE/S  PIDS\n"
            "lab           nsplan/lab               3  25.0    312M       -        -     3\n"
            "web-frontend  nsplan/web-frontend      1     -    1.5K       -        -     -\n");
  EXPECT_EQ(render(r, 20),
            "PROFILE       CGROUP\n"
            "lab           nsplan\n"
            "web-frontend  nsplan\n");
  EXPECT_EQ(render({}), "PROFILE  CGROUP  TASKS  CPU%  MEMORY  READ/S  WRITE/S  PIDS\n"
                        "(no applied profile has a cgroup that nsplan made)\n");
}

TEST(TopFrame, ACgroupPathIsEscaped) {
  Sample s = sample("lab", 0, 0);
  s.cgroup = "x\x1b[2Jy";
  std::string text = render(rows(nullptr, Snapshot{0, {s}}));
  EXPECT_EQ(text.find('\x1b'), std::string::npos) << text;
  EXPECT_NE(text.find("x\\x1b[2Jy"), std::string::npos) << text;
}

}  // namespace
}  // namespace nsplan::cli::top
