// `nsplan export`: a profile written in another tool's terms (an OCI runtime-spec config.json,
// a systemd unit drop-in). Pure: the translation reads the checked Profile, never the system.
// Whatever the target has no form for is a located warning (an error under --strict), so that
// nothing is dropped silently (docs/export.md).
#pragma once
#include <string>
#include <utility>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/source.h"
#include "schema/model.h"

namespace nsplan::exporting {

struct ExportOptions {
  bool strict = false;                    // what the target cannot express is an error
  std::string state_dir = "/run/nsplan";  // where `nsplan apply` keeps persisted namespaces
};

struct ExportResult {
  std::string text;   // the document; meant to be used only when diags has no errors
  Diagnostics diags;  // each one located at the profile key it is about
};

// The diagnostics an export reports: warnings, or errors under --strict.
class Losses {
 public:
  Losses(Diagnostics& diags, bool strict) : diags_(diags), strict_(strict) {}
  // TARGET ("OCI", "systemd") cannot express what MESSAGE says.
  void cannot(SourceLoc loc, const std::string& target, const std::string& message, const std::string& hint = {});
  // Something nsplan does by default that the target does otherwise: a note, never an error
  // (the profile does not ask for it).
  void note(SourceLoc loc, const std::string& message);

 private:
  Diagnostics& diags_;
  bool strict_;
};

// Each further namespace, link and route of N: neither target has a form for them (HINT says
// what does the job there).
void report_network(const NetworkSpec& n, Losses& losses, const std::string& target, const std::string& hint);
// net.etc: files nsplan writes (a target binds only files that exist); net.rootless: a helper
// process nsplan run starts.
void report_net_etc(const NetNamespaceSpec& net, Losses& losses, const std::string& target, const std::string& hint);

// The rlimits S sets, by their names in capitals (NOFILE, RTTIME ...), in alphabetical order.
std::vector<std::pair<std::string, const Located<Rlimit>*>> rlimits_set(const LimitsSpec& s);

// The nsfs file a profile's `join:` or `persist:` NAME names, as `nsplan apply` makes it.
std::string persisted_namespace_path(const std::string& kind, const std::string& name, const std::string& state_dir);

// "MAJ:MIN" split into numbers; nullopt for a device path such as /dev/sda.
struct DeviceNumber {
  int64_t major = 0, minor = 0;
};
std::optional<DeviceNumber> device_number(const std::string& device);

}  // namespace nsplan::exporting
