// Read-back comparison of cgroup values (applier/cgroup_values.h) after the kernel's own
// normalisation, so that a second apply of the same profile finds nothing to do. The kernel's
// answers used here are those of mm/page_counter.c (bytes / PAGE_SIZE, capped at
// PAGE_COUNTER_MAX = LONG_MAX / PAGE_SIZE, printed as pages * PAGE_SIZE on v1 and as "max" on v2);
// tests/kernel/convergence_test.cc checks them against the real kernel.
#include <gtest/gtest.h>

#include <string>

#include "applier/cgroup_values.h"

namespace nsplan::applier {
namespace {

const unsigned long long kPage = static_cast<unsigned long long>(page_size());
// What v1 prints for a counter at PAGE_COUNTER_MAX: the largest page-aligned value below 2^63.
const std::string kV1NoLimit = std::to_string((9223372036854775807ull / kPage) * kPage);

TEST(CgroupValues, MemoryIsComparedInWholePagesRoundedDown) {
  EXPECT_TRUE(cgroup_value_matches("memory.max", std::to_string(3 * kPage), std::to_string(3 * kPage)));
  EXPECT_TRUE(cgroup_value_matches("memory.max", std::to_string(3 * kPage + 1), std::to_string(3 * kPage)));
  EXPECT_TRUE(cgroup_value_matches("memory.limit_in_bytes", std::to_string(4 * kPage - 1), std::to_string(3 * kPage)));
  EXPECT_FALSE(cgroup_value_matches("memory.max", std::to_string(4 * kPage), std::to_string(3 * kPage)));
  EXPECT_TRUE(cgroup_value_matches("memory.low", "1", "0"));
  EXPECT_FALSE(cgroup_value_matches("memory.low", "0", "max"));
}

TEST(CgroupValues, NoLimitReadsBackAsMaxOnV2AndAsTheCounterMaximumOnV1) {
  EXPECT_TRUE(cgroup_value_matches("memory.max", "max", "max"));
  EXPECT_TRUE(cgroup_value_matches("memory.limit_in_bytes", "-1", kV1NoLimit));
  EXPECT_TRUE(cgroup_value_matches("memory.memsw.limit_in_bytes", "-1", kV1NoLimit));
  EXPECT_FALSE(cgroup_value_matches("memory.max", "max", std::to_string(1ull << 40)));
  EXPECT_FALSE(cgroup_value_matches("memory.limit_in_bytes", "-1", std::to_string((1ull << 62))));
}

// A size the kernel caps at PAGE_COUNTER_MAX (v1 memsw = max + swap can be one) converges: it
// reads back as no limit, and that is what it is.
TEST(CgroupValues, SizesAboveTheCounterMaximumReadBackAsNoLimit) {
  const std::string huge = "10995115178248372224";  // 9999999T, the example
  EXPECT_TRUE(cgroup_value_matches("memory.max", huge, "max"));
  EXPECT_TRUE(cgroup_value_matches("memory.memsw.limit_in_bytes", huge, kV1NoLimit));
  EXPECT_TRUE(cgroup_value_matches("memory.memsw.limit_in_bytes", "18446744073709551615", kV1NoLimit));
  EXPECT_TRUE(cgroup_value_matches("memory.soft_limit_in_bytes", kV1NoLimit, kV1NoLimit));
  // Just below the cap is a limit like any other.
  const std::string below = std::to_string((9223372036854775807ull / kPage - 1) * kPage);
  EXPECT_FALSE(cgroup_value_matches("memory.max", below, "max"));
  EXPECT_TRUE(cgroup_value_matches("memory.max", below, below));
}

TEST(CgroupValues, WhatIsNotANumberNeverMatchesANumber) {
  EXPECT_FALSE(cgroup_value_matches("memory.max", "3G", std::to_string(3ull << 30)));
  EXPECT_FALSE(cgroup_value_matches("memory.max", "", "0"));
  EXPECT_FALSE(cgroup_value_matches("memory.max", "100", "garbage"));
}

}  // namespace
}  // namespace nsplan::applier
