// Translations between cgroup v1 and v2 value scales. See translate.h for the formulas.
#include "compiler/translate.h"

#include <cmath>
#include <limits>

namespace nsplan::translate {
namespace {

constexpr uint64_t kSharesMin = 2;
constexpr uint64_t kSharesMax = 262144;  // MAX_SHARES = 1 << 18
constexpr uint64_t kSharesDefault = 1024;
constexpr uint64_t kWeightMin = 1;
constexpr uint64_t kWeightMax = 10000;
constexpr uint64_t kWeightDefault = 100;

}  // namespace

uint64_t shares_to_weight(uint64_t shares) {
  if (shares <= kSharesMin) return kWeightMin;
  if (shares >= kSharesMax) return kWeightMax;
  // A quadratic in log2(shares) through (2, 1), (1024, 100) and (262144, 10000) in log10 space,
  // evaluated in double precision and rounded up exactly as runc and crun do.
  const double l = std::log2(static_cast<double>(shares));
  const double exponent = (l * l + 125 * l) / 612.0 - 7.0 / 34.0;
  return static_cast<uint64_t>(std::ceil(std::pow(10.0, exponent)));
}

uint64_t weight_to_shares(uint64_t weight) {
  // Any weight above this gives more than kSharesMax; capping first keeps the product in range.
  constexpr uint64_t kCap = kSharesMax * kWeightDefault / kSharesDefault + 1;
  if (weight > kCap) weight = kCap;
  uint64_t shares = weight * kSharesDefault / kWeightDefault;
  if (shares < kSharesMin) return kSharesMin;
  if (shares > kSharesMax) return kSharesMax;
  return shares;
}

uint64_t memsw_from(uint64_t max_bytes, uint64_t swap_bytes) {
  if (swap_bytes > std::numeric_limits<uint64_t>::max() - max_bytes) {
    return std::numeric_limits<uint64_t>::max();
  }
  return max_bytes + swap_bytes;
}

}  // namespace nsplan::translate
