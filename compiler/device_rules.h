// Device access rules of the devices controller, in the syntax of v1's devices.allow and
// devices.deny ("c 1:3 rwm", "b 8:* r", "a"): parsed from a profile, put in the canonical form
// v1's devices.list prints, and judged by the kernel's own semantics (security/device_cgroup.c),
// which the v2 BPF program (applier/device_program.cc) must reproduce exactly. Pure.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

namespace nsplan::device_rules {

// BPF_DEVCG_ACC_* and BPF_DEVCG_DEV_* values (uapi/linux/bpf.h), which v1 also uses.
enum Access : uint8_t { kMknod = 1, kRead = 2, kWrite = 4, kAll = 7 };
enum Type : uint8_t { kBlock = 1, kChar = 2 };

constexpr int64_t kAny = -1;               // "*"
constexpr int64_t kMaxMajor = 4095;        // dev_t: 12 bits of major
constexpr int64_t kMaxMinor = (1 << 20) - 1;  // and 20 of minor (MINORBITS)

struct Rule {
  uint8_t type = kChar;  // kBlock or kChar (an "a" rule is one of each)
  int64_t major = kAny, minor = kAny;
  uint8_t access = kAll;
  friend bool operator==(const Rule&, const Rule&) = default;
};

// "c 1:3 rwm" -> one rule; "a 1:3 r" -> a block and a char rule; ACCESS defaults to rwm, and "a"
// alone means every device. nullopt with ERROR (what is wrong, for a located message) otherwise.
std::optional<std::vector<Rule>> parse(const std::string& text, std::string& error);

// As devices.list shows it: "c 1:3 rwm", "b *:* m".
std::string text(const Rule& r);

// Rules for the same type, major and minor become one with their access joined, as the kernel
// merges them (dev_exception_add), in the order of their first appearance.
std::vector<Rule> merged(const std::vector<Rule>& rules);

// What a cgroup with this policy lets a task do: DEFAULT_ALLOW with EXCEPTIONS denied, or default
// deny with EXCEPTIONS allowed. Access to device TYPE MAJOR:MINOR with ACCESS bits, as
// devcgroup_legacy_check_permission decides it: an allowing exception must cover every bit asked
// for (match_exception); a denying one matches on any bit in common (match_exception_partial).
bool permits(bool default_allow, const std::vector<Rule>& exceptions, uint8_t type, uint32_t major, uint32_t minor,
             uint8_t access);

// A short stable name for a policy ("nsplan_3fa9c2d1", at most 15 characters: BPF_OBJ_NAME_LEN),
// by which apply recognises its program already attached.
std::string program_name(bool default_allow, const std::vector<std::string>& exceptions);

}  // namespace nsplan::device_rules
