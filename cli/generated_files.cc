#include "cli/generated_files.h"

#include <iostream>
#include <string>

#include "cli/commands.h"
#include "cli/completions.h"
#include "cli/man_page.h"

namespace nsplan::cli {

int generate(const CLI::App& app, std::string_view what) {
  CommandLine cl = describe(app);
  std::string out;
  if (what == "man-synopsis") out = man_page_synopsis(cl);
  else if (what == "man-options") out = man_page_options(cl);
  else if (what == "man-commands") out = man_page_commands(cl);
  else if (what == "man-search-path") out = man_page_search_path();
  else if (what == "bash") out = bash_completion(cl);
  else if (what == "zsh") out = zsh_completion(cl);
  else if (what == "fish") out = fish_completion(cl);
  else {
    std::cerr << "nsplan: error: --generate takes man-synopsis, man-options, man-commands, man-search-path, bash, zsh or fish\n";
    return kUsage;
  }
  std::cout << out;
  return kOk;
}

}  // namespace nsplan::cli
