// cgconfig.conf import (nsplan import cgconfig): any bytes give diagnostics or profiles, never a
// crash; every profile made reads back through nsplan's front end without one either.
#include <string>

#include "compiler/cgconfig_import.h"
#include "compiler/compile.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string text(reinterpret_cast<const char*>(data), size);
  auto r = nsplan::cgconfig::import_cgconfig("fuzz.conf", text);
  (void)nsplan::render_all(r.diags, r.sources);
  for (const auto& p : r.profiles) {
    nsplan::FileReader reader = [&](const nsplan::FileRequest& request) {
      nsplan::FileContent c;
      c.ok = request.path == "p.yaml";
      c.text = p.text;
      c.identity = request.path;
      return c;
    };
    auto c = nsplan::check_file("p.yaml", reader, nsplan::LoadOptions{.search_path = {}, .names_in = {}, .max_files = 1, .max_depth = 1});
    (void)nsplan::render_all(c->diags, c->sources);
  }
  return 0;
}
