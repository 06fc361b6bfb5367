#include "applier/capabilities.h"

#include <sys/capability.h>
#include <sys/prctl.h>

#include <algorithm>
#include <cerrno>
#include <cstring>

#include "compiler/capability_names.h"

namespace nsplan::applier {
namespace {

bool contains(const std::vector<int>& v, int x) { return std::find(v.begin(), v.end(), x) != v.end(); }

// Whether CHANGE leaves capability K in a set that held it when HELD.
bool kept(const plan::CapabilityChange& change, int k, bool held) {
  if (contains(change.drop, k)) return false;
  if (contains(change.add, k)) return true;
  return held && !change.clear_all;
}

std::string failed(const std::string& what) { return what + ": " + std::strerror(errno); }

// The capabilities the running kernel knows (cap_last_cap + 1).
int kernel_caps() { return static_cast<int>(cap_max_bits()); }

}  // namespace

std::string capabilities_before_identity(const plan::Capabilities& caps) {
  if (!caps.any()) return "";
  for (int k = 0; k < kernel_caps(); ++k) {
    int held = cap_get_bound(static_cast<cap_value_t>(k));
    if (held < 0) continue;
    bool keep = kept(caps.bounding, k, held == 1);
    if (keep && held == 0) {
      errno = EPERM;  // the bounding set never grows
      return failed("raise " + capability_name(k) + " in the bounding set");
    }
    if (!keep && held == 1 && cap_drop_bound(static_cast<cap_value_t>(k)) != 0)
      return failed("drop " + capability_name(k) + " from the bounding set");
  }
  for (int k : caps.bounding.add)
    if (k >= kernel_caps()) return "capability " + capability_name(k) + " is unknown to this kernel";
  // Keeps the permitted set across a change to a non-zero uid (cleared again by exec).
  if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) != 0) return failed("PR_SET_KEEPCAPS");
  return "";
}

std::string capabilities_after_identity(const plan::Capabilities& caps) {
  if (!caps.any()) return "";
  cap_t now = cap_get_proc();
  if (!now) return failed("cap_get_proc");
  const int n = kernel_caps();
  std::string raised;  // named in the error: raising needs the capability in the permitted set
  // The uid change emptied the effective set; permitted is what may be made inheritable.
  for (int k = 0; k < n; ++k) {
    cap_value_t v = static_cast<cap_value_t>(k);
    cap_flag_value_t permitted = CAP_CLEAR, inheritable = CAP_CLEAR;
    cap_get_flag(now, v, CAP_PERMITTED, &permitted);
    cap_get_flag(now, v, CAP_INHERITABLE, &inheritable);
    cap_set_flag(now, CAP_EFFECTIVE, 1, &v, permitted);
    cap_flag_value_t want = kept(caps.inheritable, k, inheritable == CAP_SET) ? CAP_SET : CAP_CLEAR;
    cap_set_flag(now, CAP_INHERITABLE, 1, &v, want);
    if (want == CAP_SET && inheritable == CAP_CLEAR) raised += (raised.empty() ? "" : ",") + capability_name(k);
  }
  int rc = cap_set_proc(now);
  int err = errno;
  cap_free(now);
  errno = err;
  if (rc != 0) return failed("make " + (raised.empty() ? std::string("the capabilities") : raised) + " inheritable");
  for (int k = 0; k < n; ++k) {
    cap_value_t v = static_cast<cap_value_t>(k);
    int held = cap_get_ambient(v);
    if (held < 0) continue;
    bool want = kept(caps.ambient, k, held == 1);
    if (want != (held == 1) && cap_set_ambient(v, want ? CAP_SET : CAP_CLEAR) != 0)
      return failed(std::string(want ? "raise " : "lower ") + capability_name(k) + " in the ambient set");
  }
  for (int k : caps.ambient.add)
    if (k >= n) return "capability " + capability_name(k) + " is unknown to this kernel";
  return "";
}

}  // namespace nsplan::applier
