// The files a net namespace sees at /etc (namespaces.net.etc): their text, made once from the
// profile, for both places they go. `nsplan run` with a new mount namespace writes them into a
// private tmpfs of its own and binds each over /etc/NAME (read-only); `nsplan apply` writes them
// to /etc/netns/NSNAME/NAME for a persisted namespace, where `ip netns exec` binds them
// (ip-netns(8)).
#pragma once
#include <functional>
#include <string>
#include <vector>

#include "compiler/diagnostics.h"
#include "compiler/plan.h"
#include "schema/model.h"

namespace nsplan {

struct EtcFile {
  std::string name;  // "resolv.conf", "hosts", "hostname"
  std::string text;
  SourceLoc loc;
};

// The files of SPEC, in the order resolv.conf, hosts, hostname. Bad combinations (text and the
// keys that make the lines, more than 3 nameservers, an option with blanks) are located errors.
std::vector<EtcFile> etc_files(const EtcFilesSpec& spec, Diagnostics& diags);

// The steps that put FILES over /etc inside run's new mount namespace: a private tmpfs on
// STAGING (a directory that exists: the state dir), each file created there (never one found),
// bound over IN_ROOT("/etc/NAME") and made read-only, then the tmpfs detached (the binds keep
// it). A target in a tmpfs of the profile (IN_PROFILE_TMPFS) gets its mount point made.
void plan_etc_binds(const std::vector<EtcFile>& files, const std::string& staging,
                    const std::function<std::string(const std::string&)>& in_root,
                    const std::function<bool(const std::string&)>& in_profile_tmpfs, std::vector<plan::InsideStep>& inside);

// apply's part for a persisted net namespace NETNS: one WriteNetnsFile step per file.
struct PlannerContext;
void plan_netns_etc_files(PlannerContext& ctx, const std::string& netns, const EtcFilesSpec& spec);

}  // namespace nsplan
