// The subcommands that act on the live system; main.cc parses, these run.
#pragma once
#include <string>

#include "compiler/compile.h"

namespace nsplan::cli {

constexpr int kOk = 0;
constexpr int kInvalidProfile = 1;
constexpr int kUsage = 2;
constexpr int kSystem = 3;
constexpr int kChangesPending = 4;  // `nsplan plan`: the live system differs from the profile

struct LiveOptions {
  bool wait = false;  // wait for another nsplan holding the profile's lock
  bool json = false;
};

int run_apply(const Compilation& c, const LiveOptions& o);
int run_destroy(const Compilation& c, const LiveOptions& o);
int run_plan_live(const Compilation& c, const LiveOptions& o);
int run_status(const Compilation& c, const LiveOptions& o);

}  // namespace nsplan::cli
