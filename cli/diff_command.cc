// nsplan diff: what a change of a profile does to the machine, as the kernel operations of the
// two plans (applier/plan_diff.h), and the one-file form git's textconv runs.
#include <iostream>

#include "applier/files.h"
#include "applier/git_files.h"
#include "applier/plan_diff.h"
#include "cli/commands.h"
#include "cli/json_output.h"
#include "compiler/escape.h"

namespace nsplan::cli {
namespace {

// ARG is a file, or git:REV:PATH (read from the current directory's repository); null after a
// usage error, which is printed.
std::unique_ptr<Compilation> compile_source(const std::string& arg, const HostFacts& facts, bool strict,
                                            const LoadOptions& load) {
  std::string error;
  std::optional<applier::GitSource> git = applier::parse_git_source(arg, error);
  if (!error.empty()) {
    std::cerr << "nsplan: error: " << error << "\n  hint: nsplan diff --help\n";
    return nullptr;
  }
  FileReader reader = git ? applier::git_file_reader(*git) : applier::profile_file_reader();
  return compile_file(arg, reader, facts, PlanOptions{strict}, load);
}

}  // namespace

int run_diff(const std::string& old_arg, const std::string& new_arg, const HostFacts& facts, bool strict,
             const LoadOptions& load, bool json) {
  auto before = compile_source(old_arg, facts, strict, load);
  if (!before) return kUsage;
  print_diagnostics(*before);
  auto after = compile_source(new_arg, facts, strict, load);
  if (!after) return kUsage;
  print_diagnostics(*after);
  if (!before->ok() || !after->ok()) return kUsage;  // diff(1): trouble is 2, "differ" is 1
  const auto changes = applier::diff_plans(*before->plan, *after->plan);
  if (json) {
    auto doc = json_output::document("diff");
    doc["old"] = old_arg;
    doc["new"] = new_arg;
    doc["target"] = facts.describe();
    doc["differ"] = !changes.empty();
    doc["changes"] = json_output::Json::array();
    for (const auto& c : changes) doc["changes"].push_back({{"change", c.text}, {"from", c.where}});
    json_output::print(doc);
  } else {
    for (const auto& c : changes) std::cout << c.text << "  (" << text::escaped(c.where) << ")\n";
  }
  return changes.empty() ? kOk : kDiffers;
}

int run_textconv(const std::string& file, const HostFacts& facts, const LoadOptions& load) {
  auto c = compile_source(file, facts, false, load);
  if (!c) return kUsage;
  // git stops the whole diff when a textconv fails: a profile that does not compile is shown as
  // its errors instead (the same file gives the same lines, so an unchanged one shows no diff).
  if (!c->ok()) {
    std::cout << "# the profile does not compile:\n";
    std::string text = render_all(c->diags, c->sources);
    for (size_t start = 0; start < text.size();) {
      size_t end = text.find('\n', start);
      if (end == std::string::npos) end = text.size();
      std::cout << "# " << text.substr(start, end - start) << "\n";
      start = end + 1;
    }
    return kOk;
  }
  std::cout << "# nsplan: profile '" << text::escaped(c->plan->profile) << "' for " << c->plan->facts.describe() << "\n";
  for (const auto& d : c->diags.all())
    if (d.severity == Severity::Warning) std::cout << "# warning: " << text::escaped(d.message) << "\n";
  for (const auto& line : applier::plan_lines(*c->plan)) std::cout << text::escaped(line) << "\n";
  return kOk;
}

}  // namespace nsplan::cli
