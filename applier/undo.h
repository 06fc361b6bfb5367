// Inverses of plan actions, computed at apply time from what was observed before the change,
// written to the journal before the change is made, and kept in the state file as the record
// of what a profile owns (destroy runs them). Every undo is idempotent: what is already gone
// counts as done, so a journal can be replayed after a crash.
#pragma once
#include <nlohmann/json_fwd.hpp>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "applier/kernel.h"
#include "applier/sys_error.h"

namespace nsplan::applier {

struct RemoveCgroup { std::string dir; };
struct RestoreCgroupFile { std::string dir, file, value; };
struct DisableControllers { std::string dir; std::vector<std::string> controllers; };
struct DeleteNetns { std::string name; };
struct DeleteNamespace { std::string path; };
struct RestoreHostname { std::string ns_path, hostname, domainname; };
// For a veth, deleting either end removes both. GROUP != 0: the link is in the profile's link
// group on the host, so destroy can remove all of them with one request.
struct DeleteLink {
  std::string netns, name;
  uint32_t group = 0;
  std::string peer_netns, peer_name;  // a veth's other end, which goes with it
};
struct MoveLinkBack { std::string name, from, to; };
struct RestoreMtu { std::string netns, dev; uint32_t mtu = 0; };
struct RestoreMaster { std::string netns, dev, master; };
struct DeleteAddress { std::string netns, dev, cidr; };
struct SetLinkDown { std::string netns, dev; };
struct DeleteRoute { RouteSpec route; };

using Undo = std::variant<RemoveCgroup, RestoreCgroupFile, DisableControllers, DeleteNetns, DeleteNamespace,
                          RestoreHostname, DeleteLink, MoveLinkBack, RestoreMtu, RestoreMaster, DeleteAddress,
                          SetLinkDown, DeleteRoute>;

// Something a profile owns: the key of the resource (see resource_key) and how to take it back.
struct Owned {
  std::string key;
  Undo undo;
};

// Runs one undo; "already gone" (ENOENT, ENODEV, ESRCH, EADDRNOTAVAIL) is success.
Status run_undo(const Undo& undo, Kernel& kernel);
std::string describe(const Undo& undo);  // "rmdir /sys/fs/cgroup/x", for messages and plan -

// JSON lines for the journal and the state file.
std::string to_json_line(const Owned& owned);
std::optional<Owned> owned_from_json(const std::string& line, std::string& error);
// The same records as JSON values, for the state file, which holds them in one document.
nlohmann::json owned_to_record(const Owned& owned);
std::optional<Owned> owned_from_record(const nlohmann::json& record, std::string& error);

}  // namespace nsplan::applier
