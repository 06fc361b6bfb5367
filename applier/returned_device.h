// A device moved into a namespace of the profile, on its way back to the host: under the name
// the host gave it (MoveLinkBack's host_name), and after the kernel gave it back by itself (the
// double fault: its undo failed in a rollback, then its namespace was deleted).
#pragma once
#include <optional>
#include <string>

#include "applier/undo.h"

namespace nsplan::applier {

// EEXIST, having done nothing, when the host has a link named as U's device was there: the kernel
// moves first and renames after, so it would land on the host under its inside name.
Status host_name_free(const MoveLinkBack& u, Kernel& k);
// What the host had given the device (bridge, addresses, up, routes), once it is back there under
// its host name.
Status give_back_host_state(const MoveLinkBack& u, Kernel& k);

// U (MoveLinkBack, RestoreMtu, RestoreMac) whose subject is gone because its namespace is: the
// kernel gives a device back to the host when the namespace goes (a virtual one dies with it), as
// it was named inside or as devN when the host had that name, and with the ifindex it had (ID's)
// unless the host had that one. The device is found by that ifindex only, never by name, and U is
// done on it there. nullopt: nothing of U's to do (the namespace is there, or no such device came
// back); else what doing it gave, or why it was not done.
std::optional<Status> undo_on_returned_device(const Undo& u, Kernel& k, const KernelId& id);

}  // namespace nsplan::applier
