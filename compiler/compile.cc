#include "compiler/compile.h"

#include "compiler/checks.h"
#include "compiler/names.h"
#include "compiler/profile_reader.h"

namespace nsplan {

std::unique_ptr<Compilation> check_file(const std::string& path, const FileReader& read,
                                        const LoadOptions& load) {
  auto c = std::make_unique<Compilation>();
  YamlPtr root = load_profile(path, read, c->sources, c->diags, load);
  if (!root) return c;
  c->profile = read_profile(*root, c->diags);
  // Cross-field checks run even after field errors, so that one run reports every problem;
  // a field that failed to read is simply absent to them.
  check_profile(*c->profile, c->diags);
  // A profile given by name on the command line is the profile of that name: `nsplan apply
  // firefox` and then `nsplan destroy firefox` (nsplan@firefox.service's start and stop) must
  // mean the same one, whatever name: the file found says.
  const std::string& name = c->profile->name.value;
  if (path != "-" && !is_profile_path(path) && is_name(path) && !name.empty() && name != path)
    c->diags.error(c->profile->name.loc,
                   "this profile, given by the name '" + path + "' and found on the search path, is named '" + name + "'",
                   "a profile given by name must carry it: write name: " + path + ", or name the file " + name + ".yaml");
  return c;
}

std::unique_ptr<Compilation> compile_file(const std::string& path, const FileReader& read,
                                          const HostFacts& facts, const PlanOptions& options,
                                          const LoadOptions& load) {
  auto c = check_file(path, read, load);
  if (!c->profile || c->diags.has_errors()) return c;
  plan::Plan plan = make_plan(*c->profile, facts, c->sources, options, c->diags);
  if (!c->diags.has_errors()) c->plan = std::move(plan);
  return c;
}

}  // namespace nsplan
