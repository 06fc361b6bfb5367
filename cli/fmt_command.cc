// nsplan fmt [--check] FILE...: the canonical layout of profiles, comments kept
// (compiler/yaml_format.h). `-` formats standard input to standard output.
#include <unistd.h>

#include <iostream>
#include <iterator>
#include <sstream>

#include "applier/files.h"
#include "cli/commands.h"
#include "cli/log.h"
#include "compiler/escape.h"
#include "compiler/yaml_format.h"

namespace nsplan::cli {

int run_fmt(const std::vector<std::string>& files, bool check) {
  int rc = kOk;
  for (const auto& path : files) {
    std::string text;
    if (path == "-") {
      std::ostringstream in;
      in << std::cin.rdbuf();
      text = in.str();
    } else {
      FileContent f = applier::read_profile_file(path);
      if (!f.ok) {
        std::cerr << "nsplan: error: cannot read '" << text::escaped(path) << "': " << f.error << "\n";
        if (!f.hint.empty()) std::cerr << "  hint: " << f.hint << "\n";
        rc = kInvalidProfile;
        continue;
      }
      text = std::move(f.text);
    }
    FormatOutcome out = format_profile_text(path == "-" ? "<stdin>" : path, text);
    std::cerr << log::colour_diagnostics(render_all(out.diags, out.sources));
    if (!out.formatted) {
      rc = kInvalidProfile;
      if (path == "-") std::cout << text;  // a filter passes on what it cannot change
      continue;
    }
    if (path == "-") {
      std::cout << *out.formatted;
      continue;
    }
    if (*out.formatted == text) continue;
    if (check) {
      std::cout << "would reformat " << text::escaped(path) << "\n";
      rc = kInvalidProfile;
      continue;
    }
    if (applier::Status s = applier::rewrite_file(path, *out.formatted); !s.ok()) {
      std::cerr << "nsplan: error: " << s.message() << "\n";
      rc = kSystem;
      continue;
    }
    if (!log::quiet()) std::cout << "formatted " << text::escaped(path) << "\n";
  }
  return rc;
}

}  // namespace nsplan::cli
