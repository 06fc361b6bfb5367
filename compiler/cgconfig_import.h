// `nsplan import cgconfig`: a libcgroup cgconfig.conf(5) as nsplan profiles, one per group, named
// after its path (daemons/www -> daemons-www, cgroup.path daemons/www). Every parameter nsplan
// has a key for becomes that key; every other one, a template, the root group and what cannot
// be placed is a located warning naming the cgconfig.conf line (an error under `strict`).
// The profiles are YAML text in the layout `nsplan fmt` leaves (docs/import.md). Pure: the
// host's hierarchies, when mount sections are to be checked against them, are given.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/host_facts.h"

namespace nsplan::cgconfig {

struct ImportOptions {
  bool strict = false;  // what nsplan cannot express is an error, not a warning
  // The host the mount sections are checked against (nothing: not checked). Its v1_mounts name
  // where each controller is mounted.
  std::optional<HostFacts> host;
  // Whether two paths name the same directory on the host (the CLI compares device and inode:
  // /sys/fs/cgroup/cpu is often a link to cpu,cpuacct). Plain string equality when unset.
  std::function<bool(const std::string& a, const std::string& b)> same_directory;
};

struct ImportedProfile {
  std::string name;    // the profile's name, and its file's name without .yaml
  std::string group;   // the cgconfig.conf group it comes from ("daemons/www")
  SourceLoc group_loc;
  std::string text;    // the profile, YAML
};

struct ImportResult {
  SourceManager sources;  // file 1 is the cgconfig.conf
  Diagnostics diags;
  std::vector<ImportedProfile> profiles;  // in the order of the groups in the file
};

// PATH names the file in diagnostics and in each profile's header comment.
ImportResult import_cgconfig(const std::string& path, const std::string& text, const ImportOptions& options = {});

// A YAML scalar for TEXT: plain where YAML reads it back as the same string, double-quoted
// (with escapes) otherwise.
std::string yaml_scalar(const std::string& text);

}  // namespace nsplan::cgconfig
