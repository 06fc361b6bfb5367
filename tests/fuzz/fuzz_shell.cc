// Shell emitter: any profile that compiles yields scripts whose profile data is all quoted.
#include <cstdio>
#include <cstdlib>

#include "applier/explain.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (auto mode : {nsplan::CgroupMode::V1, nsplan::CgroupMode::V2}) {
    auto c = nsplan::fuzz::compile_bytes(data, size, mode, true);
    if (!c->ok()) continue;
    nsplan::applier::ExplainOptions apply, destroy;
    apply.description = "d";
    destroy.teardown = true;
    for (const std::string& script : {nsplan::applier::explain(*c->plan, c->diags, c->sources, apply),
                                      nsplan::applier::explain(*c->plan, c->diags, c->sources, destroy)}) {
      std::string bad;
      if (!nsplan::fuzz::only_quoted_data(script, bad)) {
        std::fprintf(stderr, "unquoted data in line: %s\n", bad.c_str());
        std::abort();
      }
    }
  }
  return 0;
}
