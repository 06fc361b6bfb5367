// Units as the kernel reads them. Every parser works on the exact text: no locale, no
// exceptions, no floating point. Decimal fractions ("1.5G", "12.5%") are scaled with exact
// decimal arithmetic on the digit string, so any input length is overflow-safe.
#include "compiler/units.h"

#include <arpa/inet.h>
#include <netinet/in.h>

#include <bitset>
#include <charconv>
#include <cstddef>
#include <cstdio>
#include <limits>
#include <optional>
#include <system_error>

#include "compiler/cgroup_limits.h"

namespace nsplan::units {
namespace {

constexpr uint64_t kU64Max = std::numeric_limits<uint64_t>::max();

// cpu.max / cpu.cfs_*: the kernel's limits (compiler/cgroup_limits.h).
constexpr uint64_t kMinPeriodUs = cgroup_limits::kMinCpuPeriodUs;
constexpr uint64_t kMaxPeriodUs = cgroup_limits::kMaxCpuPeriodUs;
constexpr uint64_t kMinQuotaUs = cgroup_limits::kMinCpuQuotaUs;
constexpr uint64_t kMaxQuotaUs = cgroup_limits::kMaxCpuQuotaUs;

// cpulist / memlist indexes (NR_CPUS is at most 8192).
constexpr uint64_t kMaxListIndex = cgroup_limits::kMaxCpuIndex;

// Device numbers as cgroup v1 devices and v2 io files take them (12-bit major, 20-bit minor).
constexpr uint64_t kMaxMajor = 4095;
constexpr uint64_t kMaxMinor = (uint64_t{1} << 20) - 1;

// The largest id in a uid_map/gid_map extent end: first + count must not wrap 32 bits.
constexpr uint64_t kIdLimit = 4294967295;  // 2^32 - 1

constexpr char kUnitHint[] = "use K, M, G, T or P (×1024)";

Problem fail(std::string message, std::string hint = {}) {
  return Problem{std::move(message), std::move(hint)};
}

std::string quoted(std::string_view s) {
  std::string out;
  out.reserve(s.size() + 2);
  out += '\'';
  out += s;
  out += '\'';
  return out;
}

std::string num(uint64_t v) { return std::to_string(v); }

bool is_digit(char c) { return c >= '0' && c <= '9'; }

bool is_space(char c) {
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

bool all_digits(std::string_view s) {
  if (s.empty()) return false;
  for (char c : s) {
    if (!is_digit(c)) return false;
  }
  return true;
}

bool has_space(std::string_view s) {
  for (char c : s) {
    if (is_space(c)) return true;
  }
  return false;
}

std::string without_spaces(std::string_view s) {
  std::string out;
  for (char c : s) {
    if (!is_space(c)) out += c;
  }
  return out;
}

char lower(char c) { return (c >= 'A' && c <= 'Z') ? static_cast<char>(c - 'A' + 'a') : c; }

bool iequals(std::string_view a, std::string_view b) {
  if (a.size() != b.size()) return false;
  for (size_t i = 0; i < a.size(); ++i) {
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

Problem space_problem(std::string_view text) {
  return fail("unexpected space in " + quoted(text), "remove the spaces");
}

// A string of decimal digits (validated by the caller) as uint64_t; nullopt when it does not
// fit in 64 bits.
std::optional<uint64_t> to_u64(std::string_view digits) {
  uint64_t v = 0;
  auto [ptr, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), v);
  if (ec != std::errc() || ptr != digits.data() + digits.size()) return std::nullopt;
  return v;
}

// A non-negative decimal number "123" or "123.45" (digits required on both sides of the dot).
struct Decimal {
  std::string_view whole;
  std::string_view fraction;  // may be empty
};

// Reads a Decimal at the start of text; returns the number of characters used, or 0 when the
// text does not start with one (including "1." and ".5").
size_t scan_decimal(std::string_view text, Decimal& out) {
  size_t i = 0;
  while (i < text.size() && is_digit(text[i])) ++i;
  if (i == 0) return 0;
  out.whole = text.substr(0, i);
  out.fraction = {};
  if (i < text.size() && text[i] == '.') {
    size_t j = i + 1;
    while (j < text.size() && is_digit(text[j])) ++j;
    if (j == i + 1) return 0;
    out.fraction = text.substr(i + 1, j - i - 1);
    i = j;
  }
  return i;
}

enum class Scale { ok, inexact, overflow };

struct Scaled {
  Scale status = Scale::ok;
  uint64_t value = 0;
};

// value = d * mul / 10^extra_pow10, exactly. With round_nearest the result is rounded half up
// (status ok); otherwise a remainder gives Scale::inexact. mul must be below 2^60.
Scaled scale_decimal(const Decimal& d, uint64_t mul, size_t extra_pow10, bool round_nearest) {
  // The digits of d * 10^len(fraction), times mul, as a decimal string.
  std::string digits;
  digits.reserve(d.whole.size() + d.fraction.size());
  digits.append(d.whole);
  digits.append(d.fraction);
  std::string product(digits.size(), '0');
  uint64_t carry = 0;  // stays below mul
  for (size_t i = digits.size(); i-- > 0;) {
    uint64_t cur = static_cast<uint64_t>(digits[i] - '0') * mul + carry;
    product[i] = static_cast<char>('0' + cur % 10);
    carry = cur / 10;
  }
  std::string head;
  while (carry > 0) {
    head.insert(head.begin(), static_cast<char>('0' + carry % 10));
    carry /= 10;
  }
  product.insert(0, head);

  const size_t drop = d.fraction.size() + extra_pow10;  // digits after the decimal point
  if (product.size() <= drop) product.insert(0, drop + 1 - product.size(), '0');
  std::string_view whole(product.data(), product.size() - drop);
  std::string_view rest(product.data() + whole.size(), drop);

  while (whole.size() > 1 && whole.front() == '0') whole.remove_prefix(1);
  Scaled out;
  auto v = to_u64(whole);
  if (!v) {
    out.status = Scale::overflow;
    return out;
  }
  out.value = *v;
  bool remainder = rest.find_first_not_of('0') != std::string_view::npos;
  if (round_nearest) {
    if (!rest.empty() && rest.front() >= '5') {
      if (out.value == kU64Max) {
        out.status = Scale::overflow;
        return out;
      }
      ++out.value;
    }
  } else if (remainder) {
    out.status = Scale::inexact;
  }
  return out;
}

// num/den rounded up to at most 3 decimals, trailing zeros dropped: 100000/300000 -> "0.334".
std::string ratio_up(uint64_t numer, uint64_t den) {
  uint64_t milli = (numer * 1000 + den - 1) / den;
  std::string s = num(milli / 1000);
  uint64_t frac = milli % 1000;
  if (frac != 0) {
    std::string f = std::to_string(1000 + frac).substr(1);
    while (!f.empty() && f.back() == '0') f.pop_back();
    s += '.';
    s += f;
  }
  return s;
}

// How a size-like value is described in problems.
struct SizeKind {
  std::string_view noun;      // "size" / "rlimit value"
  std::string_view article;   // "a" / "an"
  std::string_view whole;     // "a whole number of bytes" / "a whole number"
  std::string_view no_limit;  // "max" / "unlimited" / "" (none)
  std::string_view example;   // "512M"
};

std::string size_usage(const SizeKind& k) {
  std::string h = "write a number with an optional K, M, G, T or P suffix (×1024), e.g. ";
  h += k.example;
  if (!k.no_limit.empty()) {
    h += ", or ";
    h += k.no_limit;
  }
  return h;
}

std::string no_limit_tail(const SizeKind& k) {
  if (k.no_limit.empty()) return {};
  return "; for no limit write " + std::string(k.no_limit);
}

// A decimal number with an optional single-letter binary suffix, as an exact uint64_t.
Result<uint64_t> parse_scaled(std::string_view text, const SizeKind& k) {
  if (text.empty()) return fail("empty " + std::string(k.noun), size_usage(k));
  if (has_space(text)) return space_problem(text);
  if (text.front() == '-') {
    return fail("negative " + std::string(k.noun) + " " + quoted(text),
                std::string(k.article) + " " + std::string(k.noun) + " cannot be negative" +
                    no_limit_tail(k));
  }
  Decimal d;
  size_t used = scan_decimal(text, d);
  if (used == 0) {
    return fail(quoted(text) + " is not " + std::string(k.article) + " " + std::string(k.noun),
                size_usage(k));
  }
  std::string_view suffix = text.substr(used);
  uint64_t mul = 1;
  if (!suffix.empty()) {
    static constexpr std::string_view kLetters = "kmgtp";
    size_t pos = suffix.size() == 1 ? kLetters.find(lower(suffix[0])) : std::string_view::npos;
    if (pos == std::string_view::npos) {
      std::string hint = kUnitHint;
      if (!k.no_limit.empty()) hint += ", or " + std::string(k.no_limit);
      return fail("bad unit " + quoted(suffix) + " in " + quoted(text), hint);
    }
    mul = uint64_t{1} << (10 * (pos + 1));
  }
  Scaled s = scale_decimal(d, mul, 0, false);
  switch (s.status) {
    case Scale::overflow:
      return fail("value " + quoted(text) + " is too large",
                  "it must be below 16384P (2^64)" + no_limit_tail(k));
    case Scale::inexact:
      return fail(
          quoted(text) + " is not " + std::string(k.whole),
          "write " + std::string(k.whole) + ", or a fraction that comes out whole (1.5K = 1536)");
    case Scale::ok:
      break;
  }
  return s.value;
}

// A plain unsigned decimal integer. noun names it in problems ("count").
Result<uint64_t> parse_plain(std::string_view text, std::string_view noun, const std::string& usage,
                             const std::string& too_large_hint) {
  if (text.empty()) return fail("empty " + std::string(noun), usage);
  if (has_space(text)) return space_problem(text);
  if (text.front() == '-' && all_digits(text.substr(1))) {
    return fail("negative " + std::string(noun) + " " + quoted(text), usage);
  }
  if (!all_digits(text)) return fail(quoted(text) + " is not a " + std::string(noun), usage);
  auto v = to_u64(text);
  if (!v) return fail("value " + quoted(text) + " is too large", too_large_hint);
  return *v;
}

// Period check shared by all cpu.max forms.
std::optional<Problem> check_period(std::string_view shown, std::optional<uint64_t> period) {
  if (period && *period >= kMinPeriodUs && *period <= kMaxPeriodUs) return std::nullopt;
  return fail("cpu period " + std::string(shown) + " is out of range " + num(kMinPeriodUs) + ".." +
                  num(kMaxPeriodUs) + " µs",
              "use a period from " + num(kMinPeriodUs) + " to " + num(kMaxPeriodUs) +
                  " µs (100000 is the kernel's default)");
}

Problem quota_too_large(uint64_t quota) {
  return fail("cpu quota " + num(quota) + " µs is above the kernel's maximum of " +
                  num(kMaxQuotaUs) + " µs",
              "use max for no limit");
}

constexpr char kCpuUsage[] =
    "write a percentage of one CPU (50%), a number of CPUs (1.5), QUOTA/PERIOD in µs "
    "(50000/100000), or max";

std::optional<uint64_t> list_index(std::string_view s) {
  if (!all_digits(s)) return std::nullopt;
  auto v = to_u64(s);
  return v ? *v : kU64Max;  // too large for 64 bits: certainly out of range
}

bool parse_address(std::string_view text, int& family, std::string& normal) {
  std::string z(text);  // inet_pton needs a NUL-terminated string
  unsigned char buf[sizeof(struct in6_addr)];
  char out[INET6_ADDRSTRLEN];
  int af = text.find(':') != std::string_view::npos ? AF_INET6 : AF_INET;
  if (inet_pton(af, z.c_str(), buf) != 1) return false;
  if (inet_ntop(af, buf, out, sizeof out) == nullptr) return false;
  family = af == AF_INET6 ? 6 : 4;
  normal = out;
  return true;
}

Problem bad_address(std::string_view addr) {
  if (addr.find(':') != std::string_view::npos) {
    if (addr.find('%') != std::string_view::npos) {
      return fail(quoted(addr) + " is not an IPv6 address",
                  "zone suffixes such as %eth0 are not accepted; write the address alone");
    }
    return fail(quoted(addr) + " is not an IPv6 address", "write it like fd00::1");
  }
  if (addr.find('.') != std::string_view::npos) {
    return fail(quoted(addr) + " is not an IPv4 address",
                "write four numbers 0-255 separated by dots, e.g. 10.0.0.1");
  }
  return fail(quoted(addr) + " is not an IP address",
              "write an IPv4 (10.0.0.1) or IPv6 (fd00::1) address");
}

}  // namespace

Result<ByteLimit> parse_bytes(std::string_view text, bool allow_max) {
  if (text == "max") {
    if (allow_max) return ByteLimit{true, 0};
    return fail("'max' is not allowed here", "write a size such as 512M");
  }
  if (allow_max && iequals(text, "max")) {
    return fail(quoted(text) + " must be written in lower case", "write max");
  }
  static constexpr SizeKind kWithMax{"size", "a", "a whole number of bytes", "max", "512M"};
  static constexpr SizeKind kNoMax{"size", "a", "a whole number of bytes", "", "512M"};
  auto r = parse_scaled(text, allow_max ? kWithMax : kNoMax);
  if (!r) return r.problem();
  return ByteLimit{false, r.value()};
}

Result<uint32_t> parse_percent_hundredths(std::string_view text) {
  const std::string usage = "write a percentage from 0 to 100 with at most two decimals, such as 5 or 12.5";
  size_t dot = text.find('.');
  std::string_view whole = text.substr(0, dot);
  std::string_view frac = dot == std::string_view::npos ? std::string_view() : text.substr(dot + 1);
  if (whole.empty() || !all_digits(whole) || (dot != std::string_view::npos && (frac.empty() || !all_digits(frac))))
    return fail(quoted(text) + " is not a percentage", usage);
  if (frac.size() > 2) return fail(quoted(text) + " has more than two decimals", usage);
  if (whole.size() > 3) return fail(quoted(text) + " is above 100%", usage);
  uint32_t h = static_cast<uint32_t>(*to_u64(whole)) * 100;
  if (!frac.empty()) h += static_cast<uint32_t>(*to_u64(frac)) * (frac.size() == 1 ? 10 : 1);
  if (h > 10000) return fail(quoted(text) + " is above 100%", usage);
  return h;
}

Result<ByteLimit> parse_memory_limit(std::string_view text) {
  if (text.empty() || text.back() != '%') return parse_bytes(text, true);
  auto h = parse_percent_hundredths(text.substr(0, text.size() - 1));
  if (!h) return h.problem();
  if (h.value() == 0)
    return fail("0% of RAM is not a limit", "write 0 for no memory at all, a larger share, or max");
  ByteLimit b;
  b.ram_hundredths = h.value();
  return b;
}

Result<std::string> parse_uclamp(std::string_view text) {
  if (text == "max") return std::string("max");
  auto h = parse_percent_hundredths(text.ends_with('%') ? text.substr(0, text.size() - 1) : text);
  if (!h) return h.problem();
  char out[16];
  std::snprintf(out, sizeof out, "%u.%02u", h.value() / 100, h.value() % 100);
  return std::string(out);
}

Result<CountLimit> parse_count(std::string_view text) {
  if (text == "max") return CountLimit{true, 0};
  if (iequals(text, "max"))
    return fail(quoted(text) + " must be written in lower case", "write max");
  auto r = parse_plain(text, "count", "write a whole number such as 100, or max",
                       "it must be below 2^64; for no limit write max");
  if (!r) return r.problem();
  return CountLimit{false, r.value()};
}

Result<uint64_t> parse_uint(std::string_view text, uint64_t min, uint64_t max) {
  const std::string range = num(min) + ".." + num(max);
  const std::string usage = "use a whole number from " + num(min) + " to " + num(max);
  if (text.empty()) return fail("empty value", usage);
  if (has_space(text)) return space_problem(text);
  if (text.front() == '-' && all_digits(text.substr(1))) {
    return fail("value " + std::string(text) + " is out of range " + range, usage);
  }
  if (!all_digits(text)) return fail(quoted(text) + " is not a whole number", usage);
  auto v = to_u64(text);
  if (!v) return fail("value " + quoted(text) + " is too large", usage);
  if (*v < min || *v > max) {
    return fail("value " + num(*v) + " is out of range " + range, usage);
  }
  return *v;
}

Result<int64_t> parse_int(std::string_view text, int64_t min, int64_t max) {
  const std::string range = std::to_string(min) + ".." + std::to_string(max);
  const std::string usage =
      "use a whole number from " + std::to_string(min) + " to " + std::to_string(max);
  if (text.empty()) return fail("empty value", usage);
  if (has_space(text)) return space_problem(text);
  std::string_view digits = text;
  bool negative = false;
  if (digits.front() == '-' || digits.front() == '+') {
    negative = digits.front() == '-';
    digits.remove_prefix(1);
  }
  if (!all_digits(digits)) return fail(quoted(text) + " is not a whole number", usage);
  auto magnitude = to_u64(digits);
  constexpr uint64_t kMaxPos = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (!magnitude || *magnitude > kMaxPos + (negative ? 1 : 0)) {
    return fail("value " + quoted(text) + (negative ? " is too small" : " is too large"), usage);
  }
  int64_t v;
  if (!negative) {
    v = static_cast<int64_t>(*magnitude);
  } else if (*magnitude == kMaxPos + 1) {
    v = std::numeric_limits<int64_t>::min();
  } else {
    v = -static_cast<int64_t>(*magnitude);
  }
  if (v < min || v > max) {
    return fail("value " + std::to_string(v) + " is out of range " + range, usage);
  }
  return v;
}

Result<CpuMax> parse_cpu_max(std::string_view text, uint64_t default_period_us, bool check_share_quota) {
  if (text.empty()) return fail("empty cpu limit", kCpuUsage);
  if (has_space(text)) {
    return fail("unexpected space in " + quoted(text),
                "remove the spaces; quota and period are written 50000/100000");
  }
  if (text.front() == '-') {
    return fail("negative cpu limit " + quoted(text), "use a positive share of a CPU, or max");
  }

  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    std::string_view q = text.substr(0, slash);
    std::string_view p = text.substr(slash + 1);
    if (!all_digits(p) || !(q == "max" || all_digits(q))) {
      return fail(quoted(text) + " is not a cpu limit", kCpuUsage);
    }
    auto period = to_u64(p);
    std::string shown_period = period ? num(*period) : std::string(p);
    if (auto problem = check_period(shown_period, period)) return *problem;
    CpuMax out;
    out.period_us = *period;
    out.period_given = true;
    if (q == "max") {
      out.unlimited = true;
      return out;
    }
    auto quota = to_u64(q);
    if (!quota) {
      return fail("cpu quota " + std::string(q) + " µs is above the kernel's maximum of " +
                      num(kMaxQuotaUs) + " µs",
                  "use max for no limit");
    }
    if (*quota == 0) {
      return fail("cpu limit " + quoted(text) + " allows no cpu time",
                  "use a quota of at least " + num(kMinQuotaUs) + " µs, or max");
    }
    if (*quota < kMinQuotaUs) {
      return fail("cpu quota " + num(*quota) + " µs is below the kernel's minimum of " +
                      num(kMinQuotaUs) + " µs",
                  "use a quota of at least " + num(kMinQuotaUs) + " µs, or max");
    }
    if (*quota > kMaxQuotaUs) return quota_too_large(*quota);
    out.quota_us = *quota;
    return out;
  }

  if (auto problem = check_period(num(default_period_us), default_period_us)) return *problem;
  CpuMax out;
  out.period_us = default_period_us;
  if (text == "max") {
    out.unlimited = true;
    return out;
  }
  if (iequals(text, "max"))
    return fail(quoted(text) + " must be written in lower case", "write max");

  const bool percent = text.back() == '%';
  std::string_view body = percent ? text.substr(0, text.size() - 1) : text;
  Decimal d;
  if (scan_decimal(body, d) != body.size() || body.empty()) {
    return fail(quoted(text) + " is not a cpu limit", kCpuUsage);
  }
  Scaled s = scale_decimal(d, default_period_us, percent ? 2 : 0, true);
  // The smallest percentage or core count that reaches the kernel's minimum quota.
  std::string minimum = percent ? ratio_up(kMinQuotaUs * 100, default_period_us) + "% of a CPU"
                                : ratio_up(kMinQuotaUs, default_period_us) + " CPUs";
  std::string min_hint = "use at least " + minimum + " (" + num(kMinQuotaUs) + " µs per " +
                         num(default_period_us) + " µs period), or max";
  if (s.status == Scale::overflow) {
    return fail("cpu limit " + quoted(text) + " is too large",
                "the kernel's maximum quota is " + num(kMaxQuotaUs) + " µs; use max for no limit");
  }
  out.share = std::string(text);
  if (s.value == 0 && d.whole.find_first_not_of('0') == std::string_view::npos &&
      d.fraction.find_first_not_of('0') == std::string_view::npos)
    return fail("cpu limit " + quoted(text) + " allows no cpu time", min_hint);
  if (!check_share_quota) {
    out.quota_us = s.value;
    return out;
  }
  if (s.value == 0) return fail("cpu limit " + quoted(text) + " allows no cpu time", min_hint);
  if (s.value < kMinQuotaUs) {
    return fail("cpu quota " + num(s.value) + " µs is below the kernel's minimum of " +
                    num(kMinQuotaUs) + " µs",
                min_hint);
  }
  if (s.value > kMaxQuotaUs) return quota_too_large(s.value);
  out.quota_us = s.value;
  return out;
}

Result<CpuMax> effective_cpu_max(const CpuMax& written, std::optional<uint64_t> period_us) {
  const uint64_t period = period_us.value_or(cgroup_limits::kDefaultCpuPeriodUs);
  if (written.period_given) return written;
  if (written.unlimited) {
    CpuMax out = written;
    out.period_us = period;
    return out;
  }
  if (!written.share.empty()) return parse_cpu_max(written.share, period);
  // A share known only by its quota at written.period_us (not read from a profile).
  if (written.period_us == 0) return written;
  CpuMax out = written;
  out.quota_us = (written.quota_us * period + written.period_us / 2) / written.period_us;
  out.period_us = period;
  return out;
}

namespace {

using ListSet = std::bitset<kMaxListIndex + 1>;

Result<ListSet> read_list(std::string_view text) {
  const std::string usage = "write indexes and ranges such as 0-3,5";
  if (text.empty()) return fail("empty list", usage);
  if (has_space(text)) {
    return fail("unexpected space in " + quoted(text),
                "write it without spaces: " + quoted(without_spaces(text)));
  }
  ListSet set;
  size_t start = 0;
  while (true) {
    size_t comma = text.find(',', start);
    std::string_view item = text.substr(
        start, comma == std::string_view::npos ? std::string_view::npos : comma - start);
    if (item.empty()) return fail("empty item in list " + quoted(text), "remove the extra comma");
    size_t dash = item.find('-');
    std::string_view a = item.substr(0, dash);
    std::string_view b = dash == std::string_view::npos ? a : item.substr(dash + 1);
    auto lo = list_index(a);
    auto hi = list_index(b);
    if (!lo || !hi) return fail("bad item " + quoted(item) + " in list " + quoted(text), usage);
    for (auto [v, s] : {std::pair{*lo, a}, std::pair{*hi, b}}) {
      if (v > kMaxListIndex) {
        std::string shown = v == kU64Max ? std::string(s) : num(v);
        return fail("index " + shown + " is out of range 0.." + num(kMaxListIndex),
                    "use indexes from 0 to " + num(kMaxListIndex));
      }
    }
    if (*lo > *hi) {
      return fail("range " + quoted(item) + " is descending",
                  "write it as " + num(*hi) + "-" + num(*lo));
    }
    for (uint64_t i = *lo; i <= *hi; ++i) set.set(i);
    if (comma == std::string_view::npos) break;
    start = comma + 1;
  }
  return set;
}

std::string list_text(const ListSet& set) {
  std::string out;
  for (size_t i = 0; i <= kMaxListIndex;) {
    if (!set.test(i)) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j + 1 <= kMaxListIndex && set.test(j + 1)) ++j;
    if (!out.empty()) out += ',';
    out += num(i);
    if (j > i) out += "-" + num(j);
    i = j + 1;
  }
  return out;
}

}  // namespace

Result<std::string> parse_cpu_list(std::string_view text) {
  auto set = read_list(text);
  if (!set) return set.problem();
  return list_text(set.value());
}

Result<std::string> cpu_list_difference(std::string_view a, std::string_view b) {
  ListSet sa, sb;
  if (!a.empty()) {
    auto r = read_list(a);
    if (!r) return r.problem();
    sa = r.value();
  }
  if (!b.empty()) {
    auto r = read_list(b);
    if (!r) return r.problem();
    sb = r.value();
  }
  return list_text(sa & ~sb);
}

Result<Cidr> parse_cidr(std::string_view text) {
  if (text.empty())
    return fail("empty address", "write an address with a prefix, e.g. 10.0.0.1/24");
  if (has_space(text)) return space_problem(text);
  size_t slash = text.find('/');
  if (slash == std::string_view::npos) {
    return fail(quoted(text) + " has no prefix length",
                "add one, e.g. " + std::string(text) +
                    (text.find(':') != std::string_view::npos ? "/64" : "/24"));
  }
  std::string_view addr = text.substr(0, slash);
  std::string_view prefix = text.substr(slash + 1);
  Cidr out;
  if (!parse_address(addr, out.family, out.address)) return bad_address(addr);
  const uint64_t max_prefix = out.family == 6 ? 128 : 32;
  const std::string usage = "use a prefix length from 0 to " + num(max_prefix);
  if (!all_digits(prefix)) {
    return fail("bad prefix length " + quoted(prefix) + " in " + quoted(text), usage);
  }
  if (prefix.size() > 1 && prefix.front() == '0') {
    std::string_view trimmed = prefix;
    while (trimmed.size() > 1 && trimmed.front() == '0') trimmed.remove_prefix(1);
    return fail("prefix length " + quoted(prefix) + " has a leading zero",
                "write /" + std::string(trimmed));
  }
  auto p = to_u64(prefix);
  if (!p || *p > max_prefix) {
    return fail("prefix length " + std::string(prefix) + " is out of range 0.." + num(max_prefix) +
                    " for IPv" + num(static_cast<uint64_t>(out.family)),
                usage);
  }
  out.prefix = static_cast<unsigned>(*p);
  return out;
}

Result<IpAddress> parse_ip(std::string_view text) {
  if (text.empty()) return fail("empty address", "write an address such as 10.0.0.1 or fd00::1");
  if (has_space(text)) return space_problem(text);
  size_t slash = text.find('/');
  if (slash != std::string_view::npos) {
    return fail(quoted(text) + " has a prefix length; a plain address is needed here",
                "drop the " + std::string(text.substr(slash)));
  }
  IpAddress out;
  if (!parse_address(text, out.family, out.text)) return bad_address(text);
  return out;
}

Result<std::string> parse_devnum(std::string_view text) {
  const char* usage = "write MAJOR:MINOR, e.g. 8:0";
  if (text.empty()) return fail("empty device number", usage);
  if (has_space(text)) return space_problem(text);
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || !all_digits(text.substr(0, colon)) ||
      !all_digits(text.substr(colon + 1))) {
    return fail(quoted(text) + " is not a device number", usage);
  }
  std::string_view maj_text = text.substr(0, colon);
  std::string_view min_text = text.substr(colon + 1);
  auto maj = to_u64(maj_text);
  auto min = to_u64(min_text);
  const char* where = "use the numbers shown by ls -l /dev or in /proc/partitions";
  if (!maj || *maj > kMaxMajor) {
    return fail("major number " + (maj ? num(*maj) : std::string(maj_text)) +
                    " is out of range 0.." + num(kMaxMajor),
                where);
  }
  if (!min || *min > kMaxMinor) {
    return fail("minor number " + (min ? num(*min) : std::string(min_text)) +
                    " is out of range 0.." + num(kMaxMinor),
                where);
  }
  return num(*maj) + ":" + num(*min);
}

