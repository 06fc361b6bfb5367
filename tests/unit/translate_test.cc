#include "compiler/translate.h"

#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>

namespace nsplan::translate {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();

TEST(SharesToWeight, HeaderVectors) {
  EXPECT_EQ(shares_to_weight(2), 1u);
  EXPECT_EQ(shares_to_weight(512), 59u);
  EXPECT_EQ(shares_to_weight(1024), 100u);
  EXPECT_EQ(shares_to_weight(2048), 174u);
  EXPECT_EQ(shares_to_weight(262144), 10000u);
}

// Values computed with 50-digit decimal arithmetic: ceil(10^((l*l + 125*l)/612 - 7/34)).
TEST(SharesToWeight, MoreVectors) {
  EXPECT_EQ(shares_to_weight(3), 2u);
  EXPECT_EQ(shares_to_weight(4), 2u);
  EXPECT_EQ(shares_to_weight(10), 4u);
  EXPECT_EQ(shares_to_weight(100), 17u);
  EXPECT_EQ(shares_to_weight(256), 35u);
  EXPECT_EQ(shares_to_weight(1000), 99u);
  EXPECT_EQ(shares_to_weight(4096), 303u);
  EXPECT_EQ(shares_to_weight(10000), 627u);
  EXPECT_EQ(shares_to_weight(100000), 4340u);
  // 10^e = 7913.0000032: the input closest to an integer result; must round up.
  EXPECT_EQ(shares_to_weight(200416), 7914u);
  EXPECT_EQ(shares_to_weight(262143), 10000u);
}

TEST(SharesToWeight, ClampsOutsideTheV1Range) {
  EXPECT_EQ(shares_to_weight(0), 1u);
  EXPECT_EQ(shares_to_weight(1), 1u);
  EXPECT_EQ(shares_to_weight(262145), 10000u);
  EXPECT_EQ(shares_to_weight(kMax), 10000u);
}

TEST(SharesToWeight, MonotonicAndInRangeOverTheWholeDomain) {
  uint64_t prev = shares_to_weight(2);
  for (uint64_t s = 3; s <= 262144; ++s) {
    uint64_t w = shares_to_weight(s);
    ASSERT_GE(w, prev) << "shares " << s;
    ASSERT_GE(w, 1u);
    ASSERT_LE(w, 10000u);
    prev = w;
  }
}

// The double result is never within rounding error of an integer (except the exact 1024 -> 100),
// so the ceil agrees with a wider-precision evaluation everywhere, and with runc's Go code.
TEST(SharesToWeight, AgreesWithLongDoubleEvaluation) {
  for (uint64_t s = 3; s < 262144; ++s) {
    long double l = std::log2(static_cast<long double>(s));
    long double e = (l * l + 125 * l) / 612.0L - 7.0L / 34.0L;
    long double p = std::pow(10.0L, e);
    if (s == 1024) continue;  // exactly 100 in both; the long double pow may be off by an ulp
    ASSERT_EQ(shares_to_weight(s), static_cast<uint64_t>(std::ceil(p))) << "shares " << s;
  }
}

TEST(WeightToShares, Vectors) {
  EXPECT_EQ(weight_to_shares(100), 1024u);
  EXPECT_EQ(weight_to_shares(1), 10u);  // 1024/100 = 10.24, truncated; above the minimum of 2
  EXPECT_EQ(weight_to_shares(50), 512u);
  EXPECT_EQ(weight_to_shares(200), 2048u);
  EXPECT_EQ(weight_to_shares(10000), 102400u);
}

TEST(WeightToShares, Clamps) {
  EXPECT_EQ(weight_to_shares(0), 2u);
  EXPECT_EQ(weight_to_shares(25600), 262144u);
  EXPECT_EQ(weight_to_shares(25601), 262144u);
  EXPECT_EQ(weight_to_shares(kMax), 262144u);  // no overflow in weight * 1024
}

TEST(WeightToShares, DefaultsRoundTrip) {
  EXPECT_EQ(shares_to_weight(weight_to_shares(100)), 100u);
  EXPECT_EQ(weight_to_shares(shares_to_weight(1024)), 1024u);
}

TEST(MemswFrom, Adds) {
  EXPECT_EQ(memsw_from(0, 0), 0u);
  EXPECT_EQ(memsw_from(1073741824, 536870912), 1610612736u);
  EXPECT_EQ(memsw_from(kMax - 5, 5), kMax);
}

TEST(MemswFrom, Saturates) {
  EXPECT_EQ(memsw_from(kMax - 5, 6), kMax);
  EXPECT_EQ(memsw_from(kMax, 1), kMax);
  EXPECT_EQ(memsw_from(1, kMax), kMax);
  EXPECT_EQ(memsw_from(kMax, kMax), kMax);
}

}  // namespace
}  // namespace nsplan::translate
