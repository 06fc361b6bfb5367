#include "compiler/device_rules.h"

#include <cstdio>
#include <sstream>

namespace nsplan::device_rules {
namespace {

// A decimal number up to MAX, or "*".
std::optional<int64_t> number(const std::string& s, int64_t max) {
  if (s == "*") return kAny;
  if (s.empty() || s.size() > 7) return std::nullopt;
  int64_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '9') return std::nullopt;
    v = v * 10 + (c - '0');
  }
  if (v > max) return std::nullopt;
  return v;
}

}  // namespace

std::optional<std::vector<Rule>> parse(const std::string& text, std::string& error) {
  std::istringstream in(text);
  std::vector<std::string> words;
  for (std::string w; in >> w;) words.push_back(w);
  if (words.empty() || words.size() > 3) {
    error = "a device rule is TYPE MAJOR:MINOR ACCESS";
    return std::nullopt;
  }
  const std::string& type = words[0];
  if (type != "a" && type != "b" && type != "c") {
    error = "'" + type + "' is not a device type";
    return std::nullopt;
  }
  Rule r;
  if (words.size() == 1 && type != "a") {
    error = "a " + type + " rule needs MAJOR:MINOR";
    return std::nullopt;
  }
  if (words.size() >= 2) {
    const std::string& dev = words[1];
    const size_t colon = dev.find(':');
    auto major = colon == std::string::npos ? std::nullopt : number(dev.substr(0, colon), kMaxMajor);
    auto minor = colon == std::string::npos ? std::nullopt : number(dev.substr(colon + 1), kMaxMinor);
    if (!major || !minor) {
      error = "'" + dev + "' is not MAJOR:MINOR (numbers up to 4095:1048575, or *)";
      return std::nullopt;
    }
    r.major = *major;
    r.minor = *minor;
  }
  if (words.size() == 3) {
    r.access = 0;
    for (char c : words[2]) {
      uint8_t bit = c == 'r' ? kRead : c == 'w' ? kWrite : c == 'm' ? kMknod : 0;
      if (!bit || (r.access & bit)) {
        error = "'" + words[2] + "' is not an access: r, w and m, each at most once";
        return std::nullopt;
      }
      r.access |= bit;
    }
  }
  if (type == "c") return std::vector<Rule>{r};
  Rule block = r;
  block.type = kBlock;
  if (type == "b") return std::vector<Rule>{block};
  return std::vector<Rule>{block, r};
}

std::string text(const Rule& r) {
  auto n = [](int64_t v) { return v == kAny ? std::string("*") : std::to_string(v); };
  std::string access;
  if (r.access & kRead) access += 'r';
  if (r.access & kWrite) access += 'w';
  if (r.access & kMknod) access += 'm';
  return std::string(r.type == kBlock ? "b" : "c") + " " + n(r.major) + ":" + n(r.minor) + " " + access;
}

std::vector<Rule> merged(const std::vector<Rule>& rules) {
  std::vector<Rule> out;
  for (const Rule& r : rules) {
    bool joined = false;
    for (Rule& o : out)
      if (o.type == r.type && o.major == r.major && o.minor == r.minor) {
        o.access |= r.access;
        joined = true;
      }
    if (!joined) out.push_back(r);
  }
  return out;
}

bool permits(bool default_allow, const std::vector<Rule>& exceptions, uint8_t type, uint32_t major, uint32_t minor,
             uint8_t access) {
  for (const Rule& e : exceptions) {
    if (e.type != type) continue;
    if (e.major != kAny && e.major != major) continue;
    if (e.minor != kAny && e.minor != minor) continue;
    if (default_allow) {
      if (access & e.access) return false;
    } else if ((access & ~e.access) == 0) {
      return true;
    }
  }
  return default_allow;
}

std::string program_name(bool default_allow, const std::vector<std::string>& exceptions) {
  // FNV-1a over the policy's canonical text: the same policy, the same name.
  uint32_t h = 2166136261u;
  auto feed = [&](const std::string& s) {
    for (unsigned char c : s) h = (h ^ c) * 16777619u;
    h = (h ^ '\n') * 16777619u;
  };
  feed(default_allow ? "allow" : "deny");
  for (const auto& e : exceptions) feed(e);
  char name[16];
  std::snprintf(name, sizeof name, "nsplan_%08x", h);
  return name;
}

}  // namespace nsplan::device_rules
