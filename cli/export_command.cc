// nsplan export oci|systemd PROFILE: the checked profile in another tool's terms
// (compiler/export_oci.h, compiler/export_systemd.h). Nothing on the system is read or changed.
#include <iostream>

#include "applier/files.h"
#include "cli/commands.h"
#include "compiler/export_oci.h"
#include "compiler/export_systemd.h"

namespace nsplan::cli {

int run_export(const std::string& target, const std::string& profile, const exporting::ExportOptions& options,
               const LoadOptions& load) {
  auto c = check_file(profile, applier::profile_file_reader(), load);
  if (!c->profile || c->diags.has_errors()) {
    print_diagnostics(*c);
    return kInvalidProfile;
  }
  exporting::ExportResult result = target == "oci" ? exporting::export_oci(*c->profile, options)
                                                   : exporting::export_systemd(*c->profile, options, &c->sources);
  for (const auto& d : result.diags.all())
    if (d.severity == Severity::Error) c->diags.error(d.loc, d.message, d.hint);
    else c->diags.add(d);
  print_diagnostics(*c);
  // Under --strict a loss is an error: no half document on standard output.
  if (c->diags.has_errors()) return kInvalidProfile;
  std::cout << result.text;
  return kOk;
}

}  // namespace nsplan::cli
