// YAML front end and checks: any bytes give diagnostics or a profile, never a crash, in bounded
// time and memory.
#include "compiler/diagnostics.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  auto c = nsplan::fuzz::compile_bytes(data, size, nsplan::CgroupMode::V2, false);
  // Rendering must cope with whatever locations the diagnostics carry.
  (void)nsplan::render_all(c->diags, c->sources);
  return 0;
}
