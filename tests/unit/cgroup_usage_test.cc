// What status and top read of a cgroup's usage (applier/cgroup_usage.h), from statistics files
// set by hand in the fake kernel: which file gives which figure on v1 and on v2, and that a file
// the kernel does not have leaves its figure unknown. The numbers of a real kernel are kernel
// tests (tests/kernel/usage_test.cc, top_test.cc).
#include <gtest/gtest.h>

#include "applier/cgroup_usage.h"
#include "fake_kernel.h"

namespace nsplan {
namespace {

using applier::CgroupUsage;

constexpr uint64_t k2M = uint64_t{2} << 20, k1G = uint64_t{1} << 30;

// DIR with FILES (and an empty cgroup.procs unless given), made directly in the fake.
void put(testing::FakeKernel& k, const std::string& dir, std::map<std::string, std::string> files) {
  k.make_cgroup_now(dir);
  auto& have = k.mutable_state().cgroups[dir];
  if (!files.count("cgroup.procs")) files["cgroup.procs"] = "";
  for (auto& [f, v] : files) have[f] = v;
}

TEST(CgroupUsage, HugetlbOnV2IsCurrentAndMaxEventsPerPageSize) {
  HostFacts f = HostFacts::stated(CgroupMode::V2);
  f.huge_page_sizes = std::vector<uint64_t>{k2M, k1G};
  testing::FakeKernel k(f);
  const std::string dir = "/sys/fs/cgroup/lab";
  put(k, dir, {{"cgroup.procs", "7\n"},
               {"hugetlb.2MB.current", "4194304"},
               {"hugetlb.2MB.events", "max 3\n"},
               {"hugetlb.1GB.current", "0"},
               {"hugetlb.1GB.events", "max 0\n"}});
  CgroupUsage u = applier::read_usage(k, f, {dir});
  ASSERT_EQ(u.hugetlb.size(), 2u);
  EXPECT_EQ(u.hugetlb[0].page, "2MB");
  EXPECT_EQ(u.hugetlb[0].bytes, 4194304u);
  EXPECT_EQ(u.hugetlb[0].max_hits, 3u);
  EXPECT_EQ(u.hugetlb[1].page, "1GB");
  EXPECT_EQ(u.hugetlb[1].bytes, 0u);
  EXPECT_EQ(applier::usage_json(u)["hugetlb"].dump(),
            R"([{"page":"2MB","current_bytes":4194304,"max_hits":3},{"page":"1GB","current_bytes":0,"max_hits":0}])");
  std::vector<std::string> lines = applier::usage_lines(u);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "hugetlb 2MB 4.0M now; limit reached 3 times"), lines.end())
      << ::testing::PrintToString(lines);
  EXPECT_NE(std::find(lines.begin(), lines.end(), "hugetlb 1GB 0 now"), lines.end()) << ::testing::PrintToString(lines);
}

TEST(CgroupUsage, HugetlbOnV1IsUsageInBytesAndFailcntInItsOwnHierarchy) {
  HostFacts f = HostFacts::stated(CgroupMode::V1);
  f.huge_page_sizes = std::vector<uint64_t>{k2M};
  testing::FakeKernel k(f);
  const std::string huge = "/sys/fs/cgroup/hugetlb/lab", memory = "/sys/fs/cgroup/memory/lab";
  put(k, huge, {{"hugetlb.2MB.usage_in_bytes", "2097152"}, {"hugetlb.2MB.failcnt", "5"}});
  put(k, memory, {{"memory.usage_in_bytes", "1024"}});
  CgroupUsage u = applier::read_usage(k, f, {memory, huge});
  ASSERT_EQ(u.hugetlb.size(), 1u);
  EXPECT_EQ(u.hugetlb[0].page, "2MB");
  EXPECT_EQ(u.hugetlb[0].bytes, 2097152u);
  EXPECT_EQ(u.hugetlb[0].max_hits, 5u);
  EXPECT_EQ(u.memory_bytes, 1024u);
  // Not in the hugetlb hierarchy: no hugetlb figure, not a zero.
  EXPECT_TRUE(applier::read_usage(k, f, {memory}).hugetlb.empty());
}

TEST(CgroupUsage, CpuacctOfAMembershipOnlyGroupOnV1) {
  HostFacts f = HostFacts::stated(CgroupMode::V1);
  testing::FakeKernel k(f);
  const std::string dir = "/sys/fs/cgroup/cpuacct/acct";
  put(k, dir, {{"cgroup.procs", "1\n2\n"}, {"cpuacct.usage", "2500000000"}});
  CgroupUsage u = applier::read_usage(k, f, {dir});
  EXPECT_EQ(u.processes, 2u);
  EXPECT_EQ(u.cpu_usec, 2500000u);
  EXPECT_FALSE(u.memory_bytes) << "no memory hierarchy: unknown";
  EXPECT_EQ(applier::usage_json(u)["cpu"].dump(), R"({"usage_usec":2500000})");
  EXPECT_EQ(applier::usage_lines(u)[1], "cpu        2.50 s used");
}

TEST(CgroupUsage, IoIsKnownOnceItsFileIsReadEvenWithoutTraffic) {
  HostFacts f = HostFacts::stated(CgroupMode::V2);
  testing::FakeKernel k(f);
  const std::string quiet = "/sys/fs/cgroup/quiet", busy = "/sys/fs/cgroup/busy";
  put(k, quiet, {{"io.stat", ""}});
  put(k, busy, {{"io.stat", "8:0 rbytes=4096 wbytes=8192 rios=1 wios=2 dbytes=0 dios=0\n"}});
  CgroupUsage q = applier::read_usage(k, f, {quiet});
  EXPECT_TRUE(q.io_known);
  EXPECT_TRUE(q.io.empty());
  CgroupUsage b = applier::read_usage(k, f, {busy});
  ASSERT_EQ(b.io.size(), 1u);
  EXPECT_EQ(b.io[0].written_bytes, 8192u);
  put(k, "/sys/fs/cgroup/none", {});
  EXPECT_FALSE(applier::read_usage(k, f, {"/sys/fs/cgroup/none"}).io_known);
}

TEST(CgroupUsage, ShortBytes) {
  EXPECT_EQ(applier::short_bytes(0), "0");
  EXPECT_EQ(applier::short_bytes(512), "512");
  EXPECT_EQ(applier::short_bytes(1536), "1.5K");
  EXPECT_EQ(applier::short_bytes(uint64_t{312} << 20), "312M");
  EXPECT_EQ(applier::short_bytes(uint64_t{1288490189}), "1.2G");
}

}  // namespace
}  // namespace nsplan
