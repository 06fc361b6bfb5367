#include "applier/accounts.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <algorithm>
#include <type_traits>
#include <cctype>
#include <vector>

namespace nsplan::applier {
namespace {

bool all_digits(const std::string& s) {
  return !s.empty() && std::all_of(s.begin(), s.end(), [](unsigned char c) { return std::isdigit(c); });
}

// getpw*_r and getgr*_r want a buffer of a size they do not know in advance: ERANGE asks for more.
// The entry's strings live in that buffer: NAME is copied out before it goes.
template <class Entry, class Lookup>
bool lookup(Lookup&& call, Entry& entry, std::string* name = nullptr) {
  std::vector<char> buffer(1024);
  Entry* found = nullptr;
  int rc;
  while ((rc = call(&entry, buffer.data(), buffer.size(), &found)) == ERANGE && buffer.size() < (1u << 20))
    buffer.resize(buffer.size() * 2);
  if (rc != 0 || !found) return false;
  if (name) {
    if constexpr (std::is_same_v<Entry, passwd>) *name = entry.pw_name;
    else *name = entry.gr_name;
  }
  return true;
}

}  // namespace

SysResult<int64_t> user_id(const std::string& user) {
  if (user.empty()) return int64_t{-1};
  if (all_digits(user)) return static_cast<int64_t>(std::stoull(user));
  passwd pw{};
  if (!lookup([&](passwd* e, char* b, size_t n, passwd** r) { return getpwnam_r(user.c_str(), e, b, n, r); }, pw))
    return SysError{ENOENT, "user '" + user + "' does not exist on this host", 0, {}};
  return static_cast<int64_t>(pw.pw_uid);
}

SysResult<int64_t> group_id(const std::string& group) {
  if (group.empty()) return int64_t{-1};
  if (all_digits(group)) return static_cast<int64_t>(std::stoull(group));
  struct group gr {};
  if (!lookup([&](struct group* e, char* b, size_t n, struct group** r) { return getgrnam_r(group.c_str(), e, b, n, r); }, gr))
    return SysError{ENOENT, "group '" + group + "' does not exist on this host", 0, {}};
  return static_cast<int64_t>(gr.gr_gid);
}

std::string user_text(uint32_t uid) {
  passwd pw{};
  std::string name;
  if (lookup([&](passwd* e, char* b, size_t n, passwd** r) { return getpwuid_r(uid, e, b, n, r); }, pw, &name))
    return name + " (" + std::to_string(uid) + ")";
  return std::to_string(uid);
}

std::string group_text(uint32_t gid) {
  struct group gr {};
  std::string name;
  if (lookup([&](struct group* e, char* b, size_t n, struct group** r) { return getgrgid_r(gid, e, b, n, r); }, gr, &name))
    return name + " (" + std::to_string(gid) + ")";
  return std::to_string(gid);
}

}  // namespace nsplan::applier