std::optional<uint32_t> parse_class_id(const std::string& text) {
  auto hex16 = [](const std::string& part) -> std::optional<uint32_t> {
    if (part.empty() || part.size() > 4 || part.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      return std::nullopt;
    return static_cast<uint32_t>(std::stoul(part, nullptr, 16));
  };
  if (auto colon = text.find(':'); colon != std::string::npos) {
    auto major = hex16(text.substr(0, colon)), minor = hex16(text.substr(colon + 1));
    if (!major || !minor) return std::nullopt;
    return *major << 16 | *minor;
  }
  if (text.rfind("0x", 0) == 0 || text.rfind("0X", 0) == 0) {
    std::string digits = text.substr(2);
    if (digits.empty() || digits.size() > 8 || digits.find_first_not_of("0123456789abcdefABCDEF") != std::string::npos)
      return std::nullopt;
    return static_cast<uint32_t>(std::stoul(digits, nullptr, 16));
  }
  auto n = parse_uint(text, 0, 4294967295u);
  if (!n) return std::nullopt;
  return static_cast<uint32_t>(n.value());
}

Result<uint64_t> parse_rlimit_value(std::string_view text) {
  if (text == "unlimited" || text == "infinity") return kU64Max;
  if (text == "max") return fail("'max' is not an rlimit value", "write unlimited for no limit");
  static constexpr SizeKind kRlimit{"rlimit value", "an", "a whole number", "unlimited",
                                    "1024 or 1M"};
  return parse_scaled(text, kRlimit);
}

Result<IdRange> parse_id_range(std::string_view text) {
  const char* usage = "write three numbers: inside outside count, e.g. 0 100000 65536";
  if (text.empty()) return fail("empty id range", usage);
  if (is_space(text.front()) || is_space(text.back())) return space_problem(text);
  std::string_view fields[3];
  size_t n = 0;
  size_t i = 0;
  while (i < text.size()) {
    size_t j = i;
    while (j < text.size() && !is_space(text[j])) ++j;
    if (n == 3) return fail("id range " + quoted(text) + " has more than three numbers", usage);
    fields[n++] = text.substr(i, j - i);
    while (j < text.size() && is_space(text[j])) ++j;
    i = j;
  }
  if (n != 3) return fail("id range " + quoted(text) + " needs three numbers", usage);
  uint64_t v[3];
  for (size_t k = 0; k < 3; ++k) {
    if (!all_digits(fields[k])) {
      return fail("bad id " + quoted(fields[k]) + " in " + quoted(text),
                  "ids and counts are whole numbers from 0 to " + num(kIdLimit));
    }
    auto x = to_u64(fields[k]);
    if (!x || *x > kIdLimit) {
      return fail("value " + quoted(fields[k]) + " in " + quoted(text) + " is too large",
                  "ids and counts are whole numbers from 0 to " + num(kIdLimit));
    }
    v[k] = *x;
  }
  const uint64_t inside = v[0], outside = v[1], count = v[2];
  if (count == 0)
    return fail("id range " + quoted(text) + " maps no ids", "use a count of 1 or more");
  const uint64_t first = inside > outside ? inside : outside;
  if (first + count > kIdLimit) {
    if (first == kIdLimit) {
      return fail("id " + num(first) + " cannot be mapped",
                  "the largest id that can be mapped is " + num(kIdLimit - 1));
    }
    return fail("id range " + quoted(text) + " goes past the last id " + num(kIdLimit - 1),
                "use a count of at most " + num(kIdLimit - first));
  }
  return IdRange{static_cast<uint32_t>(inside), static_cast<uint32_t>(outside),
                 static_cast<uint32_t>(count)};
}

std::string format_percent(uint64_t hundredths) {
  std::string out = std::to_string(hundredths / 100);
  if (uint64_t frac = hundredths % 100) {
    out += "." + std::to_string(frac / 10);
    if (frac % 10) out += std::to_string(frac % 10);
  }
  return out + "%";
}

std::string format_bytes(uint64_t bytes) {
  static constexpr char kSuffix[] = "KMGTP";
  if (bytes == 0) return "0";
  int k = 0;
  while (k < 5 && bytes % 1024 == 0) {
    bytes /= 1024;
    ++k;
  }
  std::string out = num(bytes);
  if (k > 0) out += kSuffix[k - 1];
  return out;
}

}  // namespace nsplan::units
