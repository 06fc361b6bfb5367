// Units as the kernel reads them, normalised to exact numbers. Pure functions on text.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compiler/result.h"
#include "schema/model.h"

namespace nsplan::units {

// Memory sizes: a decimal integer with an optional single-letter binary suffix K, M, G, T or P
// (case-insensitive, ×1024 each, as the kernel's memparse). "KiB", "KB", "GB" etc. are rejected
// with the hint "use K, M, G, T or P (×1024), or max". A decimal fraction is allowed when the
// result is a whole number of bytes ("1.5G" = 1610612736). "max" when allow_max. Errors: empty,
// bad unit, fraction of a byte, negative, overflow of 64 bits.
Result<ByteLimit> parse_bytes(std::string_view text, bool allow_max = true);

// A percentage with at most two decimals ("5", "12.5", "99.99"), in hundredths: 0..10000.
Result<uint32_t> parse_percent_hundredths(std::string_view text);

// A memory limit: a size as parse_bytes, or a share of the target's RAM such as "5%" or "12.5%"
// (ByteLimit::ram_hundredths, 0.01% to 100%), as systemd's MemoryMax=5%.
Result<ByteLimit> parse_memory_limit(std::string_view text);

// A utilisation clamp (cpu.uclamp.min/max): a percentage 0..100 with up to two decimals, given
// as the kernel shows it ("12.50"), or "max" (100.00 reads back as max).
Result<std::string> parse_uclamp(std::string_view text);

// A plain count or "max" (pids.max, iops).
Result<CountLimit> parse_count(std::string_view text);

// Unsigned decimal integer in [min, max]; the problem names the range.
Result<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max);
// Signed decimal integer in [min, max].
Result<int64_t> parse_int(std::string_view text, int64_t min, int64_t max);

// CPU bandwidth: "50%" (of one CPU), "250%", "1.5" or "2" (CPUs), "QUOTA/PERIOD" in µs
// ("50000/100000"), or "max". Percent and cores use default_period_us and keep their text in
// CpuMax::share. Normalised to exact integers (quota rounded to the nearest µs). Checks: period
// 1000..1000000 µs, quota 1000..2^44-1 µs (compiler/cgroup_limits.h). Without check_share_quota
// (the profile reader, which does not know the period in force yet) a share's quota is checked
// only for being a share of something: effective_cpu_max checks it against the period.
Result<CpuMax> parse_cpu_max(std::string_view text, uint64_t default_period_us,
                             bool check_share_quota = true);

// The cpu.max that a cpu section's max and period ask for: a share scaled to PERIOD_US (the
// kernel's default 100000 µs when none is given) and checked as parse_cpu_max checks it; max
// takes PERIOD_US; QUOTA/PERIOD stays as it is.
Result<CpuMax> effective_cpu_max(const CpuMax& written, std::optional<uint64_t> period_us);

// A CPU or memory-node list "0-3,5,7-8": normalised (sorted, merged, no spaces). Checks each
// range is ascending and indexes are < 8192.
Result<std::string> parse_cpu_list(std::string_view text);

// The members of list A that are not in list B ("0-7" minus "0-1" = "2-7"), normalised; "" when
// none. Either list may be "" (no member).
Result<std::string> cpu_list_difference(std::string_view a, std::string_view b);

// "10.0.0.1/24" or "fd00::1/64": address and prefix validated (v4 prefix <= 32, v6 <= 128);
// the address normalised (inet_pton + inet_ntop).
Result<Cidr> parse_cidr(std::string_view text);
Result<IpAddress> parse_ip(std::string_view text);

// "8:0" (MAJ:MIN, both decimal, major < 4096, minor < 2^20).
Result<std::string> parse_devnum(std::string_view text);

// A net_cls class id: a tc handle "MAJOR:MINOR" in hex (1:10 = 0x10010), 0xHEX, or a decimal
// number up to 2^32-1; nullopt when it is none of them.
std::optional<uint32_t> parse_class_id(const std::string& text);

// Rlimit value: a number (with K/M/G/T suffix allowed), or "unlimited"/"infinity"
// (= UINT64_MAX).
Result<uint64_t> parse_rlimit_value(std::string_view text);

// "0 100000 65536": one id map line.
Result<IdRange> parse_id_range(std::string_view text);

// Hundredths of a percent as written: 500 -> "5%", 1250 -> "12.5%", 1205 -> "12.05%", 15000 -> "150%".
std::string format_percent(uint64_t hundredths);

// 3221225472 -> "3G", 1536 -> "1536" (largest exact binary suffix), for explain comments.
std::string format_bytes(uint64_t bytes);

}  // namespace nsplan::units
