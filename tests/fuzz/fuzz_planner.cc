// Planner and JSON emitter: every profile that passes the checks plans for v1 and v2.
#include <cstdlib>

#include "compiler/json_emitter.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  for (auto mode : {nsplan::CgroupMode::V1, nsplan::CgroupMode::V2}) {
    auto c = nsplan::fuzz::compile_bytes(data, size, mode, true);
    if (!c->ok()) continue;
    std::string json = nsplan::emit_json(*c->plan, c->diags, c->sources);
    if (json.empty()) std::abort();
  }
  return 0;
}
