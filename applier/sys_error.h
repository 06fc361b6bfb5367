// Errors of the kernel layer: an errno with the context of what was being done. The applier's
// kernel modules (cgroupfs, netlink, namespaces) never throw across their interface; they return
// a Status or a SysResult<T>. Context is prepended on the way up ("creating cgroup X: mkdir Y").
#pragma once
#include <cerrno>
#include <cstring>
#include <optional>
#include <string>
#include <utility>
#include <variant>

#include "compiler/escape.h"

namespace nsplan::applier {

struct SysError {
  int err = 0;         // errno value (positive); the kernel's answer when it gave one
  std::string what;    // what was being done: "mkdir /sys/fs/cgroup/memory/x"
  int nl_code = 0;     // the negative libnl error code, when the error came through libnl
  std::string detail;  // the kernel's extended-ack text ("Invalid MTU"), when it sent one

  bool is(int e) const { return err == e; }
  // "mkdir /sys/fs/cgroup/memory/x: File exists". Escaped (compiler/escape.h): WHAT may carry
  // text read from the kernel (a hostname or value being restored) and DETAIL is the kernel's.
  std::string message() const {
    std::string m = what;
    if (err != 0) {
      if (!m.empty()) m += ": ";
      m += std::strerror(err);
    }
    if (!detail.empty()) m += " (" + detail + ")";
    return text::escaped(m);
  }
  // Adds outer context: wrap("apply step 3") on "mkdir X" gives "apply step 3: mkdir X".
  SysError& wrap(const std::string& context) {
    what = what.empty() ? context : context + ": " + what;
    return *this;
  }
};

// A SysError for the current errno (call right after the failing syscall).
inline SysError errno_error(std::string what, int err = errno) {
  return SysError{err, std::move(what), 0, {}};
}

// Success, or a SysError.
class [[nodiscard]] Status {
 public:
  Status() = default;
  Status(SysError e) : e_(std::move(e)) {}
  bool ok() const { return !e_.has_value(); }
  explicit operator bool() const { return ok(); }
  const SysError& error() const { return *e_; }
  SysError& error() { return *e_; }
  // errno of the failure, 0 on success.
  int err() const { return e_ ? e_->err : 0; }
  std::string message() const { return e_ ? e_->message() : std::string("ok"); }

 private:
  std::optional<SysError> e_;
};

// A value, or a SysError.
template <class T>
class [[nodiscard]] SysResult {
 public:
  SysResult(T value) : v_(std::in_place_index<0>, std::move(value)) {}
  SysResult(SysError e) : v_(std::in_place_index<1>, std::move(e)) {}
  bool ok() const { return v_.index() == 0; }
  explicit operator bool() const { return ok(); }
  const T& value() const& { return std::get<0>(v_); }
  T& value() & { return std::get<0>(v_); }
  T&& value() && { return std::get<0>(std::move(v_)); }
  const SysError& error() const { return std::get<1>(v_); }
  SysError& error() { return std::get<1>(v_); }
  int err() const { return ok() ? 0 : error().err; }
  std::string message() const { return ok() ? std::string("ok") : error().message(); }
  // The error as a Status (for forwarding a failure from a function returning Status).
  Status status() const { return ok() ? Status() : Status(error()); }

 private:
  std::variant<T, SysError> v_;
};

}  // namespace nsplan::applier
