#include "compiler/units.h"

#include <gtest/gtest.h>

#include <cstdint>
#include <limits>
#include <string>

namespace nsplan::units {
namespace {

constexpr uint64_t kMax = std::numeric_limits<uint64_t>::max();
constexpr uint64_t KiB = 1024, MiB = KiB * 1024, GiB = MiB * 1024, TiB = GiB * 1024,
                   PiB = TiB * 1024;

const std::string k100Digits(100, '9');

// The message of a failed Result, or a marker that makes a mismatch readable.
template <class T>
std::string message(const Result<T>& r) {
  return r.ok() ? std::string("<ok>") : r.problem().message;
}
template <class T>
std::string hint(const Result<T>& r) {
  return r.ok() ? std::string("<ok>") : r.problem().hint;
}

// Every failure carries a hint.
#define EXPECT_FAILS(expr)                              \
  do {                                                  \
    auto r_ = (expr);                                   \
    EXPECT_FALSE(r_.ok()) << #expr;                     \
    if (!r_.ok()) {                                     \
      EXPECT_FALSE(r_.problem().hint.empty()) << #expr; \
    }                                                   \
  } while (0)

ByteLimit bytes(uint64_t n) { return ByteLimit{false, n}; }

// ---- parse_bytes -----------------------------------------------------------------------------

TEST(ParseBytes, PlainNumbers) {
  EXPECT_EQ(parse_bytes("0").value(), bytes(0));
  EXPECT_EQ(parse_bytes("512").value(), bytes(512));
  EXPECT_EQ(parse_bytes("007").value(), bytes(7));
  EXPECT_EQ(parse_bytes("18446744073709551615").value(), bytes(kMax));
}

TEST(ParseBytes, Suffixes) {
  EXPECT_EQ(parse_bytes("1K").value(), bytes(KiB));
  EXPECT_EQ(parse_bytes("1k").value(), bytes(KiB));
  EXPECT_EQ(parse_bytes("512M").value(), bytes(512 * MiB));
  EXPECT_EQ(parse_bytes("512m").value(), bytes(512 * MiB));
  EXPECT_EQ(parse_bytes("3G").value(), bytes(3221225472));
  EXPECT_EQ(parse_bytes("2T").value(), bytes(2 * TiB));
  EXPECT_EQ(parse_bytes("1p").value(), bytes(PiB));
  EXPECT_EQ(parse_bytes("0K").value(), bytes(0));
  EXPECT_EQ(parse_bytes("16383P").value(), bytes(16383 * PiB));
}

TEST(ParseBytes, ExactFractions) {
  EXPECT_EQ(parse_bytes("1.5G").value(), bytes(1610612736));
  EXPECT_EQ(parse_bytes("1.50G").value(), bytes(1610612736));
  EXPECT_EQ(parse_bytes("0.5K").value(), bytes(512));
  EXPECT_EQ(parse_bytes("1.0").value(), bytes(1));
  EXPECT_EQ(parse_bytes("0.25M").value(), bytes(256 * KiB));
  // 2^-20 M is one byte; 20 fraction digits do not fit in 64 bits but the value is exact.
  EXPECT_EQ(parse_bytes("0.00000095367431640625M").value(), bytes(1));
  EXPECT_EQ(parse_bytes("15.9990234375P").value(), bytes(16 * PiB - TiB));
}

TEST(ParseBytes, Max) {
  EXPECT_EQ(parse_bytes("max").value(), (ByteLimit{true, 0}));
  auto r = parse_bytes("max", false);
  EXPECT_EQ(message(r), "'max' is not allowed here");
  EXPECT_FAILS(parse_bytes("max", false));
  EXPECT_EQ(message(parse_bytes("MAX")), "'MAX' must be written in lower case");
  EXPECT_EQ(hint(parse_bytes("Max")), "write max");
  EXPECT_EQ(message(parse_bytes("MAX", false)), "'MAX' is not a size");
}

TEST(ParseBytes, BadUnits) {
  EXPECT_EQ(message(parse_bytes("3X")), "bad unit 'X' in '3X'");
  EXPECT_EQ(hint(parse_bytes("3X")), "use K, M, G, T or P (×1024), or max");
  EXPECT_EQ(hint(parse_bytes("3X", false)), "use K, M, G, T or P (×1024)");
  EXPECT_EQ(message(parse_bytes("1KiB")), "bad unit 'KiB' in '1KiB'");
  EXPECT_EQ(message(parse_bytes("1KB")), "bad unit 'KB' in '1KB'");
  EXPECT_EQ(message(parse_bytes("2GB")), "bad unit 'GB' in '2GB'");
  EXPECT_EQ(message(parse_bytes("1Gi")), "bad unit 'Gi' in '1Gi'");
  EXPECT_EQ(message(parse_bytes("10B")), "bad unit 'B' in '10B'");
  EXPECT_EQ(message(parse_bytes("16E")), "bad unit 'E' in '16E'");  // no exa suffix
  EXPECT_EQ(message(parse_bytes("1.5.5K")), "bad unit '.5K' in '1.5.5K'");
  for (const char* t : {"1KiB", "1KB", "2GB", "10B", "1e3"}) EXPECT_FAILS(parse_bytes(t));
}

TEST(ParseBytes, NotWholeBytes) {
  EXPECT_EQ(message(parse_bytes("0.3K")), "'0.3K' is not a whole number of bytes");
  EXPECT_EQ(message(parse_bytes("1.5")), "'1.5' is not a whole number of bytes");
  EXPECT_FAILS(parse_bytes("0.3K"));
  EXPECT_FALSE(parse_bytes("0." + std::string(99, '0') + "1P").ok());
  EXPECT_FALSE(parse_bytes("0.000000953674316406251M").ok());
}

TEST(ParseBytes, Overflow) {
  EXPECT_EQ(message(parse_bytes("99999999999999999999")),
            "value '99999999999999999999' is too large");
  EXPECT_EQ(hint(parse_bytes("99999999999999999999")),
            "it must be below 16384P (2^64); for no limit write max");
  EXPECT_EQ(message(parse_bytes("18446744073709551616")),
            "value '18446744073709551616' is too large");
  EXPECT_EQ(message(parse_bytes("16384P")), "value '16384P' is too large");
  EXPECT_EQ(message(parse_bytes("17179869184T")), "value '17179869184T' is too large");
  EXPECT_EQ(message(parse_bytes(k100Digits)), "value '" + k100Digits + "' is too large");
  EXPECT_FALSE(parse_bytes(k100Digits + "K").ok());
  EXPECT_FALSE(parse_bytes(k100Digits + ".5").ok());
  EXPECT_FAILS(parse_bytes("16384P", false));
}

TEST(ParseBytes, Garbage) {
  EXPECT_EQ(message(parse_bytes("")), "empty size");
  EXPECT_EQ(message(parse_bytes("abc")), "'abc' is not a size");
  EXPECT_EQ(message(parse_bytes("-1M")), "negative size '-1M'");
  EXPECT_EQ(hint(parse_bytes("-1M")), "a size cannot be negative; for no limit write max");
  EXPECT_EQ(hint(parse_bytes("-1M", false)), "a size cannot be negative");
  EXPECT_EQ(message(parse_bytes(" 5M")), "unexpected space in ' 5M'");
  EXPECT_EQ(message(parse_bytes("5M ")), "unexpected space in '5M '");
  EXPECT_EQ(message(parse_bytes("5 M")), "unexpected space in '5 M'");
  for (const char* t :
       {"", "abc", "-1M", " 5M", "5M ", "5 M", "K", ".5K", "1.K", "+5", "1..5", "0x10", "\t1"}) {
    EXPECT_FAILS(parse_bytes(t));
  }
}

// ---- parse_count -----------------------------------------------------------------------------

TEST(ParseCount, Values) {
  EXPECT_EQ(parse_count("0").value(), (CountLimit{false, 0}));
  EXPECT_EQ(parse_count("100").value(), (CountLimit{false, 100}));
  EXPECT_EQ(parse_count("18446744073709551615").value(), (CountLimit{false, kMax}));
  EXPECT_EQ(parse_count("max").value(), (CountLimit{true, 0}));
}

TEST(ParseCount, Errors) {
  EXPECT_EQ(message(parse_count("")), "empty count");
  EXPECT_EQ(message(parse_count("-1")), "negative count '-1'");
  EXPECT_EQ(message(parse_count("1.5")), "'1.5' is not a count");
  EXPECT_EQ(message(parse_count("1K")), "'1K' is not a count");
  EXPECT_EQ(message(parse_count("MAX")), "'MAX' must be written in lower case");
  EXPECT_EQ(message(parse_count("18446744073709551616")),
            "value '18446744073709551616' is too large");
  EXPECT_EQ(hint(parse_count("abc")), "write a whole number such as 100, or max");
  for (const char* t : {"", "-1", "1.5", "1K", "abc", "MAX", "+1", " 1", "1 "}) {
    EXPECT_FAILS(parse_count(t));
  }
  EXPECT_FAILS(parse_count(k100Digits));
}

// ---- parse_uint / parse_int ------------------------------------------------------------------

TEST(ParseUint, InRange) {
  EXPECT_EQ(parse_uint("5", 1, 10).value(), 5u);
  EXPECT_EQ(parse_uint("1", 1, 10).value(), 1u);
  EXPECT_EQ(parse_uint("10", 1, 10).value(), 10u);
  EXPECT_EQ(parse_uint("010", 1, 10).value(), 10u);
  EXPECT_EQ(parse_uint("18446744073709551615", 0, kMax).value(), kMax);
}

TEST(ParseUint, Errors) {
  EXPECT_EQ(message(parse_uint("0", 1, 10000)), "value 0 is out of range 1..10000");
  EXPECT_EQ(hint(parse_uint("0", 1, 10000)), "use a whole number from 1 to 10000");
  EXPECT_EQ(message(parse_uint("10001", 1, 10000)), "value 10001 is out of range 1..10000");
  EXPECT_EQ(message(parse_uint("-1", 1, 10000)), "value -1 is out of range 1..10000");
  EXPECT_EQ(message(parse_uint("x", 1, 10)), "'x' is not a whole number");
  EXPECT_EQ(message(parse_uint("1.0", 1, 10)), "'1.0' is not a whole number");
  EXPECT_EQ(message(parse_uint("", 1, 10)), "empty value");
  EXPECT_EQ(message(parse_uint("99999999999999999999", 0, kMax)),
            "value '99999999999999999999' is too large");
  EXPECT_EQ(message(parse_uint(" 5", 1, 10)), "unexpected space in ' 5'");
  for (const char* t : {"0", "11", "-1", "x", "", "+5", "5 ", "1e1", "0x5"}) {
    EXPECT_FAILS(parse_uint(t, 1, 10));
  }
}

TEST(ParseInt, InRange) {
  EXPECT_EQ(parse_int("-5", -10, 10).value(), -5);
  EXPECT_EQ(parse_int("+5", -10, 10).value(), 5);
  EXPECT_EQ(parse_int("0", -10, 10).value(), 0);
  EXPECT_EQ(parse_int("-0", -10, 10).value(), 0);
  EXPECT_EQ(parse_int("-10", -10, 10).value(), -10);
  EXPECT_EQ(parse_int("10", -10, 10).value(), 10);
  constexpr int64_t lo = std::numeric_limits<int64_t>::min();
  constexpr int64_t hi = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(parse_int("-9223372036854775808", lo, hi).value(), lo);
  EXPECT_EQ(parse_int("9223372036854775807", lo, hi).value(), hi);
}

TEST(ParseInt, Errors) {
  constexpr int64_t lo = std::numeric_limits<int64_t>::min();
  constexpr int64_t hi = std::numeric_limits<int64_t>::max();
  EXPECT_EQ(message(parse_int("11", -10, 10)), "value 11 is out of range -10..10");
  EXPECT_EQ(message(parse_int("-11", -10, 10)), "value -11 is out of range -10..10");
  EXPECT_EQ(message(parse_int("9223372036854775808", lo, hi)),
            "value '9223372036854775808' is too large");
  EXPECT_EQ(message(parse_int("-9223372036854775809", lo, hi)),
            "value '-9223372036854775809' is too small");
  EXPECT_EQ(message(parse_int("+-5", -10, 10)), "'+-5' is not a whole number");
  EXPECT_EQ(message(parse_int("", -10, 10)), "empty value");
  for (const char* t : {"11", "-11", "+-5", "-", "+", "", "--1", "1.5", " 1", "a"}) {
    EXPECT_FAILS(parse_int(t, -10, 10));
  }
  EXPECT_FAILS(parse_int(k100Digits, lo, hi));
  EXPECT_FAILS(parse_int("-" + k100Digits, lo, hi));
}

// ---- parse_cpu_max ---------------------------------------------------------------------------

CpuMax cpu(uint64_t quota, uint64_t period = 100000, bool given = false) {
  return CpuMax{false, quota, period, given, ""};
}
// A share ("50%", "1.5"): its quota at PERIOD, and its text kept for another period.
CpuMax share(const std::string& text, uint64_t quota, uint64_t period = 100000) {
  return CpuMax{false, quota, period, false, text};
}

TEST(ParseCpuMax, Percent) {
  EXPECT_EQ(parse_cpu_max("50%", 100000).value(), share("50%", 50000));
  EXPECT_EQ(parse_cpu_max("250%", 100000).value(), share("250%", 250000));
  EXPECT_EQ(parse_cpu_max("12.5%", 100000).value(), share("12.5%", 12500));
  EXPECT_EQ(parse_cpu_max("1%", 100000).value(), share("1%", 1000));
  EXPECT_EQ(parse_cpu_max("50%", 50000).value(), share("50%", 25000, 50000));
  EXPECT_EQ(parse_cpu_max("100%", 1000).value(), share("100%", 1000, 1000));
  EXPECT_EQ(parse_cpu_max("0.1%", 1000000).value(), share("0.1%", 1000, 1000000));
}

TEST(ParseCpuMax, Cores) {
  EXPECT_EQ(parse_cpu_max("1.5", 100000).value(), share("1.5", 150000));
  EXPECT_EQ(parse_cpu_max("2", 100000).value(), share("2", 200000));
  EXPECT_EQ(parse_cpu_max("0.01", 100000).value(), share("0.01", 1000));
  EXPECT_EQ(parse_cpu_max("0.5", 300000).value(), share("0.5", 150000, 300000));
}

TEST(ParseCpuMax, RoundsToTheNearestMicrosecond) {
  EXPECT_EQ(parse_cpu_max("33.3333%", 100000).value(), share("33.3333%", 33333));   // 33333.3
  EXPECT_EQ(parse_cpu_max("66.66666%", 100000).value(), share("66.66666%", 66667));  // 66666.66
  EXPECT_EQ(parse_cpu_max("1.0005%", 100000).value(), share("1.0005%", 1001));     // 1000.5: half up
  EXPECT_EQ(parse_cpu_max("1.0004%", 100000).value(), share("1.0004%", 1000));     // 1000.4
  EXPECT_EQ(parse_cpu_max("0.3333333333333333333", 300000).value(), share("0.3333333333333333333", 100000, 300000));
}

TEST(ParseCpuMax, QuotaAndPeriod) {
  EXPECT_EQ(parse_cpu_max("50000/100000", 100000).value(), cpu(50000, 100000, true));
  EXPECT_EQ(parse_cpu_max("50000/100000", 250000).value(), cpu(50000, 100000, true));
  EXPECT_EQ(parse_cpu_max("1000/1000", 100000).value(), cpu(1000, 1000, true));
  EXPECT_EQ(parse_cpu_max("1000/1000000", 100000).value(), cpu(1000, 1000000, true));
  EXPECT_EQ(parse_cpu_max("400000/100000", 100000).value(), cpu(400000, 100000, true));
  EXPECT_EQ(parse_cpu_max("17592186044415/100000", 100000).value(),
            cpu(17592186044415, 100000, true));
}

TEST(ParseCpuMax, Max) {
  EXPECT_EQ(parse_cpu_max("max", 100000).value(), (CpuMax{true, 0, 100000, false, ""}));
  EXPECT_EQ(parse_cpu_max("max", 50000).value(), (CpuMax{true, 0, 50000, false, ""}));
  EXPECT_EQ(parse_cpu_max("max/20000", 100000).value(), (CpuMax{true, 0, 20000, true, ""}));
  EXPECT_EQ(message(parse_cpu_max("MAX", 100000)), "'MAX' must be written in lower case");
}

TEST(ParseCpuMax, PeriodRange) {
  EXPECT_EQ(message(parse_cpu_max("1000/999", 100000)),
            "cpu period 999 is out of range 1000..1000000 µs");
  EXPECT_EQ(message(parse_cpu_max("1000/500", 100000)),
            "cpu period 500 is out of range 1000..1000000 µs");
  EXPECT_EQ(message(parse_cpu_max("1000/1000001", 100000)),
            "cpu period 1000001 is out of range 1000..1000000 µs");
  EXPECT_EQ(message(parse_cpu_max("1000/0", 100000)),
            "cpu period 0 is out of range 1000..1000000 µs");
  EXPECT_EQ(message(parse_cpu_max("1000/" + k100Digits, 100000)),
            "cpu period " + k100Digits + " is out of range 1000..1000000 µs");
  EXPECT_EQ(message(parse_cpu_max("50%", 999)), "cpu period 999 is out of range 1000..1000000 µs");
  EXPECT_EQ(message(parse_cpu_max("max", 2000000)),
            "cpu period 2000000 is out of range 1000..1000000 µs");
  EXPECT_EQ(hint(parse_cpu_max("1000/999", 100000)),
            "use a period from 1000 to 1000000 µs (100000 is the kernel's default)");
}

TEST(ParseCpuMax, QuotaRange) {
  EXPECT_EQ(message(parse_cpu_max("500/100000", 100000)),
            "cpu quota 500 µs is below the kernel's minimum of 1000 µs");
  EXPECT_EQ(message(parse_cpu_max("999/100000", 100000)),
            "cpu quota 999 µs is below the kernel's minimum of 1000 µs");
  EXPECT_EQ(message(parse_cpu_max("0.5%", 100000)),
            "cpu quota 500 µs is below the kernel's minimum of 1000 µs");
  EXPECT_EQ(hint(parse_cpu_max("0.5%", 100000)),
            "use at least 1% of a CPU (1000 µs per 100000 µs period), or max");
  EXPECT_EQ(hint(parse_cpu_max("0.1%", 300000)),
            "use at least 0.334% of a CPU (1000 µs per 300000 µs period), or max");
  EXPECT_EQ(hint(parse_cpu_max("0.001", 100000)),
            "use at least 0.01 CPUs (1000 µs per 100000 µs period), or max");
  EXPECT_EQ(message(parse_cpu_max("0.0099", 100000)),
            "cpu quota 990 µs is below the kernel's minimum of 1000 µs");
  EXPECT_EQ(message(parse_cpu_max("17592186044416/100000", 100000)),
            "cpu quota 17592186044416 µs is above the kernel's maximum of 17592186044415 µs");
  EXPECT_EQ(message(parse_cpu_max("175921861", 100000)),
            "cpu quota 17592186100000 µs is above the kernel's maximum of 17592186044415 µs");
  EXPECT_EQ(message(parse_cpu_max(k100Digits + "/100000", 100000)),
            "cpu quota " + k100Digits + " µs is above the kernel's maximum of 17592186044415 µs");
  EXPECT_EQ(message(parse_cpu_max(k100Digits + "%", 100000)),
            "cpu limit '" + k100Digits + "%' is too large");
}

TEST(ParseCpuMax, ZeroAndNegative) {
  EXPECT_EQ(message(parse_cpu_max("0", 100000)), "cpu limit '0' allows no cpu time");
  EXPECT_EQ(message(parse_cpu_max("0%", 100000)), "cpu limit '0%' allows no cpu time");
  EXPECT_EQ(message(parse_cpu_max("0.0000001%", 100000)),
            "cpu limit '0.0000001%' allows no cpu time");
  EXPECT_EQ(message(parse_cpu_max("0/100000", 100000)), "cpu limit '0/100000' allows no cpu time");
  EXPECT_EQ(message(parse_cpu_max("-50%", 100000)), "negative cpu limit '-50%'");
  EXPECT_EQ(message(parse_cpu_max("-1", 100000)), "negative cpu limit '-1'");
  for (const char* t : {"0", "0%", "0/100000", "-50%", "-1", "-1/100000"}) {
    EXPECT_FAILS(parse_cpu_max(t, 100000));
  }
}

TEST(ParseCpuMax, Garbage) {
  EXPECT_EQ(message(parse_cpu_max("50%%", 100000)), "'50%%' is not a cpu limit");
  EXPECT_EQ(hint(parse_cpu_max("50%%", 100000)),
            "write a percentage of one CPU (50%), a number of CPUs (1.5), QUOTA/PERIOD in µs "
            "(50000/100000), or max");
  EXPECT_EQ(message(parse_cpu_max("", 100000)), "empty cpu limit");
  EXPECT_EQ(message(parse_cpu_max("50 %", 100000)), "unexpected space in '50 %'");
  EXPECT_EQ(message(parse_cpu_max("50000 100000", 100000)), "unexpected space in '50000 100000'");
  for (const char* t : {"",           "%",         "abc",     "1.5.5",     "50 %",
                        "50%%",       "1e3",       "50000/",  "/100000",   "50000/100000/1",
                        "1.5/100000", "50000/1.5", "max/max", "50000/max", ".5",
                        "1.",         "50m",       " 50%",    "50% ",      "+1"}) {
    EXPECT_FAILS(parse_cpu_max(t, 100000));
  }
}

// The profile reader parses a share before it knows the period: its quota range is checked by
// effective_cpu_max against the period in force, so a share is neither refused nor let through
// for the default period's sake.
TEST(ParseCpuMax, ShareQuotaLeftForThePeriodInForce) {
  EXPECT_EQ(parse_cpu_max("0.5%", 100000, false).value(), share("0.5%", 500));
  EXPECT_EQ(parse_cpu_max("0.0000001%", 100000, false).value(), share("0.0000001%", 0));
  EXPECT_EQ(message(parse_cpu_max("0%", 100000, false)), "cpu limit '0%' allows no cpu time");
  EXPECT_EQ(message(parse_cpu_max("0.000", 100000, false)), "cpu limit '0.000' allows no cpu time");
  EXPECT_EQ(message(parse_cpu_max("500/100000", 100000, false)),
            "cpu quota 500 µs is below the kernel's minimum of 1000 µs");  // its own period: checked now
}

TEST(EffectiveCpuMax, AShareFollowsThePeriodExactly) {
  auto read = [](const char* text) { return parse_cpu_max(text, 100000, false).value(); };
  EXPECT_EQ(effective_cpu_max(read("50%"), std::nullopt).value(), share("50%", 50000));
  EXPECT_EQ(effective_cpu_max(read("50%"), 50000).value(), share("50%", 25000, 50000));
  EXPECT_EQ(effective_cpu_max(read("1.5"), 80000).value(), share("1.5", 120000, 80000));
  // Rounded once, at the period in force (not at 100000 µs and then scaled).
  EXPECT_EQ(effective_cpu_max(read("33.33333%"), 1000000).value(), share("33.33333%", 333333, 1000000));
  // Too small for the default period, enough for a long one.
  EXPECT_EQ(effective_cpu_max(read("0.5%"), 1000000).value(), share("0.5%", 5000, 1000000));
}

TEST(EffectiveCpuMax, AQuotaBelowOneMillisecondIsRefusedWithAnyPeriod) {
  auto read = [](const char* text) { return parse_cpu_max(text, 100000, false).value(); };
  EXPECT_EQ(message(effective_cpu_max(read("50%"), 1000)), "cpu quota 500 µs is below the kernel's minimum of 1000 µs");
  EXPECT_EQ(hint(effective_cpu_max(read("50%"), 1000)),
            "use at least 100% of a CPU (1000 µs per 1000 µs period), or max");
  EXPECT_EQ(message(effective_cpu_max(read("0.5%"), std::nullopt)),
            "cpu quota 500 µs is below the kernel's minimum of 1000 µs");
  EXPECT_EQ(message(effective_cpu_max(read("0.0000001%"), 1000000)),
            "cpu limit '0.0000001%' allows no cpu time");
  // And above the kernel's maximum: 17592187 CPUs fit in 100 ms periods, not in 1 s ones.
  EXPECT_TRUE(effective_cpu_max(read("17592187"), std::nullopt).ok());
  EXPECT_EQ(message(effective_cpu_max(read("17592187"), 1000000)),
            "cpu quota 17592187000000 µs is above the kernel's maximum of 17592186044415 µs");
}

TEST(EffectiveCpuMax, MaxTakesThePeriodAndQuotaPeriodStays) {
  EXPECT_EQ(effective_cpu_max(parse_cpu_max("max", 100000, false).value(), 20000).value(),
            (CpuMax{true, 0, 20000, false, ""}));
  EXPECT_EQ(effective_cpu_max(parse_cpu_max("20000/40000", 100000, false).value(), std::nullopt).value(),
            cpu(20000, 40000, true));
}

// ---- parse_cpu_list --------------------------------------------------------------------------

TEST(ParseCpuList, Normalises) {
  EXPECT_EQ(parse_cpu_list("0").value(), "0");
  EXPECT_EQ(parse_cpu_list("0-3,5").value(), "0-3,5");
  EXPECT_EQ(parse_cpu_list("3,0-1,2").value(), "0-3");
  EXPECT_EQ(parse_cpu_list("0-3,5,7-8").value(), "0-3,5,7-8");
  EXPECT_EQ(parse_cpu_list("5,1,3").value(), "1,3,5");
  EXPECT_EQ(parse_cpu_list("1-1").value(), "1");
  EXPECT_EQ(parse_cpu_list("0,0,0").value(), "0");
  EXPECT_EQ(parse_cpu_list("2-3,0-5").value(), "0-5");
  EXPECT_EQ(parse_cpu_list("4,5").value(), "4-5");
  EXPECT_EQ(parse_cpu_list("007").value(), "7");
  EXPECT_EQ(parse_cpu_list("8191").value(), "8191");
  EXPECT_EQ(parse_cpu_list("0-8191").value(), "0-8191");
  EXPECT_EQ(parse_cpu_list("8190,0,8191").value(), "0,8190-8191");
}

TEST(ParseCpuList, Errors) {
  EXPECT_EQ(message(parse_cpu_list("3-1")), "range '3-1' is descending");
  EXPECT_EQ(hint(parse_cpu_list("3-1")), "write it as 1-3");
  EXPECT_EQ(message(parse_cpu_list("a")), "bad item 'a' in list 'a'");
  EXPECT_EQ(message(parse_cpu_list("0,x-3")), "bad item 'x-3' in list '0,x-3'");
  EXPECT_EQ(message(parse_cpu_list("")), "empty list");
  EXPECT_EQ(message(parse_cpu_list(",")), "empty item in list ','");
  EXPECT_EQ(message(parse_cpu_list("1,,2")), "empty item in list '1,,2'");
  EXPECT_EQ(message(parse_cpu_list("8192")), "index 8192 is out of range 0..8191");
  EXPECT_EQ(message(parse_cpu_list("0-8192")), "index 8192 is out of range 0..8191");
  EXPECT_EQ(message(parse_cpu_list(k100Digits)),
            "index " + k100Digits + " is out of range 0..8191");
  EXPECT_EQ(message(parse_cpu_list("0, 1")), "unexpected space in '0, 1'");
  EXPECT_EQ(hint(parse_cpu_list("0, 1")), "write it without spaces: '0,1'");
  for (const char* t : {"3-1", "a", "", ",", "1,", ",1", "1,,2", "8192", "1-2-3", "-1", "1-", "0x1",
                        "+1", "0-7:2/4", " 0", "0 "}) {
    EXPECT_FAILS(parse_cpu_list(t));
  }
}

TEST(CpuListDifference, WhatTheHostDoesNotHave) {
  EXPECT_EQ(cpu_list_difference("0-7", "0-1").value(), "2-7");
  EXPECT_EQ(cpu_list_difference("0-1", "0-3").value(), "");
  EXPECT_EQ(cpu_list_difference("1,3,5", "0-3").value(), "5");
  EXPECT_EQ(cpu_list_difference("0-3,8191", "0-1,3").value(), "2,8191");
  EXPECT_EQ(cpu_list_difference("0", "").value(), "0");  // a host without any
  EXPECT_EQ(cpu_list_difference("", "0").value(), "");
  EXPECT_EQ(message(cpu_list_difference("0-x", "0")), "bad item '0-x' in list '0-x'");
}

// ---- parse_cidr / parse_ip -------------------------------------------------------------------

TEST(ParseCidr, Valid) {
  auto v4 = parse_cidr("10.0.0.1/24");
  ASSERT_TRUE(v4.ok());
  EXPECT_EQ(v4.value(), (Cidr{4, "10.0.0.1", 24}));
  EXPECT_EQ(v4.value().text(), "10.0.0.1/24");
  EXPECT_EQ(parse_cidr("fd00::1/64").value(), (Cidr{6, "fd00::1", 64}));
  EXPECT_EQ(parse_cidr("FD00:0:0::1/64").value(), (Cidr{6, "fd00::1", 64}));
  EXPECT_EQ(parse_cidr("0.0.0.0/0").value(), (Cidr{4, "0.0.0.0", 0}));
  EXPECT_EQ(parse_cidr("10.0.0.1/32").value().prefix, 32u);
  EXPECT_EQ(parse_cidr("::1/128").value(), (Cidr{6, "::1", 128}));
  EXPECT_EQ(parse_cidr("::ffff:10.0.0.1/96").value().address, "::ffff:10.0.0.1");
}

TEST(ParseCidr, Errors) {
  EXPECT_EQ(message(parse_cidr("10.0.0.1/33")), "prefix length 33 is out of range 0..32 for IPv4");
  EXPECT_EQ(message(parse_cidr("fd00::1/129")),
            "prefix length 129 is out of range 0..128 for IPv6");
  EXPECT_EQ(message(parse_cidr("10.0.0.1")), "'10.0.0.1' has no prefix length");
  EXPECT_EQ(hint(parse_cidr("10.0.0.1")), "add one, e.g. 10.0.0.1/24");
  EXPECT_EQ(hint(parse_cidr("fd00::1")), "add one, e.g. fd00::1/64");
  EXPECT_EQ(message(parse_cidr("10.0.0.1/024")), "prefix length '024' has a leading zero");
  EXPECT_EQ(hint(parse_cidr("10.0.0.1/024")), "write /24");
  EXPECT_EQ(message(parse_cidr("10.0.0.1/")), "bad prefix length '' in '10.0.0.1/'");
  EXPECT_EQ(message(parse_cidr("10.0.0.256/24")), "'10.0.0.256' is not an IPv4 address");
  EXPECT_EQ(message(parse_cidr("fd00:::1/64")), "'fd00:::1' is not an IPv6 address");
  EXPECT_EQ(message(parse_cidr("abc/24")), "'abc' is not an IP address");
  EXPECT_EQ(message(parse_cidr("10.0.0.1/" + k100Digits)),
            "prefix length " + k100Digits + " is out of range 0..32 for IPv4");
  for (const char* t :
       {"10.0.0.1/33", "10.0.0.1", "10.0.0.1/", "10.0.0.1/x", "10.0.0.1/-1", "10.0.0.1/+24",
        "10.0.0.1/24/1", "10.0.0.256/24", "1.2.3/24", "010.0.0.1/24", "fd00:::1/64",
        "fe80::1%eth0/64", "abc/24", "/24", "", " 10.0.0.1/24", "10.0.0.1/24 "}) {
    EXPECT_FAILS(parse_cidr(t));
  }
}

TEST(ParseIp, ValidAndNormalised) {
  EXPECT_EQ(parse_ip("10.0.0.1").value(), (IpAddress{4, "10.0.0.1"}));
  EXPECT_EQ(parse_ip("fd00:0::1").value(), (IpAddress{6, "fd00::1"}));
  EXPECT_EQ(parse_ip("2001:DB8:0:0:0:0:0:1").value(), (IpAddress{6, "2001:db8::1"}));
  EXPECT_EQ(parse_ip("::").value(), (IpAddress{6, "::"}));
}

TEST(ParseIp, Errors) {
  EXPECT_EQ(message(parse_ip("10.0.0.1/24")),
            "'10.0.0.1/24' has a prefix length; a plain address is needed here");
  EXPECT_EQ(hint(parse_ip("10.0.0.1/24")), "drop the /24");
  EXPECT_EQ(message(parse_ip("1.2.3")), "'1.2.3' is not an IPv4 address");
  EXPECT_EQ(message(parse_ip("")), "empty address");
  for (const char* t : {"10.0.0.1/24", "1.2.3", "", "1.2.3.4.5", "256.0.0.1", "fd00::g",
                        "fe80::1%eth0", "localhost", " 10.0.0.1"}) {
    EXPECT_FAILS(parse_ip(t));
  }
}

// ---- parse_devnum ----------------------------------------------------------------------------

TEST(ParseDevnum, Valid) {
  EXPECT_EQ(parse_devnum("8:0").value(), "8:0");
  EXPECT_EQ(parse_devnum("259:3").value(), "259:3");
  EXPECT_EQ(parse_devnum("08:01").value(), "8:1");
  EXPECT_EQ(parse_devnum("0:0").value(), "0:0");
  EXPECT_EQ(parse_devnum("4095:1048575").value(), "4095:1048575");
}

TEST(ParseDevnum, Errors) {
  EXPECT_EQ(message(parse_devnum("8")), "'8' is not a device number");
  EXPECT_EQ(hint(parse_devnum("8")), "write MAJOR:MINOR, e.g. 8:0");
  EXPECT_EQ(message(parse_devnum("4096:0")), "major number 4096 is out of range 0..4095");
  EXPECT_EQ(message(parse_devnum("8:1048576")), "minor number 1048576 is out of range 0..1048575");
  EXPECT_EQ(message(parse_devnum(k100Digits + ":0")),
            "major number " + k100Digits + " is out of range 0..4095");
  for (const char* t : {"8", "8:", ":0", "-1:0", "8:-1", "8:0:1", "a:b", "", "8: 0", "8:0 ",
                        "4096:0", "8:1048576", "+8:0", "8.0"}) {
    EXPECT_FAILS(parse_devnum(t));
  }
}

// ---- parse_rlimit_value ----------------------------------------------------------------------

TEST(ParseRlimitValue, Valid) {
  EXPECT_EQ(parse_rlimit_value("4096").value(), 4096u);
  EXPECT_EQ(parse_rlimit_value("0").value(), 0u);
  EXPECT_EQ(parse_rlimit_value("1M").value(), 1048576u);
  EXPECT_EQ(parse_rlimit_value("8k").value(), 8192u);
  EXPECT_EQ(parse_rlimit_value("1.5K").value(), 1536u);
  EXPECT_EQ(parse_rlimit_value("unlimited").value(), kMax);
  EXPECT_EQ(parse_rlimit_value("infinity").value(), kMax);
  EXPECT_EQ(parse_rlimit_value("18446744073709551615").value(), kMax);
}

TEST(ParseRlimitValue, Errors) {
  EXPECT_EQ(message(parse_rlimit_value("max")), "'max' is not an rlimit value");
  EXPECT_EQ(hint(parse_rlimit_value("max")), "write unlimited for no limit");
  EXPECT_EQ(message(parse_rlimit_value("-1")), "negative rlimit value '-1'");
  EXPECT_EQ(hint(parse_rlimit_value("-1")),
            "an rlimit value cannot be negative; for no limit write unlimited");
  EXPECT_EQ(message(parse_rlimit_value("1.5")), "'1.5' is not a whole number");
  EXPECT_EQ(message(parse_rlimit_value("1X")), "bad unit 'X' in '1X'");
  EXPECT_EQ(hint(parse_rlimit_value("1X")), "use K, M, G, T or P (×1024), or unlimited");
  EXPECT_EQ(message(parse_rlimit_value("Unlimited")), "'Unlimited' is not an rlimit value");
  EXPECT_EQ(message(parse_rlimit_value("16384P")), "value '16384P' is too large");
  EXPECT_EQ(message(parse_rlimit_value("")), "empty rlimit value");
  for (const char* t : {"max", "-1", "1.5", "1X", "Unlimited", "16384P", "", " 1", "1KB"}) {
    EXPECT_FAILS(parse_rlimit_value(t));
  }
}

// ---- parse_id_range --------------------------------------------------------------------------

TEST(ParseIdRange, Valid) {
  EXPECT_EQ(parse_id_range("0 100000 65536").value(), (IdRange{0, 100000, 65536}));
  EXPECT_EQ(parse_id_range("0\t1000\t1").value(), (IdRange{0, 1000, 1}));
  EXPECT_EQ(parse_id_range("0  1000   1").value(), (IdRange{0, 1000, 1}));
  EXPECT_EQ(parse_id_range("0 0 4294967295").value(), (IdRange{0, 0, 4294967295u}));
  EXPECT_EQ(parse_id_range("4294967294 0 1").value(), (IdRange{4294967294u, 0, 1}));
  EXPECT_EQ(parse_id_range("0 4294967294 1").value(), (IdRange{0, 4294967294u, 1}));
}

TEST(ParseIdRange, Errors) {
  EXPECT_EQ(message(parse_id_range("0 0 0")), "id range '0 0 0' maps no ids");
  EXPECT_EQ(message(parse_id_range("0 0")), "id range '0 0' needs three numbers");
  EXPECT_EQ(message(parse_id_range("0 0 1 1")), "id range '0 0 1 1' has more than three numbers");
  EXPECT_EQ(message(parse_id_range("0 x 1")), "bad id 'x' in '0 x 1'");
  EXPECT_EQ(message(parse_id_range("0 4294967296 1")),
            "value '4294967296' in '0 4294967296 1' is too large");
  // The kernel rejects an extent whose end wraps 32 bits: first + count must be below 2^32.
  EXPECT_EQ(message(parse_id_range("1 0 4294967295")),
            "id range '1 0 4294967295' goes past the last id 4294967294");
  EXPECT_EQ(hint(parse_id_range("1 0 4294967295")), "use a count of at most 4294967294");
  EXPECT_EQ(message(parse_id_range("0 100000 4294900000")),
            "id range '0 100000 4294900000' goes past the last id 4294967294");
  EXPECT_EQ(hint(parse_id_range("0 100000 4294900000")), "use a count of at most 4294867295");
  EXPECT_EQ(message(parse_id_range("0 4294967295 1")), "id 4294967295 cannot be mapped");
  EXPECT_EQ(message(parse_id_range(" 0 0 1")), "unexpected space in ' 0 0 1'");
  for (const char* t :
       {"0 0 0", "0 0", "0", "", "0 0 1 1", "0 x 1", "0 -1 1", "0 4294967296 1", "1 0 4294967295",
        "4294967295 0 1", " 0 0 1", "0 0 1 ", "0,0,1", "0 0 +1", "0 0 1.0"}) {
    EXPECT_FAILS(parse_id_range(t));
  }
  EXPECT_FAILS(parse_id_range("0 0 " + k100Digits));
}

// ---- format_bytes ----------------------------------------------------------------------------

TEST(FormatBytes, LargestExactSuffix) {
  EXPECT_EQ(format_bytes(0), "0");
  EXPECT_EQ(format_bytes(1), "1");
  EXPECT_EQ(format_bytes(1023), "1023");
  EXPECT_EQ(format_bytes(1024), "1K");
  EXPECT_EQ(format_bytes(1536), "1536");
  EXPECT_EQ(format_bytes(1048576), "1M");
  EXPECT_EQ(format_bytes(1572864), "1536K");
  EXPECT_EQ(format_bytes(3221225472), "3G");
  EXPECT_EQ(format_bytes(TiB), "1T");
  EXPECT_EQ(format_bytes(PiB), "1P");
  EXPECT_EQ(format_bytes(1024 * PiB), "1024P");
  EXPECT_EQ(format_bytes(kMax), "18446744073709551615");
}

TEST(FormatBytes, RoundTripsThroughParseBytes) {
  for (uint64_t v : {uint64_t{0}, uint64_t{1}, uint64_t{1536}, 3 * GiB, 1024 * PiB, 16383 * PiB,
                     kMax, kMax - 1, uint64_t{123456789}}) {
    auto r = parse_bytes(format_bytes(v));
    ASSERT_TRUE(r.ok()) << format_bytes(v);
    EXPECT_EQ(r.value(), bytes(v));
  }
}

}  // namespace
}  // namespace nsplan::units
