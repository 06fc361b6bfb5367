// Records read from disk (the state file, the journal) are input, not facts: before destroy or
// apply acts on one, it must describe something a profile could own on this host. Cgroup
// directories strictly below this host's cgroup hierarchies, cgroup files of the controllers
// nsplan sets (never cgroup.procs, tasks, release_agent ...), namespace files only in the state
// dir's ns/ directory, names that the kernel and `ip netns` accept, link groups from nsplan's own
// range, and the kernel identity that proves the subject is what nsplan made. The identity
// itself is checked against the kernel right before acting (undo.h, verify_subject).
#pragma once
#include <string>
#include <vector>

#include "applier/undo.h"
#include "compiler/host_facts.h"

namespace nsplan::applier {

// "" when R may be acted on; else why not.
std::string check_record(const Owned& r, const HostFacts& facts);

// Checks every record: the state file's must carry an identity; of a journal's, only the last
// may lack one (its change was cut short by a crash). Returns "" or an error naming the record.
std::string check_records(const std::vector<Owned>& records, const HostFacts& facts, const std::string& where,
                          bool journal);

}  // namespace nsplan::applier
