// options_taking_values: what main.cc's start-up check relies on to keep command_word right (the
// command is the line's first word that is no option, so no option of nsplan's own may take a
// value). A valued option must be found, a flag must not.
#include "cli/command_model.h"

#include <gtest/gtest.h>

#include <CLI/CLI.hpp>
#include <string>
#include <vector>

namespace nsplan {
namespace {

TEST(CommandModel, FindsTheTopLevelOptionsThatTakeAValue) {
  CLI::App app{"test"};
  app.set_version_flag("--version", "0");
  int verbose = 0;
  bool quiet = false;
  app.add_flag("-v,--verbose", verbose, "");
  app.add_flag("-q,--quiet", quiet, "");
  // nsplan's own options, as main.cc adds them: flags only.
  EXPECT_EQ(cli::options_taking_values(app), std::vector<std::string>{});

  std::string root;
  app.add_option("--root", root, "");
  // A command's valued option is the command's business, not the line's.
  CLI::App* apply = app.add_subcommand("apply", "");
  std::string state_dir;
  apply->add_option("--state-dir", state_dir, "");
  EXPECT_EQ(cli::options_taking_values(app), std::vector<std::string>{"--root"});
}

}  // namespace
}  // namespace nsplan
